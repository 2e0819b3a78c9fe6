#include "handlers/whatif.hpp"

#include "domain/overloaded.hpp"

namespace bb::whatif {

namespace {

// A command's key: the stored event's, with the step's place when one key caused several steps
// (decide remembers keys, so repeating one would make the second step a redelivery).
idempotency_key step_key(const idempotency_key& k, int step) {
    return step == 0 ? k : idempotency_key{k.value() + "#" + std::to_string(step)};
}

std::string target_outcome(const sla_clock& c, bool done, bool started, instant horizon) {
    if (!started) return "none";
    if (c.breached) return "breached";
    if (done) return "met";
    return c.due <= horizon ? "breached" : "open";
}

}  // namespace

std::vector<complaint_command> facts_of(const std::vector<complaint_event>& stream) {
    std::vector<complaint_command> out;
    std::map<std::string, int> steps;  // how many commands each key gave so far
    const auto next = [&](const idempotency_key& k) { return step_key(k, steps[k.value()]++); };
    for (const auto& e : stream) {
        const auto& key = event_key(e);
        if (key.value().empty()) continue;  // decided by a deadline: decided again
        std::visit(
            overloaded{
                [&](const complaint_filed& f) {
                    out.push_back(file_complaint{next(key), f.id, f.customer, f.sev, f.channel,
                                                 f.category, f.product, f.team, f.summary, f.at});
                },
                [&](const complaint_acknowledged& a) {
                    out.push_back(acknowledge_complaint{next(key), a.id, a.employee, a.at});
                },
                [&](const complaint_assigned& a) {
                    out.push_back(assign_complaint{next(key), a.id, a.employee, a.at});
                },
                [&](const customer_info_requested& r) {
                    out.push_back(request_customer_info{next(key), r.id, r.at});
                },
                [&](const customer_replied& r) {
                    out.push_back(record_customer_reply{next(key), r.id, r.at});
                },
                [&](const root_cause_found& r) {
                    out.push_back(
                        record_root_cause{next(key), r.id, r.category, r.employee, r.at, r.detail});
                },
                [&](const recovery_offered& r) {
                    out.push_back(offer_recovery{next(key), r.id, r.action, r.value, r.at});
                },
                [&](const complaint_resolved& r) {
                    out.push_back(resolve_complaint{next(key), r.id, r.employee, r.at});
                },
                [&](const complaint_reopened& r) {
                    out.push_back(reopen_complaint{next(key), r.id, r.reason, r.at});
                },
                [&](const complaint_withdrawn& w) {
                    out.push_back(withdraw_complaint{next(key), w.id, w.reason, w.at});
                },
                [&](const complaint_reclassified& r) {
                    out.push_back(reclassify_complaint{next(key), r.id, r.sev, r.category, r.team,
                                                       r.product, r.reason, r.at});
                },
                [&](const complaint_escalated& x) {
                    // Only an escalation someone asked for is a fact; the policy's own (intake,
                    // warning, breach, reopen, missed bounce-back) are decided again.
                    if (x.reason.starts_with("manual"))
                        out.push_back(request_escalation{
                            next(key), x.id,
                            x.reason.size() > 8 ? x.reason.substr(8) : std::string{}, x.at});
                },
                [&](const customer_bounced_back& b) {
                    if (b.signal == "survey")
                        out.push_back(record_survey{next(key), b.id, b.score.value_or(10), b.at});
                    else
                        out.push_back(record_customer_activity{
                            next(key), b.id,
                            parse_activity_kind(b.signal).value_or(activity_kind::purchase),
                            b.value, b.at});
                },
                [&](const bounce_back_missed& m) {
                    if (m.reason == "account_closed")
                        out.push_back(record_customer_activity{
                            next(key), m.id, activity_kind::account_closed, std::nullopt, m.at});
                    else if (m.reason == "negative_survey")
                        out.push_back(record_survey{next(key), m.id, m.score.value_or(0), m.at});
                },
                // Decided by the policy (deadlines) or by the late fact that caused them.
                [&](const sla_warning_raised&) {},
                [&](const sla_breached&) {},
                [&](const sla_reconciled&) {},
            },
            e);
    }
    return out;
}

sla_outcome outcome_of(const complaint_state& s, instant horizon) {
    sla_outcome o;
    if (s.status == complaint_status::unfiled) {
        o.status = "unfiled";
        o.acknowledge = o.resolve = "none";
        return o;
    }
    o.policy = s.policy->id + "@" + std::to_string(s.policy->version);
    const bool withdrawn = s.status == complaint_status::withdrawn;
    o.acknowledge =
        target_outcome(s.acknowledge, s.acknowledged_at.has_value() || withdrawn, true, horizon);
    o.resolve = target_outcome(s.resolve, !is_open(s.status) || withdrawn, true, horizon);
    o.escalation_level = s.escalation_level;
    o.status = std::string(to_string(s.status));
    return o;
}

comparison rerun(const policy_book& book, const std::vector<complaint_event>& stream,
                 instant horizon) {
    comparison c;
    complaint_state before;
    for (const auto& e : stream) {
        if (event_time(e) > horizon) break;
        before = evolve(std::move(before), e);
    }
    // Deadlines due by the horizon the log has not recorded yet (no scheduler ran since) count
    // on both sides.
    for (const auto& e : decide(before, tick{horizon})) before = evolve(std::move(before), e);
    c.id = before.id;
    c.before = outcome_of(before, horizon);
    complaint_state after;
    for (const auto& cmd : facts_of(stream)) {
        if (command_time(cmd) > horizon) break;
        const auto d = decide(book, after, cmd);
        if (!d) {
            if (!c.refused) c.refused = d.error();
            continue;
        }
        for (const auto& e : *d) after = evolve(std::move(after), e);
    }
    for (const auto& e : decide(after, tick{horizon})) after = evolve(std::move(after), e);
    c.after = outcome_of(after, horizon);
    return c;
}

void add(totals& t, const comparison& c) {
    ++t.complaints;
    if (c.changed()) ++t.changed;
    if (c.refused) ++t.refused;
    ++t.before["acknowledge:" + c.before.acknowledge];
    ++t.before["resolve:" + c.before.resolve];
    ++t.after["acknowledge:" + c.after.acknowledge];
    ++t.after["resolve:" + c.after.resolve];
}

}  // namespace bb::whatif
