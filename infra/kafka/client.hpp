#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

namespace bb::kafka {

// librdkafka properties, applied in order; later ones win.
using settings = std::vector<std::pair<std::string, std::string>>;

std::expected<std::unique_ptr<RdKafka::Conf>, std::string> make_conf(const settings& s);
std::expected<std::unique_ptr<RdKafka::KafkaConsumer>, std::string> make_consumer(
    const settings& s);
std::expected<std::unique_ptr<RdKafka::Producer>, std::string> make_producer(const settings& s);

// The partition count of a topic, or an error naming the topic when it does not exist.
std::expected<int, std::string> partition_count(RdKafka::Handle& h, const std::string& topic,
                                                int timeout_ms = 10000);

struct topic_spec {
    std::string name;
    int partitions = 6;
    // Topic-level settings it is created with (retention.ms, min.insync.replicas, ...).
    settings configs{};
};
// How created topics are replicated: 0 asks for what the cluster can give.
struct replication {
    int factor = 0;      // 0: min(3, brokers in the cluster)
    int min_insync = 0;  // min.insync.replicas; 0: min(2, brokers)
};
// The factors `r` asks for on a cluster of `brokers` brokers.
replication resolve(replication r, int brokers);

// Creates the topics that do not exist yet, replicated as `r` resolves on the cluster, each
// with its own configs plus min.insync.replicas. `client`: bootstrap.servers and the security
// properties every client of the service gets.
std::expected<void, std::string> ensure_topics(const settings& client,
                                               const std::vector<topic_spec>& topics,
                                               replication r = {});
std::expected<void, std::string> ensure_topics(const std::string& brokers,
                                               const std::vector<topic_spec>& topics,
                                               replication r = {});
// The number of brokers the cluster's metadata lists.
std::expected<int, std::string> broker_count(RdKafka::Handle& h, int timeout_ms = 10000);
// A topic's configuration as the broker reports it (DescribeConfigs): every entry, defaults
// included.
std::expected<std::vector<std::pair<std::string, std::string>>, std::string> topic_config(
    const settings& client, const std::string& topic);

// A record as read from a topic, with what the log needs of its Kafka envelope.
struct record {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string key;
    std::string value;
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::string> header(std::string_view name) const;
};
record to_record(const RdKafka::Message& m);

// Reads partitions from the beginning up to their end as a read_committed reader sees it
// (committed transactions only), calling `f` for each record in offset order per partition.
// Returns the number of records, or an error after `timeout_ms` without reaching the end.
std::expected<std::size_t, std::string> read_to_end(const settings& base, const std::string& topic,
                                                    const std::vector<std::int32_t>& partitions,
                                                    const std::function<void(record&&)>& f,
                                                    int timeout_ms = 120000);
// The same for partitions from the given offsets on (stores' tails). An offset past the end
// is an error (the topic is not the one the caller's offset came from), as is one before the
// start (the records it needs were deleted).
std::expected<std::size_t, std::string> read_tails(const settings& base, const std::string& topic,
                                                   const std::map<std::int32_t, std::int64_t>& from,
                                                   const std::function<void(record&&)>& f,
                                                   int timeout_ms = 120000);

// The committed record at one offset (a redelivery's event), or an error when that offset holds
// none (a transaction marker, an aborted record, past the end).
std::expected<record, std::string> read_at(const settings& base, const std::string& topic,
                                           std::int32_t partition, std::int64_t offset,
                                           int timeout_ms = 10000);

// Per assigned partition, the records the consumer has not consumed yet: its cached high
// watermark (no request to the broker) minus its position. Empty when the assignment cannot be
// read.
std::map<std::int32_t, std::int64_t> consumer_lag(RdKafka::KafkaConsumer& consumer);

}  // namespace bb::kafka
