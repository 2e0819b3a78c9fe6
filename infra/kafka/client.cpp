#include "infra/kafka/client.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include <librdkafka/rdkafka.h>

namespace bb::kafka {

std::expected<std::unique_ptr<RdKafka::Conf>, std::string> make_conf(const settings& s) {
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::string err;
    for (const auto& [k, v] : s)
        if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK)
            return std::unexpected("kafka setting " + k + ": " + err);
    return conf;
}

std::expected<std::unique_ptr<RdKafka::KafkaConsumer>, std::string> make_consumer(
    const settings& s) {
    auto conf = make_conf(s);
    if (!conf) return std::unexpected(conf.error());
    std::string err;
    std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf->get(), err));
    if (!c) return std::unexpected("kafka consumer: " + err);
    return c;
}

std::expected<std::unique_ptr<RdKafka::Producer>, std::string> make_producer(const settings& s) {
    auto conf = make_conf(s);
    if (!conf) return std::unexpected(conf.error());
    std::string err;
    std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf->get(), err));
    if (!p) return std::unexpected("kafka producer: " + err);
    return p;
}

std::expected<int, std::string> partition_count(RdKafka::Handle& h, const std::string& topic,
                                                int timeout_ms) {
    std::string err;
    std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(&h, topic, nullptr, err));
    if (!t) return std::unexpected("topic " + topic + ": " + err);
    RdKafka::Metadata* raw = nullptr;
    const auto code = h.metadata(false, t.get(), &raw, timeout_ms);
    std::unique_ptr<RdKafka::Metadata> md(raw);
    if (code != RdKafka::ERR_NO_ERROR)
        return std::unexpected("metadata for topic " + topic + ": " + RdKafka::err2str(code));
    for (const auto* tm : *md->topics()) {
        if (tm->topic() != topic) continue;
        if (tm->err() != RdKafka::ERR_NO_ERROR)
            return std::unexpected("topic " + topic + ": " + RdKafka::err2str(tm->err()));
        return static_cast<int>(tm->partitions()->size());
    }
    return std::unexpected("topic " + topic + " does not exist");
}

replication resolve(replication r, int brokers) {
    brokers = std::max(brokers, 1);
    if (r.factor <= 0) r.factor = std::min(3, brokers);
    if (r.min_insync <= 0) r.min_insync = std::min(2, r.factor);
    return r;
}

std::expected<int, std::string> broker_count(RdKafka::Handle& h, int timeout_ms) {
    RdKafka::Metadata* raw = nullptr;
    const auto code = h.metadata(false, nullptr, &raw, timeout_ms);
    std::unique_ptr<RdKafka::Metadata> md(raw);
    if (code != RdKafka::ERR_NO_ERROR)
        return std::unexpected("cluster metadata: " + RdKafka::err2str(code));
    return static_cast<int>(md->brokers()->size());
}

std::expected<void, std::string> ensure_topics(const std::string& brokers,
                                               const std::vector<topic_spec>& topics,
                                               replication r) {
    return ensure_topics(settings{{"bootstrap.servers", brokers}}, topics, r);
}

