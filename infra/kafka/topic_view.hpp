#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "infra/event_log.hpp"
#include "infra/hash_chain.hpp"
#include "infra/kafka/client.hpp"
#include "infra/kafka/record_index.hpp"

namespace bb::kafka {

// Every partition of `complaints.events` as a read_committed follower sees it: what the read
// side folds and the API reads (history, verification) on any instance, whoever owns the
// partitions. Read-only.
//
// With a store path (serve's <data-dir>/kafka/<topic>.view.db) the view is a SQLite copy of the
// topic: each batch of consumed records is inserted with the offsets it reaches in one
// transaction, so a restart resumes after the last stored offset of each partition instead of
// reading the topic again, and RAM holds none of it. Records then get a local *arrival
// sequence* (gapless, 1-based, per instance): read_all and subscribe deliver them in that order
// with `position` set to it, which is what the read side checkpoints; read_stream returns them
// as stored (their per-partition positions and hashes). Without a store (tools, tests) it keeps
// the records in memory, read_all returns nothing and a subscription delivers every record in
// arrival order from the first one (per-partition positions).
class topic_view final : public event_log {
  public:
    topic_view(settings client, std::string topic, std::string store_path = {});
    ~topic_view() override;

    std::expected<void, std::string> start();
    std::size_t size() const;
    // Once the view has every record that was in the topic when it started (its consumer's
    // position reached each partition's end as of then): how many records it held at that
    // moment; nothing before. A read side folded that far answers for the whole topic.
    std::optional<std::int64_t> caught_up() const;
    // Each partition's hash chain. With a store: the stored copy, each partition continued from
    // where the previous intact walk ended (a checkpoint in the copy), so a request hashes only
    // what arrived since; without one, the topic read from the beginning (verify_topic).
    std::expected<std::vector<chain_report>, std::string> verify();
    // Records in the topic the view has not copied yet (summed over partitions; from the
    // consumer's cached high watermarks, about once a second): the read side's lag before its own.
    std::int64_t records_behind() const { return behind_.load(); }
    // Why start() replaced the stored copy with a new one (empty when it did not).
    const std::string& replaced() const { return replaced_; }
    // Whether start() found no stored copy to resume (new, or replaced): arrival numbers then
    // start again at 1, and a checkpoint taken on an earlier copy means nothing.
    bool started_empty() const { return started_empty_; }

    std::expected<append_result, std::error_code> append(append_request) override;
    std::expected<std::vector<event_record>, std::error_code> read_stream(
        const std::string& stream, std::int64_t from_version) override;
    std::expected<std::vector<event_record>, std::error_code> read_all(std::int64_t,
                                                                       std::size_t) override;
    std::int64_t head() override;
    std::unique_ptr<subscription> subscribe(
        std::int64_t from_position, std::function<void(const event_record&)> handler) override;

  private:
    class store;
    class store_subscription;
    void run();
    void run_stored();
    std::expected<void, std::string> open_store(int partitions);

    settings client_;
    std::string topic_;
    std::string store_path_;
    std::unique_ptr<store> store_;
    std::string replaced_;
    bool started_empty_ = true;
    int partitions_ = 0;
    // Where each partition's reading started, until its end is known; then the end of each
    // partition (as first asked), still to be reached. The view's thread's.
    std::map<std::int32_t, std::int64_t> from_;
    std::map<std::int32_t, std::int64_t> to_reach_;
    void note_progress();
    void measure_behind();
    std::atomic<std::int64_t> behind_{0};
    std::chrono::steady_clock::time_point measured_{};
    std::atomic<std::int64_t> caught_up_at_{-1};
    record_index records_;
    std::atomic<bool> stop_{false};
    std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
    std::thread thread_;
};

// Verifies each partition's hash chain, reading the topic from the beginning. One report per
// partition.
std::expected<std::vector<chain_report>, std::string> verify_topic(const settings& client,
                                                                   const std::string& topic);

}  // namespace bb::kafka
