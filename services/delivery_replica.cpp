#include "services/delivery_replica.hpp"

#include <nlohmann/json.hpp>

#include "infra/iso8601.hpp"

namespace bb {

using nlohmann::json;

delivery_replica::delivery_replica(kafka::settings client, std::string topic, std::string instance,
                                   outbound::delivery_store& store,
                                   std::function<void(const std::string&)> log,
                                   std::function<void()> changed)
    : client_(std::move(client)),
      topic_(std::move(topic)),
      instance_(std::move(instance)),
      store_(store),
      log_(std::move(log)),
      changed_(std::move(changed)) {}

delivery_replica::~delivery_replica() {
    stop();
}

std::string delivery_replica::encode(const outbound::delivery_record& r) const {
    return json{{"origin", instance_},
                {"subscription", r.subscription},
                {"webhook_id", r.webhook_id},
                {"partition", r.partition},
                {"position", r.position},
                {"event_type", r.event_type},
                {"stream", r.stream},
                {"status", std::string(outbound::to_string(r.status))},
                {"attempts", r.attempts},
                {"last_status", r.last_status},
                {"last_error", r.last_error},
                {"created_at", iso8601::format_instant(r.created_at)},
                {"updated_at", iso8601::format_instant(r.updated_at)}}
        .dump();
}

std::string delivery_replica::encode(const std::string& subscription,
                                     const outbound::subscription_state& s) const {
    return json{{"origin", instance_},
                {"subscription", subscription},
                {"disabled", s.disabled},
                {"reason", s.disabled_reason}}
        .dump();
}

std::expected<void, std::string> delivery_replica::start() {
    auto p = client_;
    p.insert(p.end(), {{"enable.idempotence", "true"}, {"acks", "all"}, {"linger.ms", "5"}});
    auto producer = kafka::make_producer(p);
    if (!producer) return std::unexpected(producer.error());
    producer_ = std::move(*producer);
    auto s = client_;
    s.insert(s.end(), {{"group.id", "bounceback-deliveries"},  // assign only: never joins
                       {"enable.auto.commit", "false"},
                       {"enable.auto.offset.store", "false"}});
    auto c = kafka::make_consumer(s);
    if (!c) return std::unexpected(c.error());
    consumer_ = std::move(*c);
    const auto n = kafka::partition_count(*consumer_, topic_);
    if (!n) return std::unexpected(n.error());
    const auto offsets = store_.replica_offsets(topic_);
    std::vector<RdKafka::TopicPartition*> parts;
    for (int i = 0; i < *n; ++i) {
        const auto it = offsets.find(i);
        parts.push_back(RdKafka::TopicPartition::create(
            topic_, i, it != offsets.end() ? it->second : RdKafka::Topic::OFFSET_BEGINNING));
    }
    const auto code = consumer_->assign(parts);
    RdKafka::TopicPartition::destroy(parts);
    if (code != RdKafka::ERR_NO_ERROR)
        return std::unexpected("assigning " + topic_ + ": " + RdKafka::err2str(code));
    store_.set_listener({[this](const outbound::delivery_record& r) {
                             publish("d/" + r.subscription + "/" + r.webhook_id, encode(r));
                         },
                         [this](const std::string& sub, const outbound::subscription_state& st) {
                             publish("s/" + sub, encode(sub, st));
                         }});
    thread_ = std::thread([this] { run(); });
    return {};
}

void delivery_replica::stop() {
    // Called once nothing else changes the store (the dispatcher and the HTTP server stopped).
    if (producer_) store_.set_listener({});
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    if (consumer_) consumer_->close();
    consumer_.reset();
    if (producer_) producer_->flush(10000);
    producer_.reset();
}

void delivery_replica::publish(const std::string& key, const std::string& value) {
    // Asynchronous: the local record is already durable; the other instances learn of it once
    // the broker has it (a crash before that loses only the other instances' copy).
    const auto code = producer_->produce(
        topic_, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, nullptr);
    if (code != RdKafka::ERR_NO_ERROR)
        log_("deliveries: cannot publish " + key + ": " + RdKafka::err2str(code));
    producer_->poll(0);
}

void delivery_replica::run() {
    std::vector<outbound::delivery_store::replica_change> batch;
    while (!stopping_) {
        // What has arrived, up to 1000 records, applied in one transaction: one sync for many
        // (each record alone cost a sync, ~1.5 ms: docs/benchmarks.md).
        batch.clear();
        for (int wait = 200; batch.size() < 1000; wait = 0) {
            std::unique_ptr<RdKafka::Message> m(consumer_->consume(wait));
            if (m->err() == RdKafka::ERR_NO_ERROR) {
                const auto r = kafka::to_record(*m);
                if (auto c = change_of(r))
                    batch.push_back(std::move(*c));
                else
                    log_("deliveries: not a delivery record at " + topic_ + "/" +
                         std::to_string(r.partition) + "@" + std::to_string(r.offset));
                continue;
            }
            if (m->err() != RdKafka::ERR__TIMED_OUT && m->err() != RdKafka::ERR__PARTITION_EOF)
                log_("deliveries: " + m->errstr());
            break;
        }
        if (!batch.empty()) {
            store_.apply_replicas(batch, topic_);
            if (changed_) changed_();
        }
        producer_->poll(0);
    }
}

std::optional<outbound::delivery_store::replica_change> delivery_replica::change_of(
    const kafka::record& r) {
    const auto j = json::parse(r.value, nullptr, false);
    const auto text = [&](const char* k) {
        return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string{};
    };
    const auto number = [&](const char* k) -> std::int64_t {
        return j.contains(k) && j[k].is_number_integer() ? j[k].get<std::int64_t>() : 0;
    };
    if (!j.is_object() || text("subscription").empty()) return std::nullopt;
    outbound::delivery_store::replica_change c;
    c.partition = r.partition;
    c.next_offset = r.offset + 1;
    if (r.key.starts_with("s/")) {
        c.subscription = text("subscription");
        c.disabled =
            j.contains("disabled") && j["disabled"].is_boolean() && j["disabled"].get<bool>();
        c.reason = text("reason");
        return c;
    }
    outbound::delivery_record d;
    d.subscription = text("subscription");
    d.webhook_id = text("webhook_id");
    d.partition = static_cast<std::int32_t>(number("partition"));
    d.position = number("position");
    d.event_type = text("event_type");
    d.stream = text("stream");
    d.status =
        outbound::parse_delivery_status(text("status")).value_or(outbound::delivery_status::failed);
    d.attempts = static_cast<int>(number("attempts"));
    d.last_status = static_cast<int>(number("last_status"));
    d.last_error = text("last_error");
    d.created_at = iso8601::parse_instant(text("created_at")).value_or(instant{});
    d.updated_at = iso8601::parse_instant(text("updated_at")).value_or(instant{});
    c.record = std::move(d);
    return c;
}

}  // namespace bb
