#pragma once

#include <optional>
#include <string>
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

}  // namespace bb::projection
