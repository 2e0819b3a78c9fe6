#include "projections/sla.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <unordered_set>

#include <date/date.h>
#include <date/iso_week.h>

namespace bb::projection {

bool report_filter::matches(const complaint_state& s) const {
    if (team && s.team != *team) return false;
    if (segment && s.customer.segment != *segment) return false;
    if (policy && s.policy->id != *policy) return false;
    if (policy_version && s.policy->version != *policy_version) return false;
    if (product && s.product != *product) return false;
    if (channel && s.channel != *channel) return false;
    if (sev && s.sev != *sev) return false;
    if (from && s.filed_at < *from) return false;
    if (to && s.filed_at >= *to) return false;
    return true;
}

std::optional<period> parse_period(std::string_view s) {
    if (s == "day") return period::day;
    if (s == "week") return period::week;
    if (s == "month") return period::month;
    return std::nullopt;
}

std::string period_key(instant t, period p) {
    const auto day = date::floor<date::days>(t);
    const date::year_month_day ymd{day};
    char buf[16];
    switch (p) {
        case period::day:
            std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()),
                          unsigned(ymd.day()));
            return buf;
        case period::week: {
            const iso_week::year_weeknum_weekday w{day};
            std::snprintf(buf, sizeof buf, "%04d-W%02u", int(w.year()), unsigned(w.weeknum()));
            return buf;
        }
        case period::month:
            std::snprintf(buf, sizeof buf, "%04d-%02u", int(ymd.year()), unsigned(ymd.month()));
            return buf;
    }
    return {};
}

std::optional<double> compliance::percent() const {
    if (met + missed == 0) return std::nullopt;
    return 100.0 * static_cast<double>(met) / static_cast<double>(met + missed);
}

namespace {

void count_acknowledge(compliance& c, const complaint_row& r) {
    if (r.acknowledge_ever_breached)
        ++c.missed;
    else if (r.state.acknowledged_at)
        ++c.met;
    else if (r.state.status != complaint_status::withdrawn)
        ++c.pending;
}

void count_resolve(compliance& c, const complaint_row& r) {
    if (r.resolve_ever_breached)
        ++c.missed;
    else if (r.progress.get().first_resolved_at)
        ++c.met;
    else if (r.state.status != complaint_status::withdrawn)
        ++c.pending;
}

void count_bounce_back(compliance& c, const complaint_row& r) {
    if (r.state.status == complaint_status::recovered)
        ++c.met;
    else if (r.state.status == complaint_status::lost)
        ++c.missed;
    else if (r.state.status == complaint_status::resolved)
        ++c.pending;
}

std::optional<std::int64_t> nearest_rank(std::vector<std::int64_t>& v, double p) {
    if (v.empty()) return std::nullopt;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::max<std::size_t>(rank, 1) - 1];
}

}  // namespace

duration business_elapsed(const complaint_row& row, const policy_book& book, instant until,
                          bool minus_pauses) {
    const auto& s = row.state;
    // The calendar the complaint was filed under; older filings name it only.
    const auto* cal = s.policy->calendar_as_applied ? &*s.policy->calendar_as_applied
                                                    : book.calendar(s.policy->calendar);
    auto between = [&](instant a, instant b) {
        if (cal) return business_time_between(*cal, a, b);
        return b > a ? std::chrono::duration_cast<duration>(b - a) : duration{0};
    };
    auto total = between(s.filed_at, until);
    if (minus_pauses)
        for (const auto& [p, q] : row.progress.get().pauses)
            total -= between(std::max(p, s.filed_at), std::min(q, until));
    return std::max(total, duration{0});
}

