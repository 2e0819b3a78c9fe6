#pragma once

#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain/named_type.hpp"
#include "domain/time.hpp"

namespace bb {

// The next deadline of every complaint, earliest first. No clock: the owner asks what is due.
// Used by the serving scheduler, the Kafka processor and the virtual clock of `process`.
//
// One entry per open complaint, so it is laid out for memory: the id is stored once, as the
// key of the by-id map (whose nodes never move), and the time order refers to it.
class deadline_queue {
  public:
    void update(const complaint_id& id, std::optional<instant> next);
    std::optional<instant> next_of(const complaint_id& id) const;
    std::optional<instant> earliest() const;
    std::optional<std::pair<complaint_id, instant>> front() const;
    // The complaints whose deadline is at or before `now`, earliest first; they stay queued.
    std::vector<std::pair<complaint_id, instant>> due(instant now) const;
    // The same, removed from the queue.
    std::vector<std::pair<complaint_id, instant>> take_due(instant now);
    std::size_t size() const { return by_id_.size(); }
    void clear();

  private:
    struct earlier {
        bool operator()(const std::pair<instant, const std::string*>& a,
                        const std::pair<instant, const std::string*>& b) const {
            return a.first != b.first ? a.first < b.first : *a.second < *b.second;
        }
    };
    std::unordered_map<std::string, instant> by_id_;
    std::set<std::pair<instant, const std::string*>, earlier> by_time_;
};

}  // namespace bb
