// CLI tools for the distributed shape: publish inbound events, export a topic, verify the
// per-partition hash chains.
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "handlers/ingress/kafka_ingress.hpp"
#include "infra/kafka/client.hpp"
#include "infra/kafka/topic_view.hpp"

namespace bb::app {

namespace {

using nlohmann::json;

// A tool's client: --config, when given, brings the cluster's kafka.client properties (a
// cluster that needs TLS or SASL needs them for every client).
std::optional<kafka::settings> tool_client(const cli_args& args, const std::string& brokers) {
    if (!args.flag("config")) return cli_client(brokers, nullptr);
    const auto cfg = load(args);
    if (!cfg) return std::nullopt;
    return cli_client(brokers, &*cfg);
}

std::optional<std::string> brokers_of(const cli_args& args, const char* cmd) {
    if (const auto b = args.flag("kafka"); b && !b->empty()) return b;
    std::cerr << "bounceback " << cmd << ": --kafka HOSTS is required\n";
    return std::nullopt;
}

// The customer a line is about, read leniently so that invalid events keep their customer's
// partition too (they are dead-lettered there, next to the valid ones).
std::string key_of(const json& j) {
    if (!j.is_object()) return {};
    if (const auto d = j.find("data"); d != j.end() && d->is_object()) {
        if (const auto c = d->find("customer"); c != d->end()) {
            if (c->is_object() && c->contains("id") && (*c)["id"].is_string())
                return (*c)["id"].get<std::string>();
            if (c->is_string()) return c->get<std::string>();
        }
        if (const auto c = d->find("customer_id"); c != d->end() && c->is_string())
            return c->get<std::string>();
    }
    if (const auto k = j.find("partitionkey"); k != j.end() && k->is_string())
        return k->get<std::string>();
    return {};
}

// Counts what the broker refused: flush() returns once every record is either acknowledged or
// failed, so without this a record for a missing topic would count as published.
class delivery_failures final : public RdKafka::DeliveryReportCb {
  public:
    void dr_cb(RdKafka::Message& m) override {
        if (m.err() == RdKafka::ERR_NO_ERROR) return;
        if (count++ == 0) first = m.errstr();
    }
    std::size_t count = 0;
    std::string first;
};

}  // namespace

kafka_client cli_client(const std::string& brokers, const config* cfg) {
    kafka::settings s{
        {"bootstrap.servers", brokers}, {"client.id", "bounceback-cli"}, {"log_level", "4"}};
    if (cfg)
        s.insert(s.end(), cfg->kafka.client_properties.begin(), cfg->kafka.client_properties.end());
    return s;
}

std::expected<std::size_t, std::string> publish_lines(
    const kafka_client& client, const std::string& topic, bool binary,
    const std::function<bool(std::string&)>& next) {
    auto s = client;
    s.insert(s.end(), {{"enable.idempotence", "true"},
                       {"acks", "all"},
                       {"linger.ms", "20"},
                       {"partitioner", java_compatible_partitioner}});
    auto conf = kafka::make_conf(s);
    if (!conf) return std::unexpected(conf.error());
    delivery_failures failures;
    std::string err;
    if ((*conf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&failures), err) !=
        RdKafka::Conf::CONF_OK)
        return std::unexpected("dr_cb: " + err);
    const std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), err));
    if (!producer) return std::unexpected("kafka producer: " + err);
    // A topic that does not exist yet is waited for (serve --kafka may be creating it), up to
    // librdkafka's topic.metadata.propagation.max.ms (30 s); then its records fail, and are
    // counted below.
    auto& p = *producer;
    std::size_t n = 0;
    for (std::string line; next(line);) {
        if (line.empty()) continue;
        const auto j = json::parse(line, nullptr, false);
        const auto key = key_of(j);
        auto* headers = RdKafka::Headers::create();
        std::string value = line;
        if (binary && j.is_object() && j.contains("data")) {
            for (const auto& [k, v] : j.items())
                if (k != "data" && k != "datacontenttype")
                    headers->add("ce_" + k, v.is_string() ? v.get<std::string>() : v.dump());
            headers->add("content-type", "application/json");
            value = j["data"].dump();
        } else {
            headers->add("content-type", "application/cloudevents+json");
        }
        for (;;) {
            const auto code = p.produce(
                topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, value.data(),
                value.size(), key.empty() ? nullptr : key.data(), key.size(), 0, headers, nullptr);
            if (code == RdKafka::ERR_NO_ERROR) break;
            if (code != RdKafka::ERR__QUEUE_FULL) {
                delete headers;
                return std::unexpected(RdKafka::err2str(code));
            }
            p.poll(100);
        }
        p.poll(0);
        ++n;
    }
    if (p.flush(120000) != RdKafka::ERR_NO_ERROR || p.outq_len() > 0)
        return std::unexpected("not every record was acknowledged");
    if (failures.count > 0)
        return std::unexpected(std::to_string(failures.count) + " of " + std::to_string(n) +
                               " records were not delivered: " + failures.first +
                               " (serve --kafka creates its topics at start)");
    return n;
}

