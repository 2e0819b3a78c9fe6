#include "handlers/complaint_view.hpp"

#include "infra/iso8601.hpp"

namespace bb {

namespace {
nlohmann::json clock_view(const sla_clock& c, bool running) {
    return {{"due", iso8601::format_instant(c.due)},
            {"warn_at", iso8601::format_instant(c.warn_at)},
            {"warned", c.warned},
            {"breached", c.breached},
            {"running", running}};
}
nlohmann::json opt_time(const std::optional<instant>& t) {
    return t ? nlohmann::json(iso8601::format_instant(*t)) : nlohmann::json(nullptr);
}
}  // namespace

nlohmann::json complaint_view(const complaint_state& s) {
    const auto pending = pending_deadlines(s);
    auto running = [&](sla_target t) {
        return std::any_of(pending.begin(), pending.end(),
                           [t](const deadline& d) { return d.target == t; });
    };
    nlohmann::json sla{{"acknowledge", clock_view(s.acknowledge, running(sla_target::acknowledge))},
                       {"resolve", clock_view(s.resolve, running(sla_target::resolve))}};
    if (s.resolved_at)
        sla["bounce_back"] = clock_view(s.bounce_back, running(sla_target::bounce_back));
    const auto next = next_deadline(s);
    return {{"complaint_id", s.id.value()},
            {"status", to_string(s.status)},
            {"customer",
             {{"id", s.customer.id.value()},
              {"segment", s.customer.segment},
              {"value", s.customer.value}}},
            {"severity", to_string(s.sev)},
            {"channel", s.channel},
            {"category", s.category},
            {"product", s.product},
            {"team", s.team},
            {"owner", s.owner ? nlohmann::json(s.owner->value()) : nlohmann::json(nullptr)},
            {"policy", {{"id", s.policy->id}, {"version", s.policy->version}}},
            {"filed_at", iso8601::format_instant(s.filed_at)},
            {"acknowledged_at", opt_time(s.acknowledged_at)},
            {"resolved_at", opt_time(s.resolved_at)},
            {"escalation_level", s.escalation_level},
            {"reopen_count", s.reopen_count},
            {"sla", sla},
            {"next_deadline", opt_time(next)}};
}

}  // namespace bb
