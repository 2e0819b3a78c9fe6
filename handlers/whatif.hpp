#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/complaint.hpp"

namespace bb::whatif {

// `bounceback whatif`: the stored facts of each complaint decided again under another policy
// set, deadlines recomputed, the log untouched (docs/domain.md, "What if").

// The commands a complaint's stored events record, in order: what people and customers did.
// Events a deadline decided (warnings, breaches, their escalations) are left out: the new
// policies decide them again. A command that caused several events (a helpdesk snapshot) is
// given as one command per step, each with its own key.
std::vector<complaint_command> facts_of(const std::vector<complaint_event>& stream);

// How a complaint stands on its SLAs: each target "met", "breached", "open" (still running) or
// "none" (never started); its highest escalation level.
struct sla_outcome {
    std::string policy;  // id@version
    std::string acknowledge, resolve;
    int escalation_level = 0;
    std::string status;
    bool operator==(const sla_outcome&) const = default;
};
sla_outcome outcome_of(const complaint_state& s, instant horizon);

// One complaint under both policy sets.
struct comparison {
    complaint_id id;
    sla_outcome before, after;
    std::optional<rejection> refused;  // a fact the new policies refuse (no matching policy, ...)
    bool changed() const { return refused.has_value() || before != after; }
};
// The stream as stored (folded up to `horizon`, with the deadlines due by then it has not
// recorded yet) against its facts decided again under `book` with every deadline up to
// `horizon`.
comparison rerun(const policy_book& book, const std::vector<complaint_event>& stream,
                 instant horizon);

// Totals of many comparisons, for the summary.
struct totals {
    std::size_t complaints = 0, changed = 0, refused = 0;
    std::map<std::string, std::size_t> before, after;  // "acknowledge:breached" -> count
};
void add(totals& t, const comparison& c);

}  // namespace bb::whatif
