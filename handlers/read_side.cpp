#include "handlers/read_side.hpp"

#include "infra/codec/event_codec.hpp"
#include "infra/logger.hpp"

namespace bb {

std::expected<projection::projected_event, std::string> to_projected(const event_record& r) {
    const auto data = nlohmann::json::parse(r.data, nullptr, false);
    auto e = codec::decode(r.type, data, idempotency_key{r.idempotency_key}, r.time);
    if (!e) return std::unexpected("position " + std::to_string(r.position) + ": " + e.error());
    return std::visit(
        [&](auto&& ev) {
            return projection::projected_event{r.position, r.recorded_at, std::move(ev)};
        },
        std::move(*e));
}

void read_side::apply(const event_record& r) {
    const auto pe = to_projected(r);
    {
        std::unique_lock lock(mutex_);
        if (pe)
            projection::apply_in_place(model_, *pe);
        else
            model_.position = r.position;  // an undecodable event is skipped, and said so
    }
    if (!pe) log_line("read side skipped an event: " + pe.error());
    std::lock_guard lock(position_mutex_);
    position_cv_.notify_all();
}

std::expected<void, std::string> read_side::replay(std::optional<instant> until) {
    for (std::int64_t next = 1;;) {
        const auto batch = log_.read_all(next, 4096);
        if (!batch) return std::unexpected(batch.error().message());
        if (batch->empty()) return {};
        for (const auto& r : *batch) {
            if (until && r.recorded_at > *until) return {};
            const auto pe = to_projected(r);
            if (!pe) return std::unexpected(pe.error());
            std::unique_lock lock(mutex_);
            projection::apply_in_place(model_, *pe);
        }
        next = batch->back().position + 1;
    }
}

std::expected<void, std::string> read_side::start() {
    if (auto r = replay(std::nullopt); !r) return r;
    subscription_ = log_.subscribe(position() + 1, [this](const event_record& r) { apply(r); });
    return {};
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
