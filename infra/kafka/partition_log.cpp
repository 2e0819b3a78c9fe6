#include "infra/kafka/partition_log.hpp"

#include <thread>

#include <nlohmann/json.hpp>

#include "infra/codec/cloudevent_codec.hpp"
#include "infra/hash_chain.hpp"

namespace bb::kafka {

class partition_log::follower final : public subscription {
  public:
    follower(partition_log& log, std::int64_t from, std::function<void(const event_record&)> f)
        : log_(log), next_(from < 1 ? 1 : from), f_(std::move(f)), thread_([this] { run(); }) {}
    ~follower() override {
        {
            std::lock_guard lock(log_.mutex_);
            stop_ = true;
        }
        log_.appended_.notify_all();
        thread_.join();
    }

  private:
    void run() {
        for (;;) {
            std::vector<event_record> batch;
            {
                std::unique_lock lock(log_.mutex_);
                log_.appended_.wait(lock, [&] {
                    return stop_ || log_.closing_ ||
                           static_cast<std::int64_t>(log_.records_.size()) >= next_;
                });
                if (stop_ || log_.closing_) return;
                batch.assign(log_.records_.begin() + (next_ - 1), log_.records_.end());
            }
            for (const auto& r : batch) f_(r);
            next_ += static_cast<std::int64_t>(batch.size());
        }
    }
    partition_log& log_;
    std::int64_t next_;
    std::function<void(const event_record&)> f_;
    bool stop_ = false;  // guarded by log_.mutex_
    std::thread thread_;
};

partition_log::partition_log(txn_producer* producer, std::string topic, std::int32_t partition)
    : producer_(producer), topic_(std::move(topic)), partition_(partition) {}

partition_log::~partition_log() {
    std::lock_guard lock(mutex_);
    closing_ = true;
    appended_.notify_all();
}

void partition_log::index(event_record r, const std::string& request_key,
                          const std::string& digest) {
    const auto pos = r.position;
    auto& versions = streams_[r.stream];
    versions.push_back(records_.size());
    if (!request_key.empty()) {
        auto& req = requests_[request_key];
        if (req.first == 0) {
            req.first = pos;
            req.digest = digest;
        }
        req.last = pos;
        req.version = r.version;
    }
    records_.push_back(std::move(r));
}

std::expected<void, std::string> partition_log::load(const record& rec) {
    const auto j = nlohmann::json::parse(rec.value, nullptr, false);
    if (j.is_discarded())
        return std::unexpected("offset " + std::to_string(rec.offset) + " is not JSON");
    auto r = codec::from_cloudevent(j);
    if (!r) return std::unexpected("offset " + std::to_string(rec.offset) + ": " + r.error());
    // Positions and hashes are taken as stored: proving them is verify_chain's job.
    std::lock_guard lock(mutex_);
    index(std::move(*r), rec.header(request_key_header).value_or(""),
          rec.header(request_digest_header).value_or(""));
    appended_.notify_all();
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

bool partition_log::has_stream(const std::string& stream) const {
    std::lock_guard lock(mutex_);
    return streams_.contains(stream);
}

std::expected<append_result, std::error_code> partition_log::append(append_request req) {
    if (!producer_) return std::unexpected(make_error_code(log_errc::closed));
    std::unique_lock lock(mutex_);
    const auto digest = req.request_key.empty() ? std::string{} : request_digest(req);
    if (!req.request_key.empty()) {
        if (const auto it = requests_.find(req.request_key); it != requests_.end()) {
            if (it->second.digest != digest)
                return std::unexpected(make_error_code(log_errc::idempotency_conflict));
            return append_result{it->second.first, it->second.last, it->second.version, true};
        }
    }
    const auto stream_it = streams_.find(req.stream);
    const auto version =
        stream_it == streams_.end() ? 0 : static_cast<std::int64_t>(stream_it->second.size());
    if (version != req.expected_version)
        return std::unexpected(make_error_code(log_errc::wrong_expected_version));
    if (req.events.empty()) return append_result{0, 0, version, false};

    std::vector<event_record> batch;
    auto prev = records_.empty() ? std::string(genesis_hash) : records_.back().hash;
    auto position = static_cast<std::int64_t>(records_.size());
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
                       {}};
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
    for (const auto& r : batch)
        if (auto p = producer_->produce(topic_, partition_, r.partition_key,
                                        codec::to_cloudevent(r).dump(), headers);
            !p)
            return fail(p.error());
    if (own_transaction)
        if (auto c = producer_->commit(); !c) return fail(c.error());

    append_result out{batch.front().position, batch.back().position, batch.back().version, false};
    for (auto& r : batch) index(std::move(r), req.request_key, digest);
    appended_.notify_all();
    return out;
}

std::expected<std::vector<event_record>, std::error_code> partition_log::read_stream(
    const std::string& stream, std::int64_t from_version) {
    std::lock_guard lock(mutex_);
    std::vector<event_record> out;
    const auto it = streams_.find(stream);
    if (it == streams_.end()) return out;
    for (const auto i : it->second)
        if (records_[i].version >= from_version) out.push_back(records_[i]);
    return out;
}

std::expected<std::vector<event_record>, std::error_code> partition_log::read_all(
    std::int64_t from_position, std::size_t max) {
    std::lock_guard lock(mutex_);
    std::vector<event_record> out;
    for (auto i = static_cast<std::size_t>(from_position < 1 ? 0 : from_position - 1);
         i < records_.size() && out.size() < max; ++i)
        out.push_back(records_[i]);
    return out;
}

std::int64_t partition_log::head() {
    std::lock_guard lock(mutex_);
    return static_cast<std::int64_t>(records_.size());
}

std::unique_ptr<subscription> partition_log::subscribe(
    std::int64_t from_position, std::function<void(const event_record&)> handler) {
    return std::make_unique<follower>(*this, from_position, std::move(handler));
}

}  // namespace bb::kafka
