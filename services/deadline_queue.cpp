#include "services/deadline_queue.hpp"

namespace bb {

void deadline_queue::update(const complaint_id& id, std::optional<instant> next) {
    const auto it = by_id_.find(id.value());
    if (it != by_id_.end()) {
        if (next == it->second) return;  // most commands leave the next deadline where it was
        by_time_.erase({it->second, &it->first});
        if (!next) {
            by_id_.erase(it);
            return;
        }
        it->second = *next;
        by_time_.emplace(*next, &it->first);
        return;
    }
    if (!next) return;
    const auto [added, _] = by_id_.emplace(id.value(), *next);
    by_time_.emplace(*next, &added->first);
}

std::optional<instant> deadline_queue::next_of(const complaint_id& id) const {
    const auto it = by_id_.find(id.value());
    if (it == by_id_.end()) return std::nullopt;
    return it->second;
}

std::optional<instant> deadline_queue::earliest() const {
    if (by_time_.empty()) return std::nullopt;
    return by_time_.begin()->first;
}

std::optional<std::pair<complaint_id, instant>> deadline_queue::front() const {
    if (by_time_.empty()) return std::nullopt;
    return std::pair{complaint_id{*by_time_.begin()->second}, by_time_.begin()->first};
}

std::vector<std::pair<complaint_id, instant>> deadline_queue::due(instant now) const {
    std::vector<std::pair<complaint_id, instant>> out;
    for (auto it = by_time_.begin(); it != by_time_.end() && it->first <= now; ++it)
        out.emplace_back(complaint_id{*it->second}, it->first);
    return out;
}

std::vector<std::pair<complaint_id, instant>> deadline_queue::take_due(instant now) {
    auto out = due(now);
    for (const auto& [id, at] : out) update(id, std::nullopt);
    return out;
}

void deadline_queue::clear() {
    by_time_.clear();
    by_id_.clear();
}

}  // namespace bb
