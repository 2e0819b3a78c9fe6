#include "projections/prevention.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace bb::projection {

std::optional<cause_basis> parse_cause_basis(std::string_view s) {
    if (s == "root_cause") return cause_basis::root_cause;
    if (s == "category") return cause_basis::category;
    return std::nullopt;
}

std::string_view to_string(cause_basis b) {
    return b == cause_basis::root_cause ? "root_cause" : "category";
}

cause cause_of(const complaint_row& row, cause_basis b) {
    if (b == cause_basis::root_cause)
        if (const auto& rc = row.progress.get().root_cause) return {*rc, false};
    return {row.state.category, b == cause_basis::root_cause};
}

namespace {

// How many complaints, and how many of them counted by their filing category.
struct tally {
    std::size_t count = 0, from_filing = 0;
    void add(const cause& c) {
        ++count;
        if (c.from_filing) ++from_filing;
    }
};

double weeks_between(instant from, instant to) {
    return to > from ? std::chrono::duration<double>(to - from).count() / (7 * 86400.0) : 0.0;
}

}  // namespace

std::vector<pareto_row> root_cause_pareto(const read_model& m, const report_filter& f,
                                          pareto_grouping g) {
    std::map<std::tuple<std::string, std::string, std::string>, tally> counts;
    std::size_t total = 0;
    for (const auto& [id, row] : m.complaints) {
        const auto& s = row.state;
        if (s.status == complaint_status::unfiled || !f.matches(s)) continue;
        const auto c = cause_of(row, g.by);
        counts[{std::string(c.name), g.product ? s.product : std::string{},
                g.channel ? s.channel : std::string{}}]
            .add(c);
        ++total;
    }
    std::vector<pareto_row> out;
    for (const auto& [k, n] : counts)
        out.push_back(
            {std::get<0>(k), std::get<1>(k), std::get<2>(k), n.count, 0, 0, n.from_filing});
    // Descending count; ties in name order so the report is stable.
    std::stable_sort(out.begin(), out.end(),
                     [](const pareto_row& a, const pareto_row& b) { return a.count > b.count; });
    std::size_t running = 0;
    for (auto& r : out) {
        running += r.count;
        r.share = static_cast<double>(r.count) / static_cast<double>(total);
        r.cumulative_share = static_cast<double>(running) / static_cast<double>(total);
    }
    return out;
}

std::vector<repeat_complainer> repeat_complainers(const read_model& m, const report_filter& f,
                                                  duration window) {
    std::map<std::string, std::vector<instant>> filed;
    for (const auto& [id, row] : m.complaints)
        if (row.state.status != complaint_status::unfiled && f.matches(row.state))
            filed[row.state.customer.id.value()].push_back(row.state.filed_at);
    std::vector<repeat_complainer> out;
    for (auto& [customer, times] : filed) {
        if (times.size() < 2) continue;
        std::sort(times.begin(), times.end());
        std::size_t best = 1;
        for (std::size_t lo = 0, hi = 0; hi < times.size(); ++hi) {
            while (times[hi] - times[lo] > window) ++lo;
            best = std::max(best, hi - lo + 1);
        }
        if (best >= 2) out.push_back({customer, times.size(), best, times.front(), times.back()});
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.max_in_window > b.max_in_window;
    });
    return out;
}

std::vector<action_effect> prevention_effects(const read_model& m, const report_filter& f,
                                              int weeks, instant now, cause_basis by) {
    const duration span = std::chrono::days{7} * weeks;
    // One pass over the complaints: each cause's filing instants, sorted, so that every action
    // counts its windows by binary search (a pass per action read every row once per action).
    std::optional<instant> first_filed;
    std::map<std::string, std::vector<instant>, std::less<>> filed_by_cause;
    for (const auto& [id, row] : m.complaints) {
        const auto& s = row.state;
        if (s.status == complaint_status::unfiled) continue;
        // The history starts at the first filing the service knows of: a window reaching
        // further back saw nothing there, and counting those weeks would understate the rate
        // before.
        if (!first_filed || s.filed_at < *first_filed) first_filed = s.filed_at;
        if (f.matches(s)) filed_by_cause[std::string(cause_of(row, by).name)].push_back(s.filed_at);
    }
    for (auto& [c, times] : filed_by_cause) std::sort(times.begin(), times.end());
    auto filed_in = [](const std::vector<instant>& times, instant from, instant to) {
        if (to <= from) return std::size_t{0};
        return static_cast<std::size_t>(std::lower_bound(times.begin(), times.end(), to) -
                                        std::lower_bound(times.begin(), times.end(), from));
    };
    std::vector<action_effect> out;
    for (const auto& a : m.actions) {
        action_effect e{
            a.id.value(), a.category, a.owner, a.description, a.at, weeks, 0, 0, 0, 0, 0, 0,
            std::nullopt};
        const auto before_start = std::max(a.at - span, std::min(first_filed.value_or(a.at), a.at));
        const auto after_end = std::min(a.at + span, std::max(now, a.at));
        e.weeks_before_observed = weeks_between(before_start, a.at);
        e.weeks_after_observed = weeks_between(a.at, after_end);
        if (const auto it = filed_by_cause.find(a.category); it != filed_by_cause.end()) {
            e.before = filed_in(it->second, before_start, a.at);
            e.after = filed_in(it->second, a.at, after_end);
        }
        if (e.weeks_before_observed > 0)
            e.weekly_before = static_cast<double>(e.before) / e.weeks_before_observed;
        if (e.weeks_after_observed > 0)
            e.weekly_after = static_cast<double>(e.after) / e.weeks_after_observed;
        if (e.weekly_before > 0 && e.weeks_after_observed > 0)
            e.change_percent = (e.weekly_after - e.weekly_before) / e.weekly_before * 100.0;
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<trend_point> weekly_trend(const read_model& m, const report_filter& f, cause_basis by) {
    std::map<std::pair<std::string, std::string>, tally> counts;
    for (const auto& [id, row] : m.complaints)
        if (row.state.status != complaint_status::unfiled && f.matches(row.state)) {
            const auto c = cause_of(row, by);
            counts[{period_key(row.state.filed_at, period::week), std::string(c.name)}].add(c);
        }
    std::vector<trend_point> out;
    for (const auto& [k, n] : counts) out.push_back({k.first, k.second, n.count, n.from_filing});
    return out;
}

}  // namespace bb::projection
