#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "infra/http/gzip.hpp"

namespace bb {

// SLA summaries by query, each for the read-model generation it was computed from. A summary is
// a pure function of the model and the query, and dashboards poll it between events: they get the
// stored text, and with gzip its stored compressed bytes.
class summary_cache {
  public:
    // A summary's text without its closing brace (as_of and position are added per response),
    // and the same deflated for clients that accept gzip.
    struct entry {
        std::uint64_t generation = 0;
        std::int64_t position = 0;  // of the read model it was computed from
        std::string text;
        gzip::prefixed_body gzipped;
    };

    // The key of a query: its parameters in order.
    static std::string key(const std::map<std::string, std::string>& query);
    // Whether the summary for `key` is stored for `generation` (then get() does not compute).
    bool current(const std::string& key, std::uint64_t generation) const;
    // The summary for `key`, from `compute` when none is stored for `arrival` (the model's
    // generation when the request came) or later. One computation per key at a time: requests
    // that arrive meanwhile wait for it instead of each walking the model (after every event, a
    // stampede of them would make the summary's tail latency seconds long).
    std::shared_ptr<const entry> get(const std::string& key, std::uint64_t arrival,
                                     const std::function<entry()>& compute);

  private:
    static constexpr std::size_t max_entries = 256;
    mutable std::mutex mutex_;
    std::condition_variable computed_;
    std::map<std::string, std::shared_ptr<const entry>> entries_;
    std::set<std::string> computing_;
};

}  // namespace bb
