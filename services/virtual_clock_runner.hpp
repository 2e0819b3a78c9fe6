#pragma once

#include <map>
#include <string>
#include <unordered_map>

#include "handlers/ingress/cloudevent_decoder.hpp"
#include "services/command_service.hpp"
#include "services/deadline_queue.hpp"

namespace bb {

// Feeds inbound events through the command service with a virtual clock: before each event, it
// fires every deadline that falls due up to the event's time, each at its own instant. No wall
// clock anywhere: the same input gives the same log.
class virtual_clock_runner {
  public:
    struct stats {
        std::size_t events = 0, applied = 0, unchanged = 0, rejected = 0, invalid = 0, ticks = 0;
    };

    explicit virtual_clock_runner(command_service& commands);

    // Registers as the command service's deadline listener; call before
    // command_service::rebuild(), which announces every complaint's deadline.
    void attach();
    // One inbound event; storage errors are returned, rejections are counted.
    std::expected<command_outcome, std::error_code> feed(const inbound::cloud_event& e,
                                                         const std::string& correlation);
    // Fires every deadline up to `t`.
    std::expected<void, std::error_code> advance_to(instant t);
    instant now() const { return now_; }
    stats& counts() { return stats_; }

  private:
    void update(const complaint_id& id, std::optional<instant> next);

    command_service& commands_;
    deadline_queue queue_;
    instant now_{};
    stats stats_;
};

}  // namespace bb
