#include "services/domain_metrics.hpp"

#include <chrono>

namespace bb {

std::vector<domain_sample> domain_samples(const std::vector<complaint_event>& events,
                                          instant recorded_at) {
    std::vector<domain_sample> out;
    // A deadline's event is stamped with its due instant; written later, the difference is how
    // late the scheduler (or the command that fired it first) was.
    auto lateness = [&](std::string_view kind, instant due) {
        const auto late = std::chrono::duration<double>(recorded_at - due).count();
        out.push_back({"bounceback_deadline_lateness_seconds",
                       {{"kind", std::string(kind)}},
                       late < 0 ? 0 : late,
                       true});
    };
    for (const auto& e : events)
        std::visit(
            overloaded{
                [&](const sla_warning_raised& w) {
                    out.push_back({"bounceback_sla_warnings_total",
                                   {{"target", std::string(to_string(w.target))}}});
                    lateness("warning", w.at);
                },
                [&](const sla_breached& b) {
                    out.push_back({"bounceback_sla_breaches_total",
                                   {{"target", std::string(to_string(b.target))}}});
                    lateness("breach", b.at);
                },
                [&](const sla_reconciled& r) {
                    out.push_back({"bounceback_sla_reconciled_total",
                                   {{"target", std::string(to_string(r.target))}}});
                },
                [&](const complaint_escalated& x) {
                    out.push_back(
                        {"bounceback_escalations_total", {{"level", std::to_string(x.to_level)}}});
                },
                [&](const customer_bounced_back&) {
                    out.push_back({"bounceback_bounce_backs_total", {{"outcome", "recovered"}}});
                },
                [&](const bounce_back_missed& m) {
                    out.push_back({"bounceback_bounce_backs_total",
                                   {{"outcome", "missed"}, {"reason", m.reason}}});
                    if (m.reason == "window_elapsed") lateness("bounce_back", m.at);
                },
                [&](const complaint_filed&) {
                    out.push_back({"bounceback_complaints_filed_total", {}});
                },
                [](const auto&) {},
            },
            e);
    return out;
}

void describe_domain_metrics(metrics& m) {
    m.describe("bounceback_sla_warnings_total", "counter", "SLA warnings raised, by target");
    m.describe("bounceback_sla_breaches_total", "counter", "SLA breaches, by target");
    m.describe("bounceback_sla_reconciled_total", "counter",
               "Breaches a late fact showed were met after all (SlaReconciled), by target");
    m.describe("bounceback_escalations_total", "counter", "Escalations, by the level reached");
    m.describe("bounceback_bounce_backs_total", "counter",
               "Bounce-back outcomes: recovered, or missed (by reason)");
    m.describe("bounceback_complaints_filed_total", "counter", "Complaints filed");
    m.describe("bounceback_deadline_lateness_seconds", "histogram",
               "How long after its due instant a deadline event (warning, breach, bounce-back "
               "window) was written, by kind");
}

void count(metrics& m, const std::vector<domain_sample>& samples) {
    for (const auto& s : samples)
        if (s.histogram)
            m.observe(s.name, s.labels, s.value);
        else
            m.add(s.name, s.labels, s.value);
}

}  // namespace bb
