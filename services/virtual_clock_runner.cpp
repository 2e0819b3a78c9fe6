#include "services/virtual_clock_runner.hpp"

#include "infra/iso8601.hpp"

namespace bb {

virtual_clock_runner::virtual_clock_runner(command_service& commands) : commands_(commands) {}

void virtual_clock_runner::attach() {
    commands_.on_deadline_change(
        [this](const complaint_id& id, std::optional<instant> next) { update(id, next); });
}

void virtual_clock_runner::update(const complaint_id& id, std::optional<instant> next) {
    queue_.update(id, next);
}

std::expected<void, std::error_code> virtual_clock_runner::advance_to(instant t) {
    while (const auto first = queue_.front()) {
        const auto [id, at] = *first;
        if (at > t) break;
        if (at > now_) now_ = at;
        const command_meta meta{"scheduler", "tick/" + iso8601::format_instant(at), now_};
        const auto r = commands_.tick(id, at, meta);
        if (!r) return std::unexpected(r.error());
        ++stats_.ticks;
        // A tick moves the complaint's deadline on through the listener; should it not have,
        // drop the entry rather than tick the same instant forever. (The listener erases and
        // re-inserts entries, so no iterator from before the tick is looked at here.)
        if (const auto after = queue_.next_of(id); after && *after <= at) update(id, std::nullopt);
    }
    if (t > now_) now_ = t;
    return {};
}

std::expected<command_outcome, std::error_code> virtual_clock_runner::feed(
    const inbound::cloud_event& e, const std::string& correlation) {
    ++stats_.events;
    if (const auto r = advance_to(e.time); !r) return std::unexpected(r.error());
    const auto c = inbound::to_command(e);
    if (!c) {
        ++stats_.invalid;
        return command_outcome{
            command_outcome::kind::rejected,
            rejection{rejection_code::invalid_argument, c.error().field + " " + c.error().detail},
            0};
    }
    command_meta meta{e.source + "/" + e.id, correlation, now_};
    // An input event's own trace is kept as it came (no new span: a random id would make two
    // runs of the same input differ).
    if (auto own = trace::parse(e.traceparent, e.tracestate)) meta.trace = std::move(*own);
    const auto r = commands_.handle(*c, meta);
    if (!r) return r;
    switch (r->result) {
        case command_outcome::kind::applied:
            ++stats_.applied;
            break;
        case command_outcome::kind::unchanged:
            ++stats_.unchanged;
            break;
        case command_outcome::kind::rejected:
            ++stats_.rejected;
            break;
    }
    return r;
}

}  // namespace bb