std::expected<void, std::string> ensure_topics(const settings& client,
                                               const std::vector<topic_spec>& topics,
                                               replication r) {
    auto producer = make_producer(client);
    if (!producer) return std::unexpected(producer.error());
    std::vector<const topic_spec*> missing;
    for (const auto& t : topics)
        if (!partition_count(**producer, t.name)) missing.push_back(&t);
    if (missing.empty()) return {};
    const auto brokers = broker_count(**producer);
    if (!brokers) return std::unexpected(brokers.error());
    const auto rf = resolve(r, *brokers);
    if (rf.factor > *brokers)
        return std::unexpected("replication factor " + std::to_string(rf.factor) + " needs " +
                               std::to_string(rf.factor) + " brokers; the cluster has " +
                               std::to_string(*brokers));

    // The C++ API has no admin client; the C one works on the same handle.
    rd_kafka_t* rk = (*producer)->c_ptr();
    char err[512];
    std::vector<rd_kafka_NewTopic_t*> news;
    for (const auto* t : missing) {
        auto* nt =
            rd_kafka_NewTopic_new(t->name.c_str(), t->partitions, rf.factor, err, sizeof err);
        if (!nt) {
            for (auto* n : news) rd_kafka_NewTopic_destroy(n);
            return std::unexpected("topic " + t->name + ": " + err);
        }
        news.push_back(nt);
        auto configs = t->configs;
        configs.emplace_back("min.insync.replicas", std::to_string(rf.min_insync));
        for (const auto& [k, v] : configs)
            if (rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str()) !=
                RD_KAFKA_RESP_ERR_NO_ERROR) {
                for (auto* n : news) rd_kafka_NewTopic_destroy(n);
                return std::unexpected("topic " + t->name + ": config " + k);
            }
    }
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, news.data(), news.size(), nullptr, queue);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, 30000);
    std::string failure;
    if (!ev) {
        failure = "creating topics timed out";
    } else if (const auto* res = rd_kafka_event_CreateTopics_result(ev)) {
        std::size_t n = 0;
        const auto** results = rd_kafka_CreateTopics_result_topics(res, &n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto code = rd_kafka_topic_result_error(results[i]);
            if (code != RD_KAFKA_RESP_ERR_NO_ERROR &&
                code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                failure += std::string(rd_kafka_topic_result_name(results[i])) + ": " +
                           rd_kafka_err2str(code) + "; ";
        }
    } else {
        failure = rd_kafka_event_error_string(ev);
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(queue);
    for (auto* n : news) rd_kafka_NewTopic_destroy(n);
    if (!failure.empty()) return std::unexpected("creating topics: " + failure);
    // A created topic shows in metadata (with leaders) a moment later; callers count partitions
    // right away, so wait until it does.
    for (int attempt = 0; attempt < 150; ++attempt) {
        bool visible = true;
        for (const auto* t : missing)
            if (!partition_count(**producer, t->name, 2000)) visible = false;
        if (visible) return {};
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::unexpected("created topics did not appear in the cluster's metadata");
}

std::expected<std::vector<std::pair<std::string, std::string>>, std::string> topic_config(
    const settings& client, const std::string& topic) {
    auto producer = make_producer(client);
    if (!producer) return std::unexpected(producer.error());
    rd_kafka_t* rk = (*producer)->c_ptr();
    auto* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    rd_kafka_DescribeConfigs(rk, &resource, 1, nullptr, queue);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, 30000);
    std::vector<std::pair<std::string, std::string>> out;
    std::string failure;
    if (!ev) {
        failure = "describing topic " + topic + " timed out";
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        failure = "describing topic " + topic + ": " + rd_kafka_event_error_string(ev);
    } else if (const auto* res = rd_kafka_event_DescribeConfigs_result(ev)) {
        std::size_t n = 0;
        const auto** resources = rd_kafka_DescribeConfigs_result_resources(res, &n);
        for (std::size_t i = 0; i < n; ++i) {
            if (rd_kafka_ConfigResource_error(resources[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                failure =
                    "topic " + topic + ": " + rd_kafka_ConfigResource_error_string(resources[i]);
                break;
            }
            std::size_t m = 0;
            const auto** entries = rd_kafka_ConfigResource_configs(resources[i], &m);
            for (std::size_t j = 0; j < m; ++j) {
                const char* value = rd_kafka_ConfigEntry_value(entries[j]);
                out.emplace_back(rd_kafka_ConfigEntry_name(entries[j]), value ? value : "");
            }
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(queue);
    rd_kafka_ConfigResource_destroy(resource);
    if (!failure.empty()) return std::unexpected(failure);
    return out;
}

std::optional<std::string> record::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (k == name) return v;
    return std::nullopt;
}

record to_record(const RdKafka::Message& m) {
    record r;
    r.partition = m.partition();
    r.offset = m.offset();
    if (m.key()) r.key = *m.key();
    if (m.payload()) r.value.assign(static_cast<const char*>(m.payload()), m.len());
    if (const auto* h = const_cast<RdKafka::Message&>(m).headers()) {
        for (const auto& hd : h->get_all())
            r.headers.emplace_back(
                hd.key(), hd.value()
                              ? std::string(static_cast<const char*>(hd.value()), hd.value_size())
                              : std::string{});
    }
    return r;
}

namespace {
// A consumer that reads assigned partitions as a read_committed reader sees them, joins no group
// and commits nothing.
settings reader_settings(const settings& base) {
    auto s = base;
    s.insert(s.end(), {{"group.id", "bounceback-reader"},
                       {"enable.auto.commit", "false"},
                       {"enable.auto.offset.store", "false"},
                       {"isolation.level", "read_committed"},
                       {"enable.partition.eof", "true"}});
    return s;
}

std::expected<std::size_t, std::string> read_from(const settings& base, const std::string& topic,
                                                  const std::map<std::int32_t, std::int64_t>& from,
                                                  const std::function<void(record&&)>& f,
                                                  int timeout_ms) {
    if (from.empty()) return 0;
    const auto s = reader_settings(base);
    auto consumer = make_consumer(s);
    if (!consumer) return std::unexpected(consumer.error());
    auto& c = **consumer;
    // The end is the high watermark, asked for with read_uncommitted isolation: the last stable
    // offset would stop short of a transaction that committed but whose markers are not written
    // yet, and a new partition owner would miss its predecessor's last events. Records of open
    // transactions are waited for until they commit or abort (the transaction timeout bounds it).
    auto hw = s;
    hw.push_back({"isolation.level", "read_uncommitted"});
    hw.push_back({"group.id", "bounceback-watermarks"});
    auto watermarks = make_consumer(hw);
    if (!watermarks) return std::unexpected(watermarks.error());
    std::map<std::int32_t, std::int64_t> end;
    std::vector<RdKafka::TopicPartition*> assignment;
    for (const auto& [p, start] : from)
        assignment.push_back(RdKafka::TopicPartition::create(topic, p, start));
    const auto code = c.assign(assignment);
    RdKafka::TopicPartition::destroy(assignment);
    if (code != RdKafka::ERR_NO_ERROR)
        return std::unexpected("assigning " + topic + ": " + RdKafka::err2str(code));
    for (const auto& [p, start] : from) {
        std::int64_t low = 0, high = 0;
        const auto q = (*watermarks)->query_watermark_offsets(topic, p, &low, &high, 10000);
        if (q != RdKafka::ERR_NO_ERROR)
            return std::unexpected("offsets of " + topic + "/" + std::to_string(p) + ": " +
                                   RdKafka::err2str(q));
        if (start >= 0 && (start > high || start < low))
            return std::unexpected(topic + "/" + std::to_string(p) + " holds offsets " +
                                   std::to_string(low) + ".." + std::to_string(high) + ", not " +
                                   std::to_string(start));
        if (high > std::max(low, start)) end[p] = high;
    }
    (*watermarks)->close();
    std::size_t count = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!end.empty()) {
        if (std::chrono::steady_clock::now() > deadline) {
            c.close();
            return std::unexpected("reading " + topic + " did not reach the end in time");
        }
        std::unique_ptr<RdKafka::Message> m(c.consume(200));
        if (m->err() == RdKafka::ERR_NO_ERROR) {
            ++count;
            f(to_record(*m));
        } else if (m->err() != RdKafka::ERR__TIMED_OUT && m->err() != RdKafka::ERR__PARTITION_EOF) {
            c.close();
            return std::unexpected("reading " + topic + ": " + m->errstr());
        }
        // Transaction markers and aborted records take offsets too: compare positions, not counts.
        std::vector<RdKafka::TopicPartition*> pos;
        for (const auto& [p, _] : end) pos.push_back(RdKafka::TopicPartition::create(topic, p));
        c.position(pos);
        for (const auto* tp : pos)
            if (tp->offset() >= 0 && tp->offset() >= end[tp->partition()])
                end.erase(tp->partition());
        RdKafka::TopicPartition::destroy(pos);
    }
    c.close();
    return count;
}
}  // namespace

std::expected<std::size_t, std::string> read_to_end(const settings& base, const std::string& topic,
                                                    const std::vector<std::int32_t>& partitions,
                                                    const std::function<void(record&&)>& f,
                                                    int timeout_ms) {
    std::map<std::int32_t, std::int64_t> from;
    for (const auto p : partitions) from[p] = RdKafka::Topic::OFFSET_BEGINNING;
    return read_from(base, topic, from, f, timeout_ms);
}

std::expected<std::size_t, std::string> read_tails(const settings& base, const std::string& topic,
                                                   const std::map<std::int32_t, std::int64_t>& from,
                                                   const std::function<void(record&&)>& f,
                                                   int timeout_ms) {
    return read_from(base, topic, from, f, timeout_ms);
}

std::expected<record, std::string> read_at(const settings& base, const std::string& topic,
                                           std::int32_t partition, std::int64_t offset,
                                           int timeout_ms) {
    auto consumer = make_consumer(reader_settings(base));
    if (!consumer) return std::unexpected(consumer.error());
    auto& c = **consumer;
    const auto where = topic + "/" + std::to_string(partition) + "@" + std::to_string(offset);
    std::vector<RdKafka::TopicPartition*> assignment{
        RdKafka::TopicPartition::create(topic, partition, offset)};
    const auto code = c.assign(assignment);
    RdKafka::TopicPartition::destroy(assignment);
    if (code != RdKafka::ERR_NO_ERROR)
        return std::unexpected("assigning " + where + ": " + RdKafka::err2str(code));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        std::unique_ptr<RdKafka::Message> m(c.consume(200));
        if (m->err() == RdKafka::ERR_NO_ERROR) {
            // The offset may hold a transaction marker or an aborted record: then the next
            // committed record comes back, which is not the one asked for.
            auto r = to_record(*m);
            c.close();
            if (r.offset != offset) return std::unexpected("no committed record at " + where);
            return r;
        }
        if (m->err() == RdKafka::ERR__PARTITION_EOF) break;
        if (m->err() != RdKafka::ERR__TIMED_OUT) {
            c.close();
            return std::unexpected("reading " + where + ": " + m->errstr());
        }
    }
    c.close();
    return std::unexpected("no committed record at " + where);
}

std::map<std::int32_t, std::int64_t> consumer_lag(RdKafka::KafkaConsumer& consumer) {
    std::map<std::int32_t, std::int64_t> lag;
    std::vector<RdKafka::TopicPartition*> parts;
    if (consumer.assignment(parts) != RdKafka::ERR_NO_ERROR) return lag;
    if (consumer.position(parts) == RdKafka::ERR_NO_ERROR)
        for (const auto* tp : parts) {
            std::int64_t low = 0, high = 0;
            if (consumer.get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) !=
                RdKafka::ERR_NO_ERROR)
                continue;
            const auto at = tp->offset() >= 0 ? tp->offset() : low;
            lag[tp->partition()] = std::max<std::int64_t>(high - at, 0);
        }
    RdKafka::TopicPartition::destroy(parts);
    return lag;
}

}  // namespace bb::kafka
