#pragma once

#include <optional>
#include <string>
#include <vector>

#include "projections/read_model.hpp"
#include "projections/sla.hpp"

namespace bb::projection {

// Which attributes a Pareto groups by: any of category, product, channel (category first).
struct pareto_grouping {
    bool product = false;
    bool channel = false;
};

struct pareto_row {
    std::string category, product, channel;  // product/channel empty unless grouped by them
    std::size_t count = 0;
    double share = 0;             // of all complaints in the report, 0..1
    double cumulative_share = 0;  // running total in descending count order
    bool operator==(const pareto_row&) const = default;
};
std::vector<pareto_row> root_cause_pareto(const read_model& m, const report_filter& f,
                                          pareto_grouping g);

struct repeat_complainer {
    std::string customer_id;
    std::size_t complaints = 0;     // complaints in the report
    std::size_t max_in_window = 0;  // most complaints within any `window`
    instant first, last;
    bool operator==(const repeat_complainer&) const = default;
};
// Customers with at least two complaints filed within `window` (default 90 days) of each other.
std::vector<repeat_complainer> repeat_complainers(const read_model& m, const report_filter& f,
                                                  duration window = std::chrono::days{90});

struct action_effect {
    std::string action_id, category, owner, description;
    instant at;
    int weeks = 0;                      // N weeks compared on each side
    double weeks_after_observed = 0;    // less than N when `now` is closer than N weeks
    std::size_t before = 0, after = 0;  // complaints of the category in each window
    double weekly_before = 0, weekly_after = 0;
    std::optional<double> change_percent;  // (after rate - before rate) / before rate * 100
    bool operator==(const action_effect&) const = default;
};
std::vector<action_effect> prevention_effects(const read_model& m, const report_filter& f,
                                              int weeks, instant now);

struct trend_point {
    std::string week, category;
    std::size_t count = 0;
    bool operator==(const trend_point&) const = default;
};
std::vector<trend_point> weekly_trend(const read_model& m, const report_filter& f);

}  // namespace bb::projection
