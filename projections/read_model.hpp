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
#include "projections/boxed.hpp"
#include "projections/string_table.hpp"

namespace bb::projection {

// A domain event as the log delivered it: the projections need its position (checkpoint), the
// partition's customer and when the log recorded it ("as of").
struct projected_event {
    std::int64_t position = 0;
    instant recorded_at{};
    any_event event;
};

// What a complaint's row learns after its filing besides the folded state: pauses, a root
// cause, a resolution. A complaint that has none of these yet (most open ones) keeps them empty
// in a box of a pointer's size instead of a quarter of the row's bytes: open complaints are
// what the memory budget is counted in.
struct complaint_progress {
    std::optional<instant> first_resolved_at;
    std::optional<employee_id> resolved_by;
    std::optional<std::string> root_cause;
    std::optional<std::string> root_cause_detail;  // CFPB's Sub-issue, for one
    std::optional<employee_id> attributed_to;      // root cause employee
    // Who owned the complaint when each SLA outcome was decided (an acknowledgement or
    // resolution in time, or the breach), kept when it was reassigned after that: scores credit
    // them, not whoever owns it last. Empty: the owner now (no reassignment since).
    std::optional<employee_id> acknowledge_credit, resolve_credit;
    std::optional<double> recovered_value;            // what the customer spent coming back
    std::vector<std::pair<instant, instant>> pauses;  // awaiting_customer intervals, closed
    bool operator==(const complaint_progress&) const = default;
};

// Everything the read side knows about one complaint: the domain's own folded state, plus the
// facts reports need that the decider does not keep.
struct complaint_row {
    complaint_state state;
    boxed<complaint_progress> progress;
    bool resolve_ever_breached = false;
    bool acknowledge_ever_breached = false;
    bool operator==(const complaint_row&) const = default;
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
    // depends on this order.
    string_table<complaint_row> complaints;
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
