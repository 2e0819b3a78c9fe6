#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/compliment.hpp"
#include "projections/read_model.hpp"

namespace bb::projection {

// One SLA clock of a complaint as a customer's page shows it.
enum class clock_state {
    met,       // done within its target
    breached,  // its target passed: done late, or not done yet
    at_risk,   // warned, not done, not breached
    pending,   // running, not warned
    none,      // not running: the complaint ended (withdrawn) before it was done
};
std::string_view to_string(clock_state s);

// What became of a resolved complaint's customer.
enum class bounce_back_state {
    not_yet,    // not resolved yet
    waiting,    // resolved, the bounce-back window open
    recovered,  // came back within it
    lost,       // did not (or closed the account, or answered a survey badly)
    withdrawn,  // the complaint was withdrawn
};
std::string_view to_string(bounce_back_state s);

struct customer_complaint {
    std::string id;
    complaint_state state;  // the domain's folded state (status, severity, team, owner ...)
    std::optional<std::string> root_cause;
    clock_state acknowledge = clock_state::pending, resolve = clock_state::pending;
    bool open_breach = false;  // still open and past a target
    bounce_back_state bounce_back = bounce_back_state::not_yet;
    std::optional<instant> bounce_back_due;  // while waiting
    std::optional<money> recovered_value;    // spent coming back
    bool operator==(const customer_complaint&) const = default;
};

// A reason the churn-risk indicator counts, with its weight (positive: risk; negative: loyalty).
struct churn_reason {
    std::string code;
    std::string detail;
    int weight = 0;
    bool operator==(const churn_reason&) const = default;
};

enum class churn_level { none, low, medium, high };
std::string_view to_string(churn_level l);

struct customer_view {
    std::string customer;
    std::string segment;   // as the newest complaint recorded it ("" with compliments only)
    money lifetime_value;  // the same
    std::vector<customer_complaint> complaints;    // newest filing first
    std::vector<compliment_received> compliments;  // newest first
    int open = 0, open_breaches = 0, recovered = 0, lost = 0, waiting = 0, withdrawn = 0;
    std::vector<money> recovered_revenue;  // one total per currency, by currency code
    int churn_score = 0;
    churn_level churn = churn_level::none;
    std::vector<churn_reason> reasons;  // the heaviest first
    bool operator==(const customer_view&) const = default;
};

// Everything the read model knows about one customer, as of `now` (compliments within 90 days
// of it count towards loyalty). Nothing when the customer has neither a complaint nor a
// compliment. The churn-risk rule (docs/api.md, "Customer view"): +2 per open complaint past an
// SLA target, +2 per resolved complaint after which the customer did not come back, +1 with two
// or more complaints open at once, +1 per open complaint reopened, +1 per open complaint
// escalated to level 2 or more; -2 when the customer came back after the newest settled
// complaint, -1 with a compliment in the last 90 days. 4 or more: high; 2-3: medium; 1: low.
// A customer value recorded without a currency is given `fallback`.
std::optional<customer_view> view_customer(const read_model& m, std::string_view customer,
                                           instant now, currency fallback = {});

}  // namespace bb::projection