sla_summary summarize(const read_model& m, const policy_book& book, const report_filter& f,
                      period p) {
    sla_summary out;
    std::map<std::tuple<std::string, std::string, std::string, std::string, int, std::string>,
             compliance_bucket>
        buckets;
    std::vector<std::int64_t> ack_times, resolve_times;
    std::map<std::pair<std::string, currency>, std::int64_t> at_risk_customers;
    // Views of the model's own keys (stable while the caller holds the model): a copy of every
    // id was a string per complaint of history for each summary.
    std::unordered_set<std::string_view> included;
    for (const auto& [id, row] : m.complaints) {
        const auto& s = row.state;
        if (s.status == complaint_status::unfiled || !f.matches(s)) continue;
        included.insert(id);
        ++out.complaints;
        if (is_open(s.status)) ++out.open_by_state[std::string(to_string(s.status))];
        count_acknowledge(out.acknowledge, row);
        count_resolve(out.resolve, row);
        count_bounce_back(out.bounce_back, row);
        const auto key =
            std::make_tuple(period_key(s.filed_at, p), s.team, s.customer.segment, s.policy->id,
                            s.policy->version, std::string(to_string(s.sev)));
        auto& b = buckets[key];
        std::tie(b.period, b.team, b.segment, b.policy, b.policy_version, b.severity) = key;
        count_acknowledge(b.acknowledge, row);
        count_resolve(b.resolve, row);
        count_bounce_back(b.bounce_back, row);
        if (s.acknowledged_at)
            ack_times.push_back(business_elapsed(row, book, *s.acknowledged_at, false).count());
        if (const auto& resolved = row.progress.get().first_resolved_at)
            resolve_times.push_back(business_elapsed(row, book, *resolved, true).count());
        const bool open_breached =
            is_open(s.status) && (s.acknowledge.breached || s.resolve.breached);
        const auto& recovered = row.progress.get().recovered_value;
        if (s.status == complaint_status::recovered && recovered)
            out.recovered_revenue.add(*recovered, book.default_currency);
        if (open_breached || s.status == complaint_status::lost) {
            auto& v = at_risk_customers[{s.customer.id.value(),
                                         s.customer.value.cur.or_default(book.default_currency)}];
            v = std::max(v, s.customer.value.amount);
        }
    }
    for (auto& [k, b] : buckets) out.buckets.push_back(std::move(b));
    out.acknowledge_median = nearest_rank(ack_times, 0.5);
    out.acknowledge_p90 = nearest_rank(ack_times, 0.9);
    out.resolve_median = nearest_rank(resolve_times, 0.5);
    out.resolve_p90 = nearest_rank(resolve_times, 0.9);
    for (const auto& e : m.escalations)
        if (included.contains(e.id.value())) ++out.escalations_by_level[e.to_level];
    if (out.bounce_back.met + out.bounce_back.missed > 0)
        out.bounce_back_rate = static_cast<double>(out.bounce_back.met) /
                               static_cast<double>(out.bounce_back.met + out.bounce_back.missed);
    for (const auto& [c, v] : at_risk_customers) out.revenue_at_risk.add(money{v, c.second}, {});
    return out;
}

std::vector<at_risk_item> at_risk(const read_model& m, const report_filter& f, instant now,
                                  currency fallback) {
    std::vector<at_risk_item> out;
    // Only live rows: a frozen one is settled, and a settled complaint has no clock at risk.
    m.complaints.for_each_live([&](const std::string& id, const complaint_row& row) {
        const auto& s = row.state;
        if (!f.matches(s)) return;
        auto add = [&](sla_target t, const sla_clock& c) {
            if (!c.warned && !c.breached) return;
            out.push_back(
                {id, s.customer.id.value(), s.team, s.owner ? s.owner->value() : std::string{},
                 std::string(to_string(s.status)), std::string(to_string(t)),
                 money{s.customer.value.amount, s.customer.value.cur.or_default(fallback)}, c.due,
                 std::chrono::duration_cast<duration>(c.due - now).count(), c.breached});
        };
        if (s.status == complaint_status::received) add(sla_target::acknowledge, s.acknowledge);
        if (is_open(s.status)) add(sla_target::resolve, s.resolve);
        if (s.status == complaint_status::resolved) add(sla_target::bounce_back, s.bounce_back);
    });
    std::stable_sort(out.begin(), out.end(), [](const at_risk_item& a, const at_risk_item& b) {
        return std::tie(a.seconds_left, a.complaint_id) < std::tie(b.seconds_left, b.complaint_id);
    });
    return out;
}

}  // namespace bb::projection
