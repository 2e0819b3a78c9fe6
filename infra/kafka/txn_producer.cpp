#include "infra/kafka/txn_producer.hpp"

#include <thread>

namespace bb::kafka {

txn_error classify(const RdKafka::Error& e) {
    const auto code = e.code();
    if (code == RdKafka::ERR__FENCED || code == RdKafka::ERR_PRODUCER_FENCED ||
        code == RdKafka::ERR_INVALID_PRODUCER_EPOCH || code == RdKafka::ERR_FENCED_INSTANCE_ID)
        return {txn_errc::fenced, e.str()};
    if (e.is_fatal()) return {txn_errc::fatal, e.str()};
    if (e.txn_requires_abort()) return {txn_errc::abortable, e.str()};
    if (e.is_retriable()) return {txn_errc::retriable, e.str()};
    return {txn_errc::abortable, e.str()};
}

namespace {
std::expected<void, txn_error> check(RdKafka::Error* raw) {
    std::unique_ptr<RdKafka::Error> e(raw);
    if (!e) return {};
    return std::unexpected(classify(*e));
}

// Retriable errors are retried here; everything else goes to the caller.
template <class F>
std::expected<void, txn_error> with_retries(F&& call) {
    for (int attempt = 0;; ++attempt) {
        auto r = check(call());
        if (r || r.error().code != txn_errc::retriable || attempt >= 20) return r;
        std::this_thread::sleep_for(std::chrono::milliseconds(100 * (attempt + 1)));
    }
}
}  // namespace

class txn_producer::delivery_tracker final : public RdKafka::DeliveryReportCb {
  public:
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> last;
    void dr_cb(RdKafka::Message& m) override {
        if (m.err() != RdKafka::ERR_NO_ERROR || m.offset() < 0) return;
        auto& o = last[{m.topic_name(), m.partition()}];
        o = std::max(o, m.offset());
    }
};

txn_producer::txn_producer(std::unique_ptr<delivery_tracker> t,
                           std::unique_ptr<RdKafka::Producer> p, int timeout_ms)
    : tracker_(std::move(t)), producer_(std::move(p)), timeout_ms_(timeout_ms) {}

txn_producer::~txn_producer() {
    producer_.reset();  // before the tracker it calls
}

std::optional<std::int64_t> txn_producer::delivered(const std::string& topic,
                                                    std::int32_t partition) const {
    const auto it = tracker_->last.find({topic, partition});
    if (it == tracker_->last.end()) return std::nullopt;
    return it->second;
}

std::expected<std::unique_ptr<txn_producer>, std::string> txn_producer::open(
    const settings& base, const std::string& transactional_id, int timeout_ms) {
    auto s = base;
    s.insert(s.end(), {{"transactional.id", transactional_id},
                       {"enable.idempotence", "true"},
                       {"acks", "all"},
                       {"linger.ms", "5"},
                       // Short, so a killed instance's open transaction stops blocking readers
                       // soon; the broker then aborts it (see docs/kafka.md).
                       {"transaction.timeout.ms", std::to_string(transaction_timeout_ms)}});
    auto conf = make_conf(s);
    if (!conf) return std::unexpected(conf.error());
    auto tracker = std::make_unique<delivery_tracker>();
    std::string err;
    if ((*conf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(tracker.get()), err) !=
        RdKafka::Conf::CONF_OK)
        return std::unexpected("dr_cb: " + err);
    std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), err));
    if (!producer) return std::unexpected("producer: " + err);
    auto out = std::make_unique<txn_producer>(std::move(tracker), std::move(producer), timeout_ms);
    // Fences an earlier incarnation with the same id and aborts whatever it left open.
    const auto init = with_retries([&] { return out->producer_->init_transactions(timeout_ms); });
    if (!init) return std::unexpected("init_transactions: " + init.error().message);
    return out;
}

std::expected<void, txn_error> txn_producer::begin() {
    if (auto r = check(producer_->begin_transaction()); !r) return r;
    tracker_->last.clear();
    in_txn_ = true;
    began_ = std::chrono::steady_clock::now();
    return {};
}

std::chrono::steady_clock::duration txn_producer::age() const {
    return in_txn_ ? std::chrono::steady_clock::now() - began_
                   : std::chrono::steady_clock::duration::zero();
}

bool txn_producer::outlived_timeout() const {
    return age() >= std::chrono::milliseconds(transaction_timeout_ms);
}

std::expected<void, txn_error> txn_producer::produce(const std::string& topic,
                                                     std::int32_t partition, const std::string& key,
                                                     const std::string& value,
                                                     const header_list& headers) {
    for (;;) {
        auto* h = RdKafka::Headers::create();
        for (const auto& [k, v] : headers) h->add(k, v.data(), v.size());
        const auto code = producer_->produce(topic, partition, RdKafka::Producer::RK_MSG_COPY,
                                             const_cast<char*>(value.data()), value.size(),
                                             key.data(), key.size(), 0, h, nullptr);
        if (code == RdKafka::ERR_NO_ERROR) return {};
        delete h;  // ownership passes to librdkafka only on success
        if (code == RdKafka::ERR__QUEUE_FULL) {
            producer_->poll(50);
            continue;
        }
        if (code == RdKafka::ERR__FENCED)
            return std::unexpected(txn_error{txn_errc::fenced, RdKafka::err2str(code)});
        if (code == RdKafka::ERR__FATAL)
            return std::unexpected(txn_error{txn_errc::fatal, RdKafka::err2str(code)});
        return std::unexpected(
            txn_error{txn_errc::abortable, "produce: " + RdKafka::err2str(code)});
    }
}

std::expected<void, txn_error> txn_producer::send_offsets(
    RdKafka::KafkaConsumer& consumer, const std::vector<RdKafka::TopicPartition*>& offsets) {
    std::unique_ptr<RdKafka::ConsumerGroupMetadata> group(consumer.groupMetadata());
    return with_retries(
        [&] { return producer_->send_offsets_to_transaction(offsets, group.get(), timeout_ms_); });
}

std::expected<void, txn_error> txn_producer::commit() {
    auto r = with_retries([&] { return producer_->commit_transaction(timeout_ms_); });
    if (r) in_txn_ = false;
    return r;
}

std::expected<void, txn_error> txn_producer::flush() {
    const auto code = producer_->flush(timeout_ms_);
    if (code == RdKafka::ERR_NO_ERROR) return {};
    return std::unexpected(txn_error{txn_errc::abortable, "flush: " + RdKafka::err2str(code)});
}

std::expected<void, txn_error> txn_producer::abort() {
    if (!in_txn_) return {};
    auto r = with_retries([&] { return producer_->abort_transaction(timeout_ms_); });
    in_txn_ = false;
    return r;
}

}  // namespace bb::kafka