std::expected<void, std::string> wait_processed(const kafka_client& client,
                                                const std::string& group, const std::string& topic,
                                                std::chrono::seconds timeout) {
    auto s = client;
    s.insert(s.end(), {{"group.id", group},
                       {"enable.auto.commit", "false"},
                       {"isolation.level", "read_committed"}});
    auto consumer = kafka::make_consumer(s);
    if (!consumer) return std::unexpected(consumer.error());
    auto& c = **consumer;
    const auto n = kafka::partition_count(c, topic);
    if (!n) return std::unexpected(n.error());
    std::map<std::int32_t, std::int64_t> ends;
    for (int p = 0; p < *n; ++p) {
        std::int64_t low = 0, high = 0;
        if (const auto code = c.query_watermark_offsets(topic, p, &low, &high, 10000);
            code != RdKafka::ERR_NO_ERROR)
            return std::unexpected("the end of " + topic + ": " + RdKafka::err2str(code));
        if (high > low) ends[p] = high;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // Committed offsets are only learnt by asking: once a second, as `lag` would be run.
    while (!ends.empty()) {
        std::vector<RdKafka::TopicPartition*> parts;
        for (const auto& [p, _] : ends) parts.push_back(RdKafka::TopicPartition::create(topic, p));
        if (c.committed(parts, 10000) == RdKafka::ERR_NO_ERROR)
            for (const auto* tp : parts)
                if (tp->offset() >= ends[tp->partition()]) ends.erase(tp->partition());
        RdKafka::TopicPartition::destroy(parts);
        if (ends.empty()) break;
        if (std::chrono::steady_clock::now() > deadline) {
            c.close();
            return std::unexpected("group " + group + " has not processed " + topic +
                                   " to its end (is serve --kafka running?)");
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    c.close();
    return {};
}

// Each line of --input as one record: structured mode (the line is the value) or, with
// --mode binary, the attributes as ce_ headers and the data as the value.
int publish(const cli_args& args) {
    const auto brokers = brokers_of(args, "publish");
    const auto input = args.flag("input");
    if (!brokers || !input) {
        if (!input) std::cerr << "bounceback publish: --input FILE is required\n";
        return 2;
    }
    const auto client = tool_client(args, *brokers);
    if (!client) return 2;
    const auto topic = args.flag("topic").value_or("feedback.inbound");
    std::ifstream in(*input);
    if (!in) {
        std::cerr << "bounceback publish: cannot read " << *input << '\n';
        return 2;
    }
    const auto n =
        publish_lines(*client, topic, args.flag("mode").value_or("structured") == "binary",
                      [&](std::string& line) { return !!std::getline(in, line); });
    if (!n) {
        std::cerr << "bounceback publish: " << n.error() << '\n';
        return 1;
    }
    std::cerr << "published " << *n << " records to " << topic << '\n';
    return 0;
}

// The committed records of a topic (default: the domain events), partition by partition.
int export_topic(const cli_args& args) {
    const auto brokers = brokers_of(args, "export");
    if (!brokers) return 2;
    const auto topic = args.flag("topic").value_or("complaints.events");
    const auto tool = tool_client(args, *brokers);
    if (!tool) return 2;
    const auto& client = *tool;
    auto probe = kafka::make_producer(client);
    if (!probe) {
        std::cerr << "bounceback export: " << probe.error() << '\n';
        return 1;
    }
    const auto n = kafka::partition_count(**probe, topic);
    if (!n) {
        std::cerr << "bounceback export: " << n.error() << '\n';
        return 1;
    }
    for (int part = 0; part < *n; ++part) {
        const auto r = kafka::read_to_end(
            client, topic, {part}, [](kafka::record&& rec) { std::cout << rec.value << '\n'; });
        if (!r) {
            std::cerr << "bounceback export: " << r.error() << '\n';
            return 1;
        }
    }
    return 0;
}

int verify_topic(const cli_args& args) {
    const auto brokers = brokers_of(args, "verify");
    if (!brokers) return 2;
    const auto topic = args.flag("topic").value_or("complaints.events");
    const auto client = tool_client(args, *brokers);
    if (!client) return 2;
    const auto reports = kafka::verify_topic(*client, topic);
    if (!reports) {
        std::cerr << "bounceback verify: " << reports.error() << '\n';
        return 1;
    }
    bool ok = true;
    std::int64_t events = 0;
    for (std::size_t p = 0; p < reports->size(); ++p) {
        const auto& r = (*reports)[p];
        events += r.events;
        if (r.intact) continue;
        ok = false;
        std::cout << "FAIL partition " << p << " at position " << r.first_bad->position << " ("
                  << r.first_bad->stream << " v" << r.first_bad->version << "): " << r.problem
                  << '\n';
    }
    if (ok)
        std::cout << "OK: " << events << " events in " << reports->size()
                  << " partitions, every partition's hash chain intact\n";
    return ok ? 0 : 1;
}

// How far the consumer group is behind on the inbound topic: per partition, the committed offset
// (what exactly-once has made durable) and the end.
int lag(const cli_args& args) {
    const auto brokers = brokers_of(args, "lag");
    if (!brokers) return 2;
    const auto topic = args.flag("topic").value_or("feedback.inbound");
    const auto client = tool_client(args, *brokers);
    if (!client) return 2;
    auto s = *client;
    s.insert(s.end(), {{"group.id", args.flag("kafka-group").value_or("bounceback")},
                       {"enable.auto.commit", "false"},
                       {"isolation.level", "read_committed"}});
    auto consumer = kafka::make_consumer(s);
    if (!consumer) {
        std::cerr << "bounceback lag: " << consumer.error() << '\n';
        return 1;
    }
    auto& c = **consumer;
    const auto n = kafka::partition_count(c, topic);
    if (!n) {
        std::cerr << "bounceback lag: " << n.error() << '\n';
        return 1;
    }
    std::vector<RdKafka::TopicPartition*> parts;
    for (int p = 0; p < *n; ++p) parts.push_back(RdKafka::TopicPartition::create(topic, p));
    const auto code = c.committed(parts, 10000);
    json out{{"topic", topic}, {"partitions", json::array()}};
    std::int64_t total = 0;
    for (const auto* tp : parts) {
        std::int64_t low = 0, high = 0;
        c.query_watermark_offsets(topic, tp->partition(), &low, &high, 10000);
        const auto committed =
            code == RdKafka::ERR_NO_ERROR && tp->offset() >= 0 ? tp->offset() : low;
        total += high - committed;
        out["partitions"].push_back({{"partition", tp->partition()},
                                     {"committed", committed},
                                     {"end", high},
                                     {"lag", high - committed}});
    }
    RdKafka::TopicPartition::destroy(parts);
    c.close();
    out["lag"] = total;
    std::cout << out.dump() << '\n';
    return code == RdKafka::ERR_NO_ERROR ? 0 : 1;
}

}  // namespace bb::app
