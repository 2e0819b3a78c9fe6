#include "handlers/http/summary_cache.hpp"

namespace bb {

std::string summary_cache::key(const std::map<std::string, std::string>& query) {
    std::string key;
    for (const auto& [k, v] : query) key += k + "=" + v + "&";
    return key;
}

bool summary_cache::current(const std::string& key, std::uint64_t generation) const {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    return it != entries_.end() && it->second->generation == generation;
}

std::shared_ptr<const summary_cache::entry> summary_cache::get(
    const std::string& key, std::uint64_t arrival, const std::function<entry()>& compute) {
    std::unique_lock lock(mutex_);
    for (;;) {
        const auto it = entries_.find(key);
        if (it != entries_.end() && it->second->generation >= arrival) return it->second;
        if (!computing_.contains(key)) break;
        computed_.wait(lock);
    }
    computing_.insert(key);
    lock.unlock();
    // Whatever happens to the computation, waiters are woken to look again.
    struct done_computing {
        summary_cache& cache;
        const std::string& key;
        ~done_computing() {
            {
                std::lock_guard l(cache.mutex_);
                cache.computing_.erase(key);
            }
            cache.computed_.notify_all();
        }
    } done{*this, key};
    auto computed = std::make_shared<const entry>(compute());
    std::lock_guard l(mutex_);
    if (entries_.size() >= max_entries) entries_.clear();
    entries_[key] = computed;
    return computed;
}

}  // namespace bb
