#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "domain/policy.hpp"
#include "handlers/ingress/cloudevent_decoder.hpp"
#include "infra/kafka/client.hpp"
#include "infra/kafka/owned_log.hpp"
#include "infra/kafka/txn_producer.hpp"
#include "infra/metrics.hpp"
#include "services/command_service.hpp"
#include "services/deadline_queue.hpp"

namespace bb {

struct kafka_processor_options {
    kafka::settings client;  // bootstrap.servers and anything else every client shares
    std::string inbound_topic = "feedback.inbound";
    std::string events_topic = "complaints.events";
    std::string deadletter_topic = "feedback.deadletter";
    std::string group = "bounceback";
    std::string instance_id;  // stable per instance: its transactional id is <group>-<instance_id>
    // Records per transaction at most (a backlog fills it; a trickle waits max_wait at most).
    // A commit costs about the same for 10 records as for 10,000, and nothing is processed while
    // one is under way, so bigger batches mean fewer pauses; the whole batch must still be
    // processed well within transaction.timeout.ms, which max_txn_work ensures.
    std::size_t max_batch = 10000;
    std::chrono::milliseconds max_wait{50};
    // A transaction takes no further records once it has been open this long; the rest of the
    // batch goes into the next one. Without it a slow machine (a sanitizer build on a busy
    // CI box) outlives transaction.timeout.ms with every batch, the coordinator aborts each one,
    // and the instance rebuilds and retries the same batch for ever.
    std::chrono::milliseconds max_txn_work{kafka::transaction_timeout_ms / 4};
    std::size_t cached_streams = 100'000;  // storage.cached_streams
    // Where each owned partition's local store lives (<state_dir>/<events topic>-<p>.db); empty
    // keeps the owned partitions in memory, read from the topic at every assignment.
    std::string state_dir;
    std::optional<duration> future_tolerance;  // see command_service_options
    // Where the outcome of each event that came in a webhook delivery is written, in the same
    // transaction as its effects (empty: not written).
    std::string outcomes_topic{};
    // Called for each event read from the topic while owned partitions load (a progress hook;
    // the tests slow a load down with it). Empty: nothing.
    std::function<void()> load_observer{};
    // How often the local stores make the committed transactions durable (and whenever input
    // runs dry). A crash loses at most this much of the stores, read again from the topic.
    std::chrono::milliseconds store_flush_interval{1000};
};

// Checks that the inbound and event topics exist with the same partition count (a customer's
// inbound records and domain events must share a partition number). Returns that count.
std::expected<int, std::string> check_copartitioned(const kafka_processor_options& o);

// The distributed command side: a member of the consumer group on the inbound topic. For the
// partitions it is assigned it rebuilds state from the event topic, then loops: consume a batch,
// decide, produce the domain events (and dead letters) and the consumed offsets in one
// transaction, commit. Deadline ticks of owned complaints go through the same transaction.
class kafka_processor {
  public:
    enum class stop_reason { requested, fenced, failed };

    kafka_processor(kafka_processor_options o, const policy_book& book, metrics& m,
                    std::function<instant()> clock, std::function<void(const std::string&)> log);
    ~kafka_processor();

    // Runs until `stopping` is set (returns requested), the instance is fenced, or it cannot go on.
    stop_reason run(const std::atomic<bool>& stopping);
    // True once the current assignment is rebuilt and being processed.
    bool ready() const { return ready_; }

  private:
    enum class batch_result { committed, rewind, recreate, fenced };
    struct processed {
        batch_result result;
        std::size_t taken = 0;  // records of the batch the committed transaction covered
    };
    class rebalance_listener;

    std::expected<void, std::string> rebuild();
    std::expected<void, std::string> load(const std::vector<std::int32_t>& partitions,
                                          const char* verb);
    // Partitions through their local stores: open each (or start it again when it is damaged or
    // not this topic's), add the topic's tail, and hand the summaries to the command side.
    // Returns the number of tail events read.
    std::expected<std::size_t, std::string> load_stored(
        const std::vector<std::int32_t>& partitions);
    std::expected<std::map<std::int32_t, std::expected<std::size_t, std::string>>, std::string>
    replay_tails(const std::vector<kafka::partition_log*>& parts);
    std::string store_path(std::int32_t partition) const;
    bool extend(const std::vector<std::int32_t>& added, const std::atomic<bool>& stopping);
    bool move_incrementally(const std::vector<std::int32_t>& added,
                            const std::vector<std::int32_t>& removed,
                            const std::atomic<bool>& stopping);
    processed process(const std::vector<kafka::record>& batch);
    batch_result on_error(const kafka::txn_error& e, const std::string& during);
    // The outcome of a record that came in a webhook delivery, for its sender (outcomes topic).
    std::expected<void, kafka::txn_error> report(const kafka::record& r, const std::string& id,
                                                 const std::string& type, std::string_view result,
                                                 const std::string& reason,
                                                 const std::string& detail);
    std::expected<void, kafka::txn_error> dead_letter(const kafka::record& r,
                                                      const std::string& kind,
                                                      const std::string& reason);
    bool rewind();
    bool flush_stores(bool now);
    std::chrono::steady_clock::time_point flushed_{};
    bool restore(const std::atomic<bool>& stopping);
    bool open_producer(const std::string& txn_id, const std::atomic<bool>& stopping);

    kafka_processor_options o_;
    const policy_book& book_;
    metrics& metrics_;
    std::function<instant()> clock_;
    std::function<void(const std::string&)> say_;
    std::unique_ptr<rebalance_listener> listener_;
    std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
    std::unique_ptr<kafka::txn_producer> producer_;
    kafka::owned_log log_;
    command_service commands_;
    inbound::cloudevent_decoder decoder_;  // process()'s
    deadline_queue deadlines_;
    // The next inbound offset of each owned partition as last committed (sent again with every
    // transaction, see process()).
    std::map<std::int32_t, std::int64_t> positions_;
    std::atomic<bool> ready_{false};
    std::atomic<int> owned_{0};
    // Per owned inbound partition, records not consumed yet; measured by the processing thread
    // about once a second (measure_lag), read by /metrics.
    mutable std::mutex lag_mutex_;
    std::map<std::int32_t, std::int64_t> lag_;
    std::chrono::steady_clock::time_point lag_measured_{};
    void measure_lag();
    // A load (a lost store rebuilt from a long partition) may take longer than
    // max.poll.interval.ms; the group would evict a member that long without a poll, and the
    // load would start again for ever. Every second of loading the consumer polls with its
    // assignment paused (nothing is fetched), then loading goes on.
    void keep_membership();
    void end_keep_membership();
    std::chrono::steady_clock::time_point polled_{};
    bool paused_for_load_ = false;
    bool consumed_during_load_ = false;
};

}  // namespace bb
