#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "handlers/stream_fold.hpp"

namespace bb {

// The folded state of the streams used most recently, bounded. The log is the truth: a miss
// folds the stream again, so the command side's memory does not grow with the number of open
// complaints.
//
// Two generations instead of an LRU list: hits in the old generation move to the young one,
// and when the young one holds half the capacity it becomes the old one (the previous old one
// is dropped). At most `capacity` entries, no per-entry bookkeeping.
//
// Entries are immutable and shared: a query copies the pointer under the lock and reads the
// state after releasing it, while a command may already be replacing the entry.
template <class State>
class state_cache {
  public:
    using entry = folded_state<State>;
    using entry_ptr = std::shared_ptr<const entry>;

    explicit state_cache(std::size_t capacity) : half_(capacity < 2 ? 1 : capacity / 2) {}

    entry_ptr find(const std::string& stream) {
        generation dropped;  // destroyed after the lock is released
        std::lock_guard lock(mutex_);
        if (const auto it = young_.find(stream); it != young_.end()) return it->second;
        const auto it = old_.find(stream);
        if (it == old_.end()) return nullptr;
        auto e = it->second;
        old_.erase(it);
        dropped = insert(stream, e);
        return e;
    }

    bool contains(const std::string& stream) const {
        std::lock_guard lock(mutex_);
        return young_.contains(stream) || old_.contains(stream);
    }

    // Keeps whichever of the cached and the offered entry is further along the stream: a query
    // that folded the log may offer an entry a command has already moved past.
    void offer(const std::string& stream, entry_ptr e) {
        generation dropped;
        std::lock_guard lock(mutex_);
        if (const auto it = young_.find(stream); it != young_.end()) {
            if (it->second->version <= e->version) it->second = std::move(e);
            return;
        }
        if (const auto it = old_.find(stream); it != old_.end()) {
            if (e->version < it->second->version) e = it->second;
            old_.erase(it);
        }
        dropped = insert(stream, std::move(e));
    }

    // Forgets the stream: the next use folds it from the log again.
    void erase(const std::string& stream) {
        entry_ptr dropped;  // destroyed after the lock is released
        std::lock_guard lock(mutex_);
        if (const auto it = young_.find(stream); it != young_.end()) {
            dropped = std::move(it->second);
            young_.erase(it);
        } else if (const auto jt = old_.find(stream); jt != old_.end()) {
            dropped = std::move(jt->second);
            old_.erase(jt);
        }
    }
    void clear() {
        std::lock_guard lock(mutex_);
        young_.clear();
        old_.clear();
    }

    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return young_.size() + old_.size();
    }

  private:
    using generation = std::unordered_map<std::string, entry_ptr>;

    // Returns the generation that fell out, for the caller to free outside the lock.
    generation insert(const std::string& stream, entry_ptr e) {
        young_.insert_or_assign(stream, std::move(e));
        if (young_.size() < half_) return {};
        generation dropped = std::exchange(old_, std::move(young_));
        young_ = generation{};
        return dropped;
    }

    mutable std::mutex mutex_;
    std::size_t half_;
    generation young_, old_;
};

}  // namespace bb
