#include "domain/policy.hpp"

#include <algorithm>
#include <cmath>

namespace bb {

std::string_view to_string(severity s) {
    switch (s) {
        case severity::low:
            return "low";
        case severity::medium:
            return "medium";
        case severity::high:
            return "high";
        case severity::critical:
            return "critical";
    }
    return "unknown";
}

std::string_view to_string(sla_target t) {
    switch (t) {
        case sla_target::acknowledge:
            return "acknowledge";
        case sla_target::resolve:
            return "resolve";
        case sla_target::bounce_back:
            return "bounce_back";
    }
    return "unknown";
}

std::string_view to_string(escalation_trigger t) {
    switch (t) {
        case escalation_trigger::intake:
            return "intake";
        case escalation_trigger::warning:
            return "warning";
        case escalation_trigger::breach:
            return "breach";
        case escalation_trigger::reopen:
            return "reopen";
        case escalation_trigger::bounce_back_missed:
            return "bounce_back_missed";
        case escalation_trigger::manual:
            return "manual";
    }
    return "unknown";
}

namespace {
template <class E, std::size_t N>
std::optional<E> parse_enum(std::string_view s, const E (&all)[N]) {
    for (auto e : all)
        if (to_string(e) == s) return e;
    return std::nullopt;
}
}  // namespace

std::optional<severity> parse_severity(std::string_view s) {
    constexpr severity all[] = {severity::low, severity::medium, severity::high,
                                severity::critical};
    return parse_enum(s, all);
}

std::optional<sla_target> parse_sla_target(std::string_view s) {
    constexpr sla_target all[] = {sla_target::acknowledge, sla_target::resolve,
                                  sla_target::bounce_back};
    return parse_enum(s, all);
}

std::optional<escalation_trigger> parse_escalation_trigger(std::string_view s) {
    constexpr escalation_trigger all[] = {escalation_trigger::intake,
                                          escalation_trigger::warning,
                                          escalation_trigger::breach,
                                          escalation_trigger::reopen,
                                          escalation_trigger::bounce_back_missed,
                                          escalation_trigger::manual};
    return parse_enum(s, all);
}

std::ostream& operator<<(std::ostream& os, severity s) {
    return os << to_string(s);
}
std::ostream& operator<<(std::ostream& os, sla_target t) {
    return os << to_string(t);
}
std::ostream& operator<<(std::ostream& os, escalation_trigger t) {
    return os << to_string(t);
}

namespace {
template <class T, class U>
bool matches(const std::vector<T>& allowed, const U& value) {
    return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}
}  // namespace

const sla_policy* policy_book::match(std::string_view segment, severity sev,
                                     std::string_view channel) const {
    for (const auto& p : policies) {
        if (matches(p.match.segments, segment) && matches(p.match.severities, sev) &&
            matches(p.match.channels, channel))
            return &p;
    }
    return nullptr;
}

const business_calendar* policy_book::calendar(const std::string& id) const {
    const auto it = calendars.find(id);
    return it == calendars.end() ? nullptr : &it->second;
}

policy_ref::policy_ref() {
    static const auto default_policy = std::make_shared<const sla_policy>();
    p_ = default_policy;
}

policy_ref::policy_ref(sla_policy p) : p_(std::make_shared<const sla_policy>(std::move(p))) {}

policy_ref policy_pool::intern(const policy_ref& p) {
    for (const auto& k : known_)
        if (k == p) return k;
    known_.push_back(p);
    return p;
}

duration warning_offset(duration target, double warn_at) {
    return duration{static_cast<duration::rep>(std::llround(target.count() * warn_at))};
}

}  // namespace bb
