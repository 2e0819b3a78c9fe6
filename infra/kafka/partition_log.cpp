#include "infra/kafka/partition_log.hpp"

#include "infra/codec/cloudevent_codec.hpp"
#include "infra/hash_chain.hpp"

namespace bb::kafka {

partition_log::partition_log(txn_producer* producer, std::string topic, std::int32_t partition,
                             std::unique_ptr<partition_store> store)
    : producer_(producer),
      topic_(std::move(topic)),
      partition_(partition),
      store_(std::move(store)) {}

partition_log::~partition_log() = default;

void partition_log::index(event_record r, const std::string& request_key,
                          const std::string& digest) {
    const auto pos = r.position;
    if (!request_key.empty()) {
        auto& req = requests_[request_key];
        if (req.first == 0) {
            req.first = pos;
            req.digest = digest;
        }
        req.last = pos;
        req.version = r.version;
    }
    records_.add(std::move(r));
}

std::expected<void, std::string> partition_log::load(const record& rec, std::string* stream) {
    std::lock_guard lock(mutex_);
    auto r = reader_.read(rec.value);
    if (!r) return std::unexpected("offset " + std::to_string(rec.offset) + ": " + r.error());
    if (store_) {
        if (r->position <= store_->head()) return {};
        const auto expected_prev =
            store_->head() == 0 ? std::string(genesis_hash) : store_->last_hash();
        if (r->position != store_->head() + 1 || r->prev_hash != expected_prev)
            return std::unexpected("offset " + std::to_string(rec.offset) + " (position " +
                                   std::to_string(r->position) +
                                   ") does not continue the local store at position " +
                                   std::to_string(store_->head()));
        if (auto b = store_->begin(); !b) return b;
        if (stream) *stream = r->stream;
        return store_->add(*r, rec.header(request_key_header).value_or(""),
                           rec.header(request_digest_header).value_or(""));
    }
    // Positions and hashes are taken as stored: proving them is verify_chain's job.
    if (stream) *stream = r->stream;
    index(std::move(*r), rec.header(request_key_header).value_or(""),
          rec.header(request_digest_header).value_or(""));
    return {};
}

std::expected<std::unique_ptr<partition_log>, std::string> partition_log::open(
    txn_producer* producer, const settings& reader, const std::string& topic,
    std::int32_t partition) {
    auto log = std::make_unique<partition_log>(producer, topic, partition);
    std::string failure;
    const auto n = read_to_end(reader, topic, {partition}, [&](record&& r) {
        if (!failure.empty()) return;
        if (auto ok = log->load(r); !ok) failure = ok.error();
    });
    if (!n) return std::unexpected(n.error());
    if (!failure.empty())
        return std::unexpected(topic + "/" + std::to_string(partition) + ": " + failure);
    return log;
}

std::int64_t partition_log::stream_size(const std::string& stream) {
    std::lock_guard lock(mutex_);
    return store_ ? store_->stream_size(stream) : records_.stream_size(stream);
}

std::expected<void, std::string> partition_log::committed(std::optional<std::int64_t> last_offset) {
    std::lock_guard lock(mutex_);
    if (!store_ || !store_->in_transaction()) return {};
    return store_->commit(last_offset ? *last_offset + 1 : store_->next_offset());
}

std::expected<void, std::string> partition_log::flush() {
    std::lock_guard lock(mutex_);
    if (!store_) return {};
    return store_->flush();
}

std::expected<append_result, std::error_code> partition_log::append(append_request req) {
    return append(std::move(req), -1);
}

std::expected<append_result, std::error_code> partition_log::append(append_request req,
                                                                    std::int64_t known_size) {
    if (!producer_) return std::unexpected(make_error_code(log_errc::closed));
    std::unique_lock lock(mutex_);
    const auto digest = req.request_key.empty() ? std::string{} : request_digest(req);
    if (!req.request_key.empty()) {
        std::optional<request_entry> found;
        if (store_) {
            if (auto e = store_->find_request(req.request_key))
                found = request_entry{e->digest, e->first, e->last, e->version};
        } else if (const auto it = requests_.find(req.request_key); it != requests_.end()) {
            found = it->second;
        }
        if (found) {
            if (found->digest != digest)
                return std::unexpected(make_error_code(log_errc::idempotency_conflict));
            return append_result{found->first, found->last, found->version, true};
        }
    }
    const auto version = known_size >= 0 ? known_size
                         : store_        ? store_->stream_size(req.stream)
                                         : records_.stream_size(req.stream);
    if (version != req.expected_version)
        return std::unexpected(make_error_code(log_errc::wrong_expected_version));
    if (req.events.empty()) return append_result{0, 0, version, false};

    std::vector<event_record> batch;
    auto prev = store_ ? (store_->head() == 0 ? std::string(genesis_hash) : store_->last_hash())
                       : records_.last_hash().value_or(std::string(genesis_hash));
    auto position = store_ ? store_->head() : static_cast<std::int64_t>(records_.size());
    for (std::size_t i = 0; i < req.events.size(); ++i) {
        auto& e = req.events[i];
        event_record r{++position,
                       req.stream,
                       version + static_cast<std::int64_t>(i) + 1,
                       req.partition_key,
                       std::move(e.type),
                       std::move(e.data),
                       e.time,
                       req.recorded_at,
                       std::move(e.idempotency_key),
                       std::move(e.causation_id),
                       std::move(e.correlation_id),
                       prev,
                       {},
                       std::move(e.traceparent),
                       std::move(e.tracestate)};
        r.hash = chain_hash(prev, r);
        prev = r.hash;
        batch.push_back(std::move(r));
    }

    const bool own_transaction = !producer_->in_transaction();
    const auto fail = [&](const txn_error& e) -> std::unexpected<std::error_code> {
        if (own_transaction) (void)producer_->abort();
        (void)e;
        return std::unexpected(make_error_code(log_errc::storage_failure));
    };
    if (own_transaction)
        if (auto b = producer_->begin(); !b) return fail(b.error());
    const header_list headers{{"content-type", "application/cloudevents+json"},
                              {request_key_header, req.request_key},
                              {request_digest_header, digest}};
    std::vector<std::string> texts;  // the store keeps the same text
    texts.reserve(batch.size());
    for (const auto& r : batch) {
        texts.push_back(codec::cloudevent_text(r));
        if (auto p = producer_->produce(topic_, partition_, r.partition_key, texts.back(), headers);
            !p)
            return fail(p.error());
    }
    if (own_transaction)
        if (auto c = producer_->commit(); !c) return fail(c.error());

    append_result out{batch.front().position, batch.back().position, batch.back().version, false};
    if (store_) {
        // Joins the store's transaction, committed when the owner's Kafka transaction is (or
        // now, for an append that was a transaction of its own). A failure here fails the
        // append; the owner aborts and the store rolls back with it.
        const auto store_failure = [&](const std::string&) -> std::unexpected<std::error_code> {
            store_->rollback();
            return std::unexpected(make_error_code(log_errc::storage_failure));
        };
        if (auto b = store_->begin(); !b) return store_failure(b.error());
        for (std::size_t i = 0; i < batch.size(); ++i)
            if (auto a = store_->add(batch[i], req.request_key, digest, texts[i]); !a)
                return store_failure(a.error());
        if (const auto* s = std::get_if<stream_summary>(&req.summary))
            if (auto w = store_->set_summary(req.stream, *s); !w) return store_failure(w.error());
        if (own_transaction) {
            auto c = store_->commit(producer_->delivered(topic_, partition_)
                                        .transform([](std::int64_t o) { return o + 1; })
                                        .value_or(store_->next_offset()));
            if (c) c = store_->flush();
            if (!c) return store_failure(c.error());
        }
        return out;
    }
    for (auto& r : batch) index(std::move(r), req.request_key, digest);
    return out;
}

std::expected<std::vector<event_record>, std::error_code> partition_log::read_stream(
    const std::string& stream, std::int64_t from_version) {
    if (store_) {
        std::lock_guard lock(mutex_);
        auto r = store_->read_stream(stream, from_version);
        if (!r) return std::unexpected(make_error_code(log_errc::storage_failure));
        return std::move(*r);
    }
    return records_.read_stream(stream, from_version);
}

std::expected<std::vector<event_record>, std::error_code> partition_log::read_all(
    std::int64_t from_position, std::size_t max) {
    if (store_) {
        std::lock_guard lock(mutex_);
        auto r = store_->read_from(from_position, max);
        if (!r) return std::unexpected(make_error_code(log_errc::storage_failure));
        return std::move(*r);
    }
    return records_.read_from(static_cast<std::size_t>(from_position < 1 ? 0 : from_position - 1),
                              max);
}

std::int64_t partition_log::head() {
    if (store_) {
        std::lock_guard lock(mutex_);
        return store_->head();
    }
    return static_cast<std::int64_t>(records_.size());
}

// With a store there are no followers: the owner's readers follow the topic (topic_view).
std::unique_ptr<subscription> partition_log::subscribe(
    std::int64_t from_position, std::function<void(const event_record&)> handler) {
    if (store_) return std::make_unique<subscription>();
    return records_.follow(static_cast<std::size_t>(from_position < 1 ? 0 : from_position - 1),
                           std::move(handler));
}

}  // namespace bb::kafka
