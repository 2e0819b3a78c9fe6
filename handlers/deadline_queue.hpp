#pragma once

#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "domain/named_type.hpp"
#include "domain/time.hpp"

namespace bb {

// The next deadline of every complaint, earliest first. No clock: the owner asks what is due.
class deadline_queue {
  public:
    void update(const complaint_id& id, std::optional<instant> next);
    // Removes and returns the complaints whose deadline is at or before `now`.
    std::vector<std::pair<complaint_id, instant>> take_due(instant now);
    std::size_t size() const { return by_id_.size(); }
    void clear();

  private:
    std::map<complaint_id, instant> by_id_;
    std::set<std::pair<instant, complaint_id>> by_time_;
};

}  // namespace bb
