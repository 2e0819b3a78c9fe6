#include "projections/employee_scores.hpp"

#include <algorithm>
#include <map>

namespace bb::projection {

namespace {

void count(rate& r, bool hit) {
    ++r.total;
    if (hit) ++r.hits;
}

double prior_of(const rate& org) {
    return org.total == 0 ? 0.5 : static_cast<double>(org.hits) / static_cast<double>(org.total);
}

void smooth(rate& r, const rate& org, double k) {
    r.smoothed =
        (static_cast<double>(r.hits) + k * prior_of(org)) / (static_cast<double>(r.total) + k);
}

}  // namespace

std::vector<outcome> outcomes_of(const complaint_row& row) {
    const auto& s = row.state;
    const auto& progress = row.progress.get();
    // Each outcome goes to whoever owned the complaint when it was decided (the owner at an
    // acknowledgement or resolution in time, or at the breach); the customer's return and the
    // resolution staying resolved to whoever resolved it. Where nobody owned it then (or a row
    // from before these were kept), the owner at the end.
    const auto* last = s.owner ? &*s.owner : nullptr;
    auto to = [&](const std::optional<employee_id>& at_the_time) {
        return at_the_time ? &*at_the_time : last;
    };
    std::vector<outcome> out;
    if (s.acknowledged_at || row.acknowledge_ever_breached)
        out.push_back({&employee_score::acknowledge, "acknowledge", to(progress.acknowledge_credit),
                       !row.acknowledge_ever_breached});
    if (progress.first_resolved_at || row.resolve_ever_breached)
        out.push_back({&employee_score::resolve, "resolve", to(progress.resolve_credit),
                       !row.resolve_ever_breached});
    if (s.status == complaint_status::recovered || s.status == complaint_status::lost)
        out.push_back({&employee_score::bounce_back, "bounce_back", to(progress.resolved_by),
                       s.status == complaint_status::recovered});
    if (progress.first_resolved_at)
        out.push_back({&employee_score::no_reopen, "no_reopen", to(progress.resolved_by),
                       s.reopen_count == 0});
    return out;
}

std::vector<employee_score> employee_scores(const read_model& m, const report_filter& f,
                                            const score_weights& w) {
    std::map<std::string, employee_score> by_id;
    employee_score org;
    auto get = [&](const std::string& id) -> employee_score& {
        auto& e = by_id[id];
        e.employee_id = id;
        return e;
    };
    for (const auto& [id, row] : m.complaints) {
        const auto& s = row.state;
        if (s.status == complaint_status::unfiled || !f.matches(s)) continue;
        const auto& progress = row.progress.get();
        if (progress.attributed_to) {
            ++get(progress.attributed_to->value()).attributed;
            count(get(progress.attributed_to->value()).praise, false);
            count(org.praise, false);
        }
        if (s.owner) ++get(s.owner->value()).owned;
        for (const auto& o : outcomes_of(row)) {
            count(org.*o.which, o.hit);  // every outcome counts for the organisation
            if (o.to) count(get(o.to->value()).*o.which, o.hit);
        }
    }
    for (const auto& c : m.compliments) {
        if ((f.from && c.at < *f.from) || (f.to && c.at >= *f.to)) continue;
        for (const auto& emp : c.employees) {
            auto& e = get(emp.value());
            ++e.compliments;
            count(e.praise, true);
            count(org.praise, true);
        }
    }
    const double total_weight = w.acknowledge + w.resolve + w.bounce_back + w.no_reopen + w.praise;
    std::vector<employee_score> out;
    for (auto& [id, e] : by_id) {
        smooth(e.acknowledge, org.acknowledge, w.prior_strength);
        smooth(e.resolve, org.resolve, w.prior_strength);
        smooth(e.bounce_back, org.bounce_back, w.prior_strength);
        smooth(e.no_reopen, org.no_reopen, w.prior_strength);
        smooth(e.praise, org.praise, w.prior_strength);
        const double weighted = w.acknowledge * e.acknowledge.smoothed +
                                w.resolve * e.resolve.smoothed +
                                w.bounce_back * e.bounce_back.smoothed +
                                w.no_reopen * e.no_reopen.smoothed + w.praise * e.praise.smoothed;
        e.score = total_weight > 0 ? 100.0 * weighted / total_weight : 0;
        out.push_back(std::move(e));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.score > b.score; });
    return out;
}

employee_basis basis_of(const read_model& m, const report_filter& f, const std::string& employee) {
    employee_basis out;
    for (const auto& [id, row] : m.complaints) {
        const auto& s = row.state;
        if (s.status == complaint_status::unfiled || !f.matches(s)) continue;
        employee_complaint c{id,
                             s.owner && s.owner->value() == employee,
                             row.progress.get().attributed_to &&
                                 row.progress.get().attributed_to->value() == employee,
                             {}};
        for (const auto& o : outcomes_of(row))
            if (o.to && o.to->value() == employee) c.outcomes.emplace_back(o.name, o.hit);
        if (c.owned || c.attributed || !c.outcomes.empty()) out.complaints.push_back(std::move(c));
    }
    std::sort(out.complaints.begin(), out.complaints.end(),
              [](const auto& a, const auto& b) { return a.complaint_id < b.complaint_id; });
    for (const auto& c : m.compliments) {
        if ((f.from && c.at < *f.from) || (f.to && c.at >= *f.to)) continue;
        for (const auto& emp : c.employees)
            if (emp.value() == employee) out.compliments.push_back({c.id.value(), c.at});
    }
    return out;
}

}  // namespace bb::projection
