#include "handlers/virtual_clock_runner.hpp"

#include "infra/iso8601.hpp"

namespace bb {

virtual_clock_runner::virtual_clock_runner(command_service& commands) : commands_(commands) {}

void virtual_clock_runner::attach() {
    commands_.on_deadline_change(
        [this](const complaint_id& id, std::optional<instant> next) { update(id, next); });
    for (const auto& [id, at] : commands_.deadlines()) update(id, at);
}

void virtual_clock_runner::update(const complaint_id& id, std::optional<instant> next) {
    if (const auto it = due_.find(id.value()); it != due_.end()) {
        auto [lo, hi] = queue_.equal_range(it->second);
        for (auto q = lo; q != hi; ++q)
            if (q->second == id.value()) {
                queue_.erase(q);
                break;
            }
        due_.erase(it);
    }
    if (next) {
        queue_.emplace(*next, id.value());
        due_[id.value()] = *next;
    }
}

std::expected<void, std::error_code> virtual_clock_runner::advance_to(instant t) {
    while (!queue_.empty() && queue_.begin()->first <= t) {
        const auto [at, id] = *queue_.begin();
        if (at > now_) now_ = at;
        const command_meta meta{"scheduler", "tick/" + iso8601::format_instant(at), now_};
        const auto r = commands_.tick(complaint_id{id}, at, meta);
        if (!r) return std::unexpected(r.error());
        ++stats_.ticks;
        // A tick moves the complaint's deadline on through the listener; should it not have,
        // drop the entry rather than tick the same instant forever. (The listener erases and
        // re-inserts entries, so no iterator from before the tick is looked at here.)
        if (const auto after = due_.find(id); after != due_.end() && after->second <= at)
            update(complaint_id{id}, std::nullopt);
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
    const auto r = commands_.handle(*c, command_meta{e.source + "/" + e.id, correlation, now_});
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
