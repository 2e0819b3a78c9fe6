#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "infra/codec/cloudevent_codec.hpp"
#include "infra/event_log.hpp"
#include "infra/kafka/client.hpp"
#include "infra/kafka/partition_store.hpp"
#include "infra/kafka/record_index.hpp"
#include "infra/kafka/txn_producer.hpp"

namespace bb::kafka {

// One partition of `complaints.events` as an event log. The partition is the unit of order in
// Kafka, so positions and the hash chain are per partition: position n is the n-th domain event
// of the partition (transaction markers and aborted records take offsets but no position).
//
// Its owner is the only writer. Without a store it keeps the partition in memory (events,
// streams, request keys, last hash), loaded from the topic by `load`; with one (an owner with a
// data directory) everything lives in the partition_store, RAM holds nothing of it, and `load`
// adds the topic's tail to the store. An append produces into the owner's open
// transaction; when none is open, the append is a transaction of its own and returns once that
// committed. After an aborted transaction the owner throws the log away and loads it again.
class partition_log final : public event_log {
  public:
    // Without a producer the log is read-only (auditing): appends fail with log_errc::closed.
    partition_log(txn_producer* producer, std::string topic, std::int32_t partition,
                  std::unique_ptr<partition_store> store = nullptr);
    ~partition_log() override;

    // Adds a record read from the topic (on assignment, before any append). With a store,
    // records it already holds (by position) are skipped; one that does not continue its chain
    // is an error (the store is not this topic's: the caller rebuilds it).
    // `stream`, when given, is set to the record's stream when the record was added.
    std::expected<void, std::string> load(const record& r, std::string* stream = nullptr);
    // Reads the partition from the beginning into a new log.
    static std::expected<std::unique_ptr<partition_log>, std::string> open(txn_producer* producer,
                                                                           const settings& reader,
                                                                           const std::string& topic,
                                                                           std::int32_t partition);

    std::int32_t partition() const { return partition_; }
    partition_store* store() const { return store_.get(); }
    // The owner's Kafka transaction committed, with this partition's records up to `last_offset`
    // (nothing when it produced none here, or the offsets are unknown): the store commits too.
    std::expected<void, std::string> committed(std::optional<std::int64_t> last_offset);
    // Makes what committed() kept durable in the local store (nothing without one).
    std::expected<void, std::string> flush();
    // The stream's events here (its last version), 0 when it is not here.
    std::int64_t stream_size(const std::string& stream);

    std::expected<append_result, std::error_code> append(append_request request) override;
    // The same, with the stream's size as the caller just read it (owned_log).
    std::expected<append_result, std::error_code> append(append_request req,
                                                         std::int64_t stream_size);
    std::expected<std::vector<event_record>, std::error_code> read_stream(
        const std::string& stream, std::int64_t from_version) override;
    std::expected<std::vector<event_record>, std::error_code> read_all(std::int64_t from_position,
                                                                       std::size_t max) override;
    std::int64_t head() override;
    // Follows the events appended through this log (the writer's view); readers of other
    // instances follow the topic instead (topic_view).
    std::unique_ptr<subscription> subscribe(
        std::int64_t from_position, std::function<void(const event_record&)> handler) override;

  private:
    struct request_entry {
        std::string digest;
        std::int64_t first = 0, last = 0, version = 0;
    };
    void index(event_record r, const std::string& request_key, const std::string& digest);

    txn_producer* producer_;
    std::string topic_;
    std::int32_t partition_;
    std::mutex mutex_;  // one append (or load) at a time; guards requests_ and reader_
    codec::cloudevent_reader reader_;
    std::unordered_map<std::string, request_entry> requests_;
    std::unique_ptr<partition_store> store_;
    record_index records_;  // position - 1; last, so followers stop before the rest goes
};

// Kafka headers of a stored event (besides the CloudEvent in the value).
inline constexpr const char* request_key_header = "bb_request_key";
inline constexpr const char* request_digest_header = "bb_request_digest";

}  // namespace bb::kafka
