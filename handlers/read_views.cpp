#include "handlers/read_views.hpp"

#include "infra/iso8601.hpp"

namespace bb {

using nlohmann::json;

namespace {
json opt(const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
}
json opt(const std::optional<std::int64_t>& v) {
    return v ? json(*v) : json(nullptr);
}
json to_json(const projection::compliance& c) {
    return {{"met", c.met},
            {"missed", c.missed},
            {"pending", c.pending},
            {"percent", opt(c.percent())}};
}
// {"USD": "0.30", "EUR": "12.00"}: exact decimal strings per currency, never added across.
json to_json(const money_totals& t) {
    json out = json::object();
    for (const auto& [cur, sum] : t.by_currency())
        out[std::string(cur.code())] = format_amount(sum, cur);
    return out;
}
json to_json(const projection::rate& r) {
    return {{"hits", r.hits}, {"total", r.total}, {"smoothed", r.smoothed}};
}
}  // namespace

json to_json(const projection::sla_summary& s) {
    json buckets = json::array();
    for (const auto& b : s.buckets)
        buckets.push_back({{"period", b.period},
                           {"team", b.team},
                           {"segment", b.segment},
                           {"policy", b.policy},
                           {"policy_version", b.policy_version},
                           {"severity", b.severity},
                           {"acknowledge", to_json(b.acknowledge)},
                           {"resolve", to_json(b.resolve)},
                           {"bounce_back", to_json(b.bounce_back)}});
    json levels = json::object();
    for (const auto& [level, n] : s.escalations_by_level) levels[std::to_string(level)] = n;
    return {
        {"complaints", s.complaints},
        {"open_by_state", s.open_by_state},
        {"compliance",
         {{"acknowledge", to_json(s.acknowledge)},
          {"resolve", to_json(s.resolve)},
          {"bounce_back", to_json(s.bounce_back)}}},
        {"business_seconds",
         {{"acknowledge", {{"median", opt(s.acknowledge_median)}, {"p90", opt(s.acknowledge_p90)}}},
          {"resolve", {{"median", opt(s.resolve_median)}, {"p90", opt(s.resolve_p90)}}}}},
        {"escalations_by_level", levels},
        {"bounce_back_rate", opt(s.bounce_back_rate)},
        {"revenue_at_risk", to_json(s.revenue_at_risk)},
        {"recovered_revenue", to_json(s.recovered_revenue)},
        {"buckets", buckets}};
}

json to_json(const projection::at_risk_item& i) {
    return {{"complaint_id", i.complaint_id},
            {"customer_id", i.customer_id},
            {"customer_value", format_amount(i.customer_value)},
            {"currency", i.customer_value.cur.code()},
            {"team", i.team},
            {"owner", i.owner.empty() ? json(nullptr) : json(i.owner)},
            {"status", i.status},
            {"target", i.target},
            {"due", iso8601::format_instant(i.due)},
            {"seconds_left", i.seconds_left},
            {"breached", i.breached}};
}

json to_json(const projection::pareto_row& r) {
    json j{{"category", r.category},
           {"count", r.count},
           {"share", r.share},
           {"cumulative_share", r.cumulative_share},
           {"from_filing_category", r.from_filing}};
    if (!r.product.empty()) j["product"] = r.product;
    if (!r.channel.empty()) j["channel"] = r.channel;
    return j;
}

json to_json(const projection::repeat_complainer& r) {
    return {{"customer_id", r.customer_id},
            {"complaints", r.complaints},
            {"max_in_90_days", r.max_in_window},
            {"first", iso8601::format_instant(r.first)},
            {"last", iso8601::format_instant(r.last)}};
}

json to_json(const projection::action_effect& e) {
    return {{"action_id", e.action_id},
            {"category", e.category},
            {"owner", e.owner},
            {"description", e.description},
            {"at", iso8601::format_instant(e.at)},
            {"weeks", e.weeks},
            {"weeks_before_observed", e.weeks_before_observed},
            {"weeks_after_observed", e.weeks_after_observed},
            {"before", e.before},
            {"after", e.after},
            {"weekly_before", e.weekly_before},
            {"weekly_after", e.weekly_after},
            {"change_percent", opt(e.change_percent)}};
}

json to_json(const projection::trend_point& t) {
    return {{"week", t.week},
            {"category", t.category},
            {"count", t.count},
            {"from_filing_category", t.from_filing}};
}

json to_json(const projection::employee_score& e) {
    return {{"employee_id", e.employee_id},      {"score", e.score},
            {"compliments", e.compliments},      {"owned", e.owned},
            {"attributed", e.attributed},        {"acknowledge_met", to_json(e.acknowledge)},
            {"resolve_met", to_json(e.resolve)}, {"bounce_back", to_json(e.bounce_back)},
            {"no_reopen", to_json(e.no_reopen)}, {"praise", to_json(e.praise)}};
}

json prevention_report(const projection::read_model& m, const projection::report_filter& f,
                       projection::pareto_grouping g, int weeks, instant now) {
    json pareto = json::array(), repeat = json::array(), actions = json::array(),
         trend = json::array();
    for (const auto& r : projection::root_cause_pareto(m, f, g)) pareto.push_back(to_json(r));
    for (const auto& r : projection::repeat_complainers(m, f)) repeat.push_back(to_json(r));
    for (const auto& r : projection::prevention_effects(m, f, weeks, now, g.by))
        actions.push_back(to_json(r));
    for (const auto& r : projection::weekly_trend(m, f, g.by)) trend.push_back(to_json(r));
    return json{{"group_by", projection::to_string(g.by)},
                {"pareto", pareto},
                {"repeat_complainers", repeat},
                {"prevention_actions", actions},
                {"weekly_trend", trend}};
}

json weights_json(const projection::score_weights& w) {
    return {{"acknowledge", w.acknowledge}, {"resolve", w.resolve},
            {"bounce_back", w.bounce_back}, {"no_reopen", w.no_reopen},
            {"praise", w.praise},           {"prior_strength", w.prior_strength}};
}

}  // namespace bb
