#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "projections/read_model.hpp"
#include "projections/sla.hpp"

namespace bb::projection {

// docs/scores.md explains the formula with a worked example.
struct score_weights {
    double acknowledge = 0.2;   // acknowledge SLA met
    double resolve = 0.25;      // resolve SLA met
    double bounce_back = 0.25;  // customers who came back
    double no_reopen = 0.1;     // resolutions that stayed resolved
    double praise = 0.2;        // compliments / (compliments + complaints attributed)
    double prior_strength = 5;  // Bayesian smoothing: pseudo-observations at the org mean
};

struct rate {
    std::size_t hits = 0, total = 0;
    double smoothed = 0;  // (hits + k * prior) / (total + k)
    bool operator==(const rate&) const = default;
};

struct employee_score {
    std::string employee_id;
    std::size_t compliments = 0, owned = 0, attributed = 0;
    rate acknowledge, resolve, bounce_back, no_reopen, praise;
    double score = 0;  // 0..100
    bool operator==(const employee_score&) const = default;
};

// Each SLA outcome counts for the owner when it was decided (docs/scores.md); `owned` for the
// employee who owns the complaint now (assigned, else first acknowledger). The
// period filter applies to filing (complaints) and receipt (compliments). Sorted by score.
std::vector<employee_score> employee_scores(const read_model& m, const report_filter& f,
                                            const score_weights& w);

// One SLA outcome of a complaint: which rate it counts in, hit or miss, and whom it is credited
// to (nullptr: nobody owned the complaint; the organisation's rate still counts it).
struct outcome {
    rate employee_score::*which;
    const char* name;  // acknowledge, resolve, bounce_back, no_reopen
    const employee_id* to;
    bool hit;
};
std::vector<outcome> outcomes_of(const complaint_row& row);

// What makes one employee's score: each complaint they own, are attributed, or are credited an
// outcome of (complaint id order), and the compliments naming them.
struct employee_complaint {
    std::string complaint_id;
    bool owned = false, attributed = false;
    std::vector<std::pair<std::string, bool>> outcomes;  // rate name, hit
    bool operator==(const employee_complaint&) const = default;
};
struct employee_compliment {
    std::string compliment_id;
    instant at;
    bool operator==(const employee_compliment&) const = default;
};
struct employee_basis {
    std::vector<employee_complaint> complaints;
    std::vector<employee_compliment> compliments;
};
employee_basis basis_of(const read_model& m, const report_filter& f, const std::string& employee);

}  // namespace bb::projection
