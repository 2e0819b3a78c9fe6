#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "infra/kafka/partition_log.hpp"

namespace bb::kafka {

// The partitions one instance owns, as the command side's event log. A stream lives in the
// partition where it began: appends to a known stream go to its partition, a new stream goes
// to the partition of the inbound record being processed (`route_new_streams_to`), which is
// the customer's partition because inbound records are keyed by customer id.
//
// There is no order across partitions, so read_all/head/subscribe are not offered here: the
// command side loads each partition_log on assignment, and readers follow the topic.
class owned_log final : public event_log {
  public:
    void add(std::unique_ptr<partition_log> log);
    // Closes one partition (revoked); nothing when it is not held.
    void remove(std::int32_t partition) {
        found_.reset();
        logs_.erase(partition);
    }
    void clear() {
        found_.reset();
        logs_.clear();
    }
    const std::map<std::int32_t, std::unique_ptr<partition_log>>& partitions() const {
        return logs_;
    }
    void route_new_streams_to(std::int32_t partition) { current_ = partition; }

    std::expected<append_result, std::error_code> append(append_request request) override;
    std::expected<std::vector<event_record>, std::error_code> read_stream(
        const std::string& stream, std::int64_t from_version) override;
    std::expected<std::vector<event_record>, std::error_code> read_all(std::int64_t,
                                                                       std::size_t) override;
    std::int64_t head() override { return 0; }
    std::unique_ptr<subscription> subscribe(std::int64_t,
                                            std::function<void(const event_record&)>) override;

  private:
    struct found {
        std::string stream;
        partition_log* log = nullptr;  // none: a new stream
        std::int64_t size = 0;
    };
    found find(const std::string& stream);
    std::map<std::int32_t, std::unique_ptr<partition_log>> logs_;
    // The last stream looked for, until it is appended to: the command side reads a stream and
    // then appends to it, and a new stream is otherwise looked for in every owned partition twice.
    std::optional<found> found_;
    std::int32_t current_ = -1;
};

}  // namespace bb::kafka
