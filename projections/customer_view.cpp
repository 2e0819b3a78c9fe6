#include "projections/customer_view.hpp"

#include <algorithm>
#include <map>

namespace bb::projection {

std::string_view to_string(clock_state s) {
    switch (s) {
        case clock_state::met:
            return "met";
        case clock_state::breached:
            return "breached";
        case clock_state::at_risk:
            return "at_risk";
        case clock_state::pending:
            return "pending";
        case clock_state::none:
            return "none";
    }
    return "none";
}

std::string_view to_string(bounce_back_state s) {
    switch (s) {
        case bounce_back_state::not_yet:
            return "not_yet";
        case bounce_back_state::waiting:
            return "waiting";
        case bounce_back_state::recovered:
            return "recovered";
        case bounce_back_state::lost:
            return "lost";
        case bounce_back_state::withdrawn:
            return "withdrawn";
    }
    return "not_yet";
}

std::string_view to_string(churn_level l) {
    switch (l) {
        case churn_level::none:
            return "none";
        case churn_level::low:
            return "low";
        case churn_level::medium:
            return "medium";
        case churn_level::high:
            return "high";
    }
    return "none";
}

namespace {

constexpr auto compliment_window = std::chrono::hours(24 * 90);

clock_state clock_of(const sla_clock& c, bool done, bool ever_breached, bool running) {
    const bool breached = ever_breached || c.breached;
    if (done) return breached ? clock_state::breached : clock_state::met;
    if (breached) return clock_state::breached;
    if (!running) return clock_state::none;
    return c.warned ? clock_state::at_risk : clock_state::pending;
}

bounce_back_state bounce_back_of(complaint_status s) {
    switch (s) {
        case complaint_status::resolved:
            return bounce_back_state::waiting;
        case complaint_status::recovered:
            return bounce_back_state::recovered;
        case complaint_status::lost:
            return bounce_back_state::lost;
        case complaint_status::withdrawn:
            return bounce_back_state::withdrawn;
        case complaint_status::unfiled:
        case complaint_status::received:
        case complaint_status::acknowledged:
        case complaint_status::investigating:
        case complaint_status::awaiting_customer:
        case complaint_status::reopened:
            return bounce_back_state::not_yet;
    }
    return bounce_back_state::not_yet;
}

customer_complaint summarize(const std::string& id, const complaint_row& row) {
    const auto& s = row.state;
    const auto& p = row.progress.get();
    const bool open = is_open(s.status);
    customer_complaint c;
    c.id = id;
    c.state = s;
    c.state.seen = {};  // idempotency keys are the decider's business
    c.root_cause = p.root_cause;
    c.acknowledge =
        clock_of(s.acknowledge, s.acknowledged_at.has_value(), row.acknowledge_ever_breached, open);
    c.resolve = clock_of(s.resolve, p.first_resolved_at.has_value() || s.resolved_at.has_value(),
                         row.resolve_ever_breached, open);
    c.open_breach = open && ((!s.acknowledged_at && s.acknowledge.breached) || s.resolve.breached);
    c.bounce_back = bounce_back_of(s.status);
    if (c.bounce_back == bounce_back_state::waiting) c.bounce_back_due = s.bounce_back.due;
    c.recovered_value = p.recovered_value;
    return c;
}

std::string plural(int n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace

std::optional<customer_view> view_customer(const read_model& m, std::string_view customer,
                                           instant now, currency fallback) {
    customer_view v;
    v.customer = std::string(customer);
    m.complaints.for_each_of_customer(customer,
                                      [&](const std::string& id, const complaint_row& row) {
                                          v.complaints.push_back(summarize(id, row));
                                      });
    for (const auto& c : m.compliments)
        if (c.customer.value() == customer) v.compliments.push_back(c);
    if (v.complaints.empty() && v.compliments.empty()) return std::nullopt;
    std::ranges::sort(v.complaints, [](const auto& a, const auto& b) {
        return a.state.filed_at != b.state.filed_at ? a.state.filed_at > b.state.filed_at
                                                    : a.id < b.id;
    });
    std::ranges::stable_sort(v.compliments,
                             [](const auto& a, const auto& b) { return a.at > b.at; });
    if (!v.complaints.empty()) {
        const auto& newest = v.complaints.front().state.customer;
        v.segment = newest.segment;
        v.lifetime_value = money(newest.value.amount, newest.value.cur.or_default(fallback));
    }

    std::map<std::string, std::int64_t> revenue;
    int reopened = 0, escalated = 0;
    for (const auto& c : v.complaints) {
        if (is_open(c.state.status)) {
            ++v.open;
            if (c.open_breach) ++v.open_breaches;
            if (c.state.reopen_count > 0) ++reopened;
            if (c.state.escalation_level >= 2) ++escalated;
        }
        switch (c.bounce_back) {
            case bounce_back_state::recovered:
                ++v.recovered;
                break;
            case bounce_back_state::lost:
                ++v.lost;
                break;
            case bounce_back_state::waiting:
                ++v.waiting;
                break;
            case bounce_back_state::withdrawn:
                ++v.withdrawn;
                break;
            case bounce_back_state::not_yet:
                break;
        }
        if (c.recovered_value)
            revenue[std::string(c.recovered_value->cur.or_default(fallback).code())] +=
                c.recovered_value->amount;
    }
    for (const auto& [code, amount] : revenue)
        v.recovered_revenue.push_back(money(amount, currency::parse(code).value_or(currency{})));

    // The churn-risk rule (see the header): each reason that applies, with its weight.
    const auto reason = [&](std::string code, std::string detail, int weight) {
        v.reasons.push_back({std::move(code), std::move(detail), weight});
        v.churn_score += weight;
    };
    if (v.open_breaches > 0)
        reason("open_breach",
               plural(v.open_breaches, "open complaint", "open complaints") + " past an SLA target",
               2 * v.open_breaches);
    if (v.lost > 0)
        reason("lost",
               "did not come back after " +
                   plural(v.lost, "resolved complaint", "resolved complaints"),
               2 * v.lost);
    if (v.open >= 2) reason("several_open", std::to_string(v.open) + " complaints open at once", 1);
    if (reopened > 0)
        reason("reopened", plural(reopened, "open complaint", "open complaints") + " reopened",
               reopened);
    if (escalated > 0)
        reason("escalated",
               plural(escalated, "open complaint", "open complaints") +
                   " escalated to level 2 or more",
               escalated);
    const auto newest_settled = std::ranges::find_if(v.complaints, [](const auto& c) {
        return c.bounce_back == bounce_back_state::recovered ||
               c.bounce_back == bounce_back_state::lost;
    });
    if (newest_settled != v.complaints.end() &&
        newest_settled->bounce_back == bounce_back_state::recovered)
        reason("came_back", "came back after complaint " + newest_settled->id + " was resolved",
               -2);
    const auto recent = std::ranges::count_if(v.compliments, [&](const auto& c) {
        return c.at <= now && now - c.at <= compliment_window;
    });
    if (recent > 0)
        reason(
            "compliment",
            plural(static_cast<int>(recent), "compliment", "compliments") + " in the last 90 days",
            -1);
    std::ranges::stable_sort(v.reasons,
                             [](const auto& a, const auto& b) { return a.weight > b.weight; });
    v.churn = v.churn_score >= 4   ? churn_level::high
              : v.churn_score >= 2 ? churn_level::medium
              : v.churn_score >= 1 ? churn_level::low
                                   : churn_level::none;
    return v;
}

}  // namespace bb::projection
