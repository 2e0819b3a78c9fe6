#include "domain/prevention.hpp"

#include <date/date.h>

namespace bb {

prevention_state initial_prevention_state() {
    return {};
}

result<std::vector<prevention_action_recorded>> decide(const prevention_state& s,
                                                       const record_prevention_action& c) {
    if (s.recorded_by) {
        if (*s.recorded_by == c.key) return std::vector<prevention_action_recorded>{};
        return std::unexpected(
            rejection{rejection_code::already_recorded,
                      "prevention action " + c.id.value() + " already recorded"});
    }
    if (c.id.value().empty() || c.category.empty())
        return std::unexpected(
            rejection{rejection_code::invalid_argument, "action_id and category are required"});
    return std::vector<prevention_action_recorded>{
        prevention_action_recorded{c.key, c.id, c.category, c.description, c.owner, c.at}};
}

prevention_state evolve(prevention_state s, const prevention_action_recorded& e) {
    s.recorded_by = e.key;
    return s;
}

std::ostream& operator<<(std::ostream& os, const prevention_action_recorded& e) {
    return os << "PreventionActionRecorded{id=" << e.id << ", category=\"" << e.category
              << "\", owner=\"" << e.owner << "\", at=" << date::format("%FT%TZ", e.at) << '}';
}

}  // namespace bb
