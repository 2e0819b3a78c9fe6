#include "services/read_side.hpp"

#include <algorithm>
#include <fstream>

#include "infra/codec/event_codec.hpp"
#include "infra/logger.hpp"
#include "infra/snapshot/read_model_codec.hpp"
#include "infra/snapshot/snapshot_file.hpp"
#include "services/page_decoder.hpp"

namespace bb {

std::expected<projection::projected_event, std::string> to_projected(const fold_record& r,
                                                                     codec::text_decoder& decoder) {
    auto e =
        decoder.decode(r.type, r.data, idempotency_key{std::string(r.idempotency_key)}, r.time);
    if (!e) return std::unexpected("position " + std::to_string(r.position) + ": " + e.error());
    return std::visit(
        [&](auto&& ev) {
            return projection::projected_event{r.position, r.recorded_at, std::move(ev)};
        },
        std::move(*e));
}

std::expected<projection::projected_event, std::string> to_projected(const event_record& r,
                                                                     codec::text_decoder& decoder) {
    return to_projected(
        fold_record{r.position, r.type, r.data, r.idempotency_key, r.time, r.recorded_at}, decoder);
}

void read_side::apply(const event_record& r) {
    const auto pe = to_projected(r, decoder_);
    {
        std::unique_lock lock(mutex_);
        if (pe)
            projection::apply_in_place(model_, *pe);
        else
            model_.position = r.position;  // an undecodable event is skipped, and said so
        ++generation_;
    }
    if (!pe) log_line("read side skipped an event: " + pe.error());
    {
        std::lock_guard lock(position_mutex_);
        position_cv_.notify_all();
    }
    if (snapshot_ && r.position - last_snapshot_ >= snapshot_interval(last_snapshot_))
        save_snapshot();
}

// A snapshot costs time proportional to the model, which grows with the log: snapshotting every
// `snapshot_every` events would make ingest quadratic. The interval is the log's length so far:
// snapshots are written at doubling positions and all of them together cost about two
// snapshots of the final model. It is capped so that a restart never folds more than a million
// events past its snapshot.
std::int64_t read_side::snapshot_interval(std::int64_t last) const {
    return std::clamp(last, snapshot_every_, std::max<std::int64_t>(snapshot_every_, 1000000));
}

// Pages are read and decoded ahead on other threads (page_decoder); this thread only folds, one
// page per lock: queries wait for at most a page's fold.
std::expected<void, std::string> read_side::fold_from(std::int64_t next,
                                                      std::optional<instant> until) {
    page_decoder pages(log_, next);
    for (;;) {
        const auto page = pages.next();
        if (!page.events.empty()) {
            std::unique_lock lock(mutex_);
            ++generation_;
            auto end = page.events.end();
            if (until)
                end = std::find_if(page.events.begin(), end,
                                   [&](const auto& pe) { return pe.recorded_at > *until; });
            projection::apply_all(model_, {page.events.begin(), end});
            if (end != page.events.end()) return {};
        }
        // An event that cannot be decoded fails the fold, unless it lies beyond `until`.
        if (page.error && !(until && page.failed_recorded_at && *page.failed_recorded_at > *until))
            return std::unexpected(*page.error);
        if (page.end) return {};
    }
}

std::expected<void, std::string> read_side::replay(std::optional<instant> until) {
    return fold_from(1, until);
}

// A snapshot is trusted only if the log still holds, at its position, the event whose hash it
// recorded: a replaced or restored log makes it worthless, and it is rebuilt from position 0.
void read_side::load_snapshot() {
    if (!snapshot_) return;
    std::ifstream in(*snapshot_, std::ios::binary);
    if (!in) return;
    auto file = codec::read_read_model(in);
    if (!file) {
        log_line("read side: ignoring snapshot: " + file.error());
        return;
    }
    const auto position = file->model.position;
    const auto hash = file->header.find("hash");
    const auto at = log_.read_all(position, 1);
    if (position < 1 || hash == file->header.end() || !hash->is_string() || !at || at->empty() ||
        at->front().position != position || at->front().hash != hash->get<std::string>()) {
        log_line("read side: snapshot does not match the log; rebuilding from position 0");
        return;
    }
    std::unique_lock lock(mutex_);
    model_ = std::move(file->model);
    ++generation_;
    last_snapshot_ = model_.position;
    loaded_snapshot_ = true;
}

// Written while holding the model's shared lock: queries go on, the fold waits for the file.
bool read_side::save_snapshot() {
    if (!snapshot_) return false;
    std::lock_guard saving(save_mutex_);
    std::shared_lock lock(mutex_);
    const auto position = model_.position;
    if (position == 0) return false;
    const auto at = log_.read_all(position, 1);
    if (!at || at->empty()) return false;
    const bool saved = save_snapshot_file(*snapshot_, [&](std::ostream& out) {
        codec::write_read_model(out, model_, {{"hash", at->front().hash}});
        return static_cast<bool>(out);
    });
    if (saved) last_snapshot_ = position;
    return saved;
}

std::expected<void, std::string> read_side::start() {
    load_snapshot();
    if (auto r = fold_from(position() + 1, std::nullopt); !r) return r;
    subscription_ = log_.subscribe(position() + 1, [this](const event_record& r) { apply(r); });
    return {};
}

read_side::~read_side() {
    subscription_.reset();
}

std::int64_t read_side::position() const {
    std::shared_lock lock(mutex_);
    return model_.position;
}

bool read_side::wait_for(std::int64_t position, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(position_mutex_);
    return position_cv_.wait_for(lock, timeout, [&] { return this->position() >= position; });
}

}  // namespace bb
