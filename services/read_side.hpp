#pragma once

#include <atomic>
#include <condition_variable>
#include <expected>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

#include "infra/codec/event_codec.hpp"
#include "infra/event_log.hpp"
#include "projections/read_model.hpp"

namespace bb {

// A stored event as the projections take it. `decoder` holds parse buffers: one per thread.
std::expected<projection::projected_event, std::string> to_projected(const fold_record& r,
                                                                     codec::text_decoder& decoder);
std::expected<projection::projected_event, std::string> to_projected(const event_record& r,
                                                                     codec::text_decoder& decoder);

// Folds every event of the log into the read model: from position 0 up to an "as of" instant
// (replay), or live (serve) by following a subscription. Queries read under a shared lock.
class read_side {
  public:
    explicit read_side(event_log& log, std::optional<std::filesystem::path> snapshot = std::nullopt,
                       std::int64_t snapshot_every = 10000)
        : log_(log), snapshot_(std::move(snapshot)), snapshot_every_(snapshot_every) {}
    ~read_side();

    // Loads the snapshot when it is intact and still matches the log, folds the rest of the log,
    // then follows it. Call once.
    std::expected<void, std::string> start();
    // Writes the checkpoint (position + read model) now; also done after `snapshot_every` events,
    // or the log's length so far (at most 1,000,000) when that is more (snapshot_interval).
    bool save_snapshot();
    bool loaded_snapshot() const { return loaded_snapshot_; }
    // Replays events recorded up to `until` (all when nullopt); no subscription.
    std::expected<void, std::string> replay(std::optional<instant> until);

    std::int64_t position() const;
    bool wait_for(std::int64_t position, std::chrono::milliseconds timeout) const;

    template <class F>
    auto read(F&& f) const {
        std::shared_lock lock(mutex_);
        return f(model_);
    }
    // Like read, with the model's generation (it changes whenever the model does), read under the
    // same lock: a result computed from the model can be cached under it.
    template <class F>
    auto read_with_generation(F&& f) const {
        std::shared_lock lock(mutex_);
        return std::pair{generation_.load(), f(model_)};
    }
    std::uint64_t generation() const { return generation_.load(); }

    std::int64_t snapshot_interval(std::int64_t last_snapshot) const;

  private:
    void apply(const event_record& r);

    std::expected<void, std::string> fold_from(std::int64_t next, std::optional<instant> until);
    void load_snapshot();

    event_log& log_;
    std::optional<std::filesystem::path> snapshot_;
    std::int64_t snapshot_every_;
    std::atomic<std::int64_t> last_snapshot_{0};
    std::mutex save_mutex_;  // the subscription thread and shutdown may both save
    bool loaded_snapshot_ = false;
    mutable std::shared_mutex mutex_;
    projection::read_model model_;
    std::atomic<std::uint64_t> generation_{0};  // written under mutex_ (unique)
    mutable std::mutex position_mutex_;
    mutable std::condition_variable position_cv_;
    codec::text_decoder decoder_;  // the subscription's thread's (apply)
    std::unique_ptr<subscription> subscription_;
};

}  // namespace bb
