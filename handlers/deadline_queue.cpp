#include "handlers/deadline_queue.hpp"

namespace bb {

void deadline_queue::update(const complaint_id& id, std::optional<instant> next) {
    if (const auto it = by_id_.find(id); it != by_id_.end()) {
        by_time_.erase({it->second, id});
        by_id_.erase(it);
    }
    if (!next) return;
    by_id_.emplace(id, *next);
    by_time_.emplace(*next, id);
}

std::vector<std::pair<complaint_id, instant>> deadline_queue::take_due(instant now) {
    std::vector<std::pair<complaint_id, instant>> out;
    while (!by_time_.empty() && by_time_.begin()->first <= now) {
        auto [at, id] = *by_time_.begin();
        by_time_.erase(by_time_.begin());
        by_id_.erase(id);
        out.emplace_back(std::move(id), at);
    }
    return out;
}

void deadline_queue::clear() {
    by_id_.clear();
    by_time_.clear();
}

}  // namespace bb
