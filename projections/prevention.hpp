#pragma once

#include <optional>
#include <string>
#include <vector>

#include "projections/read_model.hpp"
#include "projections/sla.hpp"

namespace bb::projection {

// What a complaint counts under in the prevention analyses. By default the root cause found
// (complaint.root_cause_found): what to fix. A complaint whose root cause is not found yet counts
// under the category it was filed with, and each row says how many of its complaints did.
// `category` groups by the category given at filing only.
enum class cause_basis { root_cause, category };
std::optional<cause_basis> parse_cause_basis(std::string_view s);
std::string_view to_string(cause_basis b);

// The cause a complaint counts under, and whether it is the filing category standing in for a
// root cause not found yet.
struct cause {
    std::string_view name;
    bool from_filing = false;
};
cause cause_of(const complaint_row& row, cause_basis b);

// Which attributes a Pareto groups by: the cause (first), then any of product and channel.
struct pareto_grouping {
    bool product = false;
    bool channel = false;
    cause_basis by = cause_basis::root_cause;
};

struct pareto_row {
    std::string category, product, channel;  // product/channel empty unless grouped by them
    std::size_t count = 0;
    double share = 0;             // of all complaints in the report, 0..1
    double cumulative_share = 0;  // running total in descending count order
    std::size_t from_filing = 0;  // of count: no root cause yet, counted by filing category
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
    int weeks = 0;  // N weeks compared on each side
    // Less than N before when the history starts closer to the action (its first filing), and
    // after when `now` is closer: each rate divides by the weeks it actually saw.
    double weeks_before_observed = 0;
    double weeks_after_observed = 0;
    std::size_t before = 0, after = 0;  // complaints of the category in each window
    double weekly_before = 0, weekly_after = 0;
    std::optional<double> change_percent;  // (after rate - before rate) / before rate * 100
    bool operator==(const action_effect&) const = default;
};
// An action's category is compared with each complaint's cause on the same basis as the Pareto.
std::vector<action_effect> prevention_effects(const read_model& m, const report_filter& f,
                                              int weeks, instant now,
                                              cause_basis by = cause_basis::root_cause);

struct trend_point {
    std::string week, category;
    std::size_t count = 0;
    std::size_t from_filing = 0;  // of count, as in pareto_row
    bool operator==(const trend_point&) const = default;
};
std::vector<trend_point> weekly_trend(const read_model& m, const report_filter& f,
                                      cause_basis by = cause_basis::root_cause);

}  // namespace bb::projection
