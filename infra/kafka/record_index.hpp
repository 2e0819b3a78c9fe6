#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "infra/event_log.hpp"

namespace bb::kafka {

// Stored events held in memory in the order they arrived, indexed by stream, with followers:
// what a partition's owner (partition_log) and every instance's view of the topic (topic_view)
// read. Thread-safe; one writer at a time is the caller's business (only the owner appends).
class record_index {
  public:
    record_index() = default;
    ~record_index();  // stops the followers still running
    record_index(const record_index&) = delete;
    record_index& operator=(const record_index&) = delete;

    void add(event_record r);
    std::size_t size() const;
    // The last record's hash, when there is one.
    std::optional<std::string> last_hash() const;
    // How many events the stream has: its current version.
    std::int64_t stream_size(const std::string& stream) const;
    std::vector<event_record> read_stream(const std::string& stream,
                                          std::int64_t from_version) const;
    // At most `max` records from the `first`-th (0-based) on.
    std::vector<event_record> read_from(std::size_t first, std::size_t max) const;
    // Hands every record from the `first`-th on to `f`, in order, on a thread of its own, then
    // each one added later, until the handle is destroyed.
    std::unique_ptr<subscription> follow(std::size_t first,
                                         std::function<void(const event_record&)> f);

  private:
    class follower;

    // Records live in chunks that never move: an add neither copies the records before it
    // (a vector's growth moved every record and touched twice the memory: a tenth of an
    // instance's CPU at 400k records) nor invalidates the addresses followers read without the
    // lock.
    static constexpr std::size_t chunk_size = 4096;
    const event_record& at(std::size_t i) const { return chunks_[i / chunk_size][i % chunk_size]; }

    mutable std::mutex mutex_;
    std::condition_variable added_;
    bool closing_ = false;
    std::vector<std::unique_ptr<event_record[]>> chunks_;
    std::size_t size_ = 0;
    std::unordered_map<std::string, std::vector<std::size_t>> streams_;
};

}  // namespace bb::kafka
