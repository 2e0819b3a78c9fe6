#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "domain/event.hpp"
#include "projections/complaint_rows.hpp"

namespace bb::projection {

// A domain event as the log delivered it: the projections need its position (checkpoint), the
// partition's customer and when the log recorded it ("as of").
struct projected_event {
    std::int64_t position = 0;
    instant recorded_at{};
    any_event event;
};

struct escalation_fact {
    complaint_id id;
    int to_level = 0;
    instant at;
    bool operator==(const escalation_fact&) const = default;
};

// The read model: a pure fold of the log, rebuildable from position 0.
struct read_model {
    std::int64_t position = 0;
    // By complaint id. Hashed: replay looks a row up per event, and a tree's string compares
    // and cache misses would cost more than the fold. Every report sorts or aggregates, so none
    // depends on this order. Settled complaints' rows are frozen (see complaint_rows).
    complaint_rows complaints;
    std::vector<compliment_received> compliments;
    std::vector<prevention_action_recorded> actions;
    std::vector<escalation_fact> escalations;
    policy_pool policies;  // the complaints' applied policies, shared
    bool operator==(const read_model&) const = default;
};

read_model apply(read_model m, const projected_event& e);
void apply_in_place(read_model& m, const projected_event& e);
// The same as apply_in_place on each event in order. Meanwhile it loads the complaint rows of
// events a few places ahead into cache: a fold over millions of complaints waits on memory
// more than it computes.
void apply_all(read_model& m, std::span<const projected_event> events);

}  // namespace bb::projection
