#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "domain/named_type.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"

namespace bb {

// A prevention action against a root-cause category; analytics compare the category's
// complaint rate before and after `at`.
struct record_prevention_action {
    idempotency_key key;
    action_id id;
    std::string category, description, owner;
    instant at;
    bool operator==(const record_prevention_action&) const = default;
};

struct prevention_action_recorded {
    idempotency_key key;
    action_id id;
    std::string category, description, owner;
    instant at;
    bool operator==(const prevention_action_recorded&) const = default;
};

struct prevention_state {
    std::optional<idempotency_key> recorded_by;
    bool operator==(const prevention_state&) const = default;
};

prevention_state initial_prevention_state();
result<std::vector<prevention_action_recorded>> decide(const prevention_state& s,
                                                       const record_prevention_action& c);
prevention_state evolve(prevention_state s, const prevention_action_recorded& e);
std::ostream& operator<<(std::ostream& os, const prevention_action_recorded& e);

}  // namespace bb
