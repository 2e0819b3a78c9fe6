#pragma once

#include <atomic>
#include <cstdint>
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
// partitions. Read-only. Records keep their stored (per-partition) positions; there is no order
// across partitions, so read_all returns nothing and a subscription delivers every record in
// arrival order (per-partition order kept) from the first one, then follows.
class topic_view final : public event_log {
  public:
    topic_view(settings client, std::string topic);
    ~topic_view() override;

    std::expected<void, std::string> start();
    std::size_t size() const;

    std::expected<append_result, std::error_code> append(append_request) override;
    std::expected<std::vector<event_record>, std::error_code> read_stream(
        const std::string& stream, std::int64_t from_version) override;
    std::expected<std::vector<event_record>, std::error_code> read_all(std::int64_t,
                                                                       std::size_t) override;
    std::int64_t head() override;
    std::unique_ptr<subscription> subscribe(
        std::int64_t from_position, std::function<void(const event_record&)> handler) override;

  private:
    void run();

    settings client_;
    std::string topic_;
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
