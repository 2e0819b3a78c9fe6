#include "handlers/ingress/kafka_ingress.hpp"

#include <condition_variable>

#include <nlohmann/json.hpp>

namespace bb {

namespace {

struct delivery {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    RdKafka::ErrorCode err = RdKafka::ERR_NO_ERROR;
};

class delivery_reports final : public RdKafka::DeliveryReportCb {
  public:
    void dr_cb(RdKafka::Message& m) override {
        auto* d = static_cast<delivery*>(m.msg_opaque());
        if (!d) return;
        std::lock_guard lock(d->m);
        d->err = m.err();
        d->done = true;
        d->cv.notify_all();
    }
};

}  // namespace

std::expected<std::unique_ptr<kafka_ingress>, std::string> kafka_ingress::open(
    const kafka::settings& client, std::string topic, event_log& view) {
    auto s = client;
    s.insert(s.end(), {{"enable.idempotence", "true"},
                       {"acks", "all"},
                       {"linger.ms", "2"},
                       {"partitioner", java_compatible_partitioner}});
    auto conf = kafka::make_conf(s);
    if (!conf) return std::unexpected(conf.error());
    std::string err;
    // Every record carries its own delivery slot as its opaque; the callback fills it in.
    auto reports = std::make_unique<delivery_reports>();
    (*conf)->set("dr_cb", reports.get(), err);
    std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf->get(), err));
    if (!p) return std::unexpected("kafka producer: " + err);
    return std::make_unique<kafka_ingress>(std::move(reports), std::move(p), std::move(topic),
                                           view);
}

kafka_ingress::kafka_ingress(std::unique_ptr<RdKafka::DeliveryReportCb> reports,
                             std::unique_ptr<RdKafka::Producer> p, std::string topic,
                             event_log& view)
    : reports_(std::move(reports)),
      producer_(std::move(p)),
      topic_(std::move(topic)),
      view_(view),
      poller_([this] {
          while (!stop_) producer_->poll(50);
      }) {}

kafka_ingress::~kafka_ingress() {
    producer_->flush(10000);
    stop_ = true;
    poller_.join();
}

std::string kafka_ingress::key_for(const inbound::cloud_event& e, const inbound::command& c) {
    auto key = inbound::routing_key(e, c);
    const auto* cc = std::get_if<complaint_command>(&c);
    if (!cc) return key.empty() ? std::string("prevention") : key;
    const auto& id = command_target(*cc).value();
    std::lock_guard lock(customers_mutex_);
    if (!key.empty()) {
        if (customers_.size() > 100000) customers_.clear();
        customers_[id] = key;
        return key;
    }
    if (const auto it = customers_.find(id); it != customers_.end()) return it->second;
    if (const auto events = view_.read_stream(complaint_stream(complaint_id{id}), 1);
        events && !events->empty())
        return events->front().partition_key;
    return {};
}

submit_result kafka_ingress::produce(const inbound::cloud_event& e, const inbound::command& c,
                                     const command_meta& meta) {
    const auto key = key_for(e, c);
    if (key.empty()) {
        command_outcome refused{command_outcome::kind::rejected,
                                rejection{rejection_code::unknown_complaint,
                                          "the complaint is not known yet, so its customer's "
                                          "partition is not either; add the CloudEvents "
                                          "partitionkey attribute (the customer id)"},
                                0};
        if (!outcomes_topic_.empty() && meta.batch_size > 0) {
            // Best effort, not waited for: the sender has this answer already; the record lets
            // another instance give it too (the same shape the owners write).
            const auto body = nlohmann::json{{"correlation", meta.correlation_id},
                                             {"batch", std::to_string(meta.batch_index) + "/" +
                                                           std::to_string(meta.batch_size)},
                                             {"id", e.id},
                                             {"type", e.type},
                                             {"result", "rejected"},
                                             {"reason", std::string(to_string(refused.why->code))},
                                             {"detail", refused.why->detail}}
                                  .dump();
            producer_->produce(outcomes_topic_, RdKafka::Topic::PARTITION_UA,
                               RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(body.data()),
                               body.size(), meta.correlation_id.data(), meta.correlation_id.size(),
                               0, nullptr);
        }
        return refused;
    }
    const auto value = inbound::to_json(e).dump();
    delivery d;
    auto* headers = RdKafka::Headers::create();
    headers->add("content-type", "application/cloudevents+json");
    // A webhook delivery's events: the processor reports each one's outcome under the delivery.
    if (meta.batch_size > 0) {
        headers->add("bb_correlation", meta.correlation_id);
        headers->add("bb_batch",
                     std::to_string(meta.batch_index) + "/" + std::to_string(meta.batch_size));
    }
    // The span that took the event in: the owner's decision continues its trace (the W3C
    // Trace Context header name, as Kafka instrumentations use it). An event's own traceparent
    // attribute travels in the value and wins (meta_for already chose it).
    if (const auto tp = meta.trace.traceparent(); !tp.empty()) {
        headers->add("traceparent", tp);
        if (!meta.trace.state.empty()) headers->add("tracestate", meta.trace.state);
    }
    auto code = RdKafka::ERR__QUEUE_FULL;
    for (int attempt = 0; attempt < 100 && code == RdKafka::ERR__QUEUE_FULL; ++attempt) {
        code = producer_->produce(topic_, RdKafka::Topic::PARTITION_UA,
                                  RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                                  value.size(), key.data(), key.size(), 0, headers, &d);
        if (code == RdKafka::ERR__QUEUE_FULL)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (code != RdKafka::ERR_NO_ERROR) {
        delete headers;  // librdkafka owns them only after a successful produce
        return std::unexpected(make_error_code(log_errc::storage_failure));
    }
    std::unique_lock lock(d.m);
    if (!d.cv.wait_for(lock, std::chrono::seconds(30), [&] { return d.done; })) {
        // The record may still be delivered; the sender's retry is de-duplicated downstream by
        // the event's idempotency key. Keep `d` alive until librdkafka is done with it.
        lock.unlock();
        producer_->flush(60000);
        return std::unexpected(make_error_code(log_errc::storage_failure));
    }
    if (d.err != RdKafka::ERR_NO_ERROR)
        return std::unexpected(make_error_code(log_errc::storage_failure));
    return command_outcome{command_outcome::kind::applied, std::nullopt, 0};
}

complaint_lookup kafka_ingress::complaint(const complaint_id& id) const {
    return fold_complaint(view_, id);
}

}  // namespace bb
