#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/policy.hpp"
#include "projections/read_model.hpp"

namespace bb::projection {

// Which complaints a report covers: by attributes and by filing instant in [from, to).
struct report_filter {
    std::optional<std::string> team, segment, policy, product, channel;
    std::optional<severity> sev;
    std::optional<int> policy_version;  // with or without `policy`
    std::optional<instant> from, to;
    bool matches(const complaint_state& s) const;
};

enum class period { day, week, month };
std::optional<period> parse_period(std::string_view s);
std::string period_key(instant t, period p);  // 2026-11-20, 2026-W47, 2026-11

struct compliance {
    std::size_t met = 0, missed = 0, pending = 0;
    std::optional<double> percent() const;  // met / (met + missed) * 100
    bool operator==(const compliance&) const = default;
};

// Policies change: each version applied (a filing event carries the policy as applied) is a
// bucket of its own, so a report shows what a change did.
struct compliance_bucket {
    std::string period, team, segment, policy, severity;
    int policy_version = 1;
    compliance acknowledge, resolve, bounce_back;
    bool operator==(const compliance_bucket&) const = default;
};

struct sla_summary {
    std::size_t complaints = 0;
    std::map<std::string, std::size_t> open_by_state;
    compliance acknowledge, resolve, bounce_back;
    std::vector<compliance_bucket>
        buckets;  // period x team x segment x policy x version x severity
    // Business seconds from filing, nearest-rank percentiles; pauses excluded from resolve.
    std::optional<std::int64_t> acknowledge_median, acknowledge_p90, resolve_median, resolve_p90;
    std::map<int, std::size_t> escalations_by_level;  // escalations that reached each level
    std::optional<double> bounce_back_rate;           // recovered / (recovered + lost)
    // Lifetime value of customers with an open breached or lost complaint (each customer once,
    // at the highest value a complaint recorded), per currency; an amount recorded without one
    // counts in the book's default currency.
    money_totals revenue_at_risk;
    money_totals recovered_revenue;  // spent by customers coming back after a resolution
};

// What a report knows "as of" an instant: complaints filed and events recorded up to it.
sla_summary summarize(const read_model& m, const policy_book& book, const report_filter& f,
                      period p);

struct at_risk_item {
    std::string complaint_id, customer_id, team, owner, status, target;
    money customer_value;
    instant due;
    std::int64_t seconds_left = 0;  // negative: overdue
    bool breached = false;
    bool operator==(const at_risk_item&) const = default;
};

// Open complaints whose clock warned but has not breached (at risk), and those that breached
// (breached = true), most urgent first.
// A customer value recorded without a currency is given `fallback` (the configured default).
std::vector<at_risk_item> at_risk(const read_model& m, const report_filter& f, instant now,
                                  currency fallback = {});

// The business time a complaint took to reach `until` from filing, minus customer pauses.
duration business_elapsed(const complaint_row& row, const policy_book& book, instant until,
                          bool minus_pauses);

}  // namespace bb::projection
