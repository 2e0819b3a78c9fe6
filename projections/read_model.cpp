#include "projections/read_model.hpp"

namespace bb::projection {

namespace {

void close_pause(complaint_row& row, instant at) {
    if (!row.progress.get().pauses.empty()) row.progress.edit().pauses.back().second = at;
}

void on_complaint(read_model& m, const complaint_event& e) {
    const auto& id = std::visit([](const auto& ev) -> const complaint_id& { return ev.id; }, e);
    auto& row = m.complaints.edit(id.value());
    const auto before = row.state.status;
    // Who owned it until a reassignment: copied only for those (a copy per event would cost
    // every replay).
    std::optional<employee_id> owner_before;
    if (std::holds_alternative<complaint_assigned>(e)) owner_before = row.state.owner;
    // Idempotency keys are the command side's business: the read model never decides, and a set
    // node per command that took effect was ~100 bytes of every complaint's memory.
    evolve_facts(row.state, e);
    std::visit(
        overloaded{
            // One policy object per distinct policy, not a copy per complaint.
            [&](const complaint_filed&) { row.state.policy = m.policies.intern(row.state.policy); },
            [&](const complaint_acknowledged&) {},
            // An SLA outcome already decided (acknowledged or resolved in time, or breached) stays
            // with the owner of that moment: kept here, when the complaint moves on to someone
            // else. Without a reassignment the last owner is that owner, and no box is needed.
            [&](const complaint_assigned&) {
                if (!owner_before || owner_before == row.state.owner) return;
                const auto& p = row.progress.get();
                const bool ack_decided = row.state.acknowledged_at || row.acknowledge_ever_breached;
                const bool resolve_decided = p.first_resolved_at || row.resolve_ever_breached;
                if (ack_decided && !p.acknowledge_credit)
                    row.progress.edit().acknowledge_credit = owner_before;
                if (resolve_decided && !p.resolve_credit)
                    row.progress.edit().resolve_credit = owner_before;
            },
            [&](const customer_info_requested& v) {
                row.progress.edit().pauses.emplace_back(v.at, instant::max());
            },
            [&](const customer_replied& v) { close_pause(row, v.at); },
            [&](const root_cause_found& v) {
                auto& p = row.progress.edit();
                p.root_cause = v.category;
                p.root_cause_detail = v.detail;
                if (v.employee) p.attributed_to = v.employee;
            },
            [&](const recovery_offered&) {},
            [&](const complaint_resolved& v) {
                auto& p = row.progress.edit();
                if (!p.first_resolved_at) p.first_resolved_at = v.at;
                p.resolved_by = v.employee;
                if (before == complaint_status::awaiting_customer) close_pause(row, v.at);
            },
            [&](const complaint_reopened&) {},
            [&](const complaint_withdrawn& v) {
                if (before == complaint_status::awaiting_customer) close_pause(row, v.at);
            },
            [&](const sla_warning_raised&) {},
            [&](const sla_breached& v) {
                if (v.target == sla_target::resolve) row.resolve_ever_breached = true;
                if (v.target == sla_target::acknowledge) row.acknowledge_ever_breached = true;
            },
            [&](const complaint_escalated& v) {
                m.escalations.push_back({v.id, v.to_level, v.at});
            },
            [&](const customer_bounced_back& v) {
                if (v.value) row.progress.edit().recovered_value = v.value;
            },
            [&](const bounce_back_missed&) {},
            // A late fact met the SLA after all: the outcome counts as met. A resolve breach of
            // an earlier cycle (before a reopen) is not this one's to clear.
            [&](const sla_reconciled& v) {
                if (v.target == sla_target::acknowledge) row.acknowledge_ever_breached = false;
                if (v.target == sla_target::resolve && row.state.reopen_count == 0)
                    row.resolve_ever_breached = false;
            },
            // The policy matched again: shared as the filed ones are.
            [&](const complaint_reclassified&) {
                row.state.policy = m.policies.intern(row.state.policy);
            },
        },
        e);
    // `row` is not to be used after this: a settled row is frozen.
    if (complaint_rows::settled(row)) m.complaints.settle(id.value());
}

}  // namespace

void apply_in_place(read_model& m, const projected_event& pe) {
    std::visit(overloaded{
                   [&](const complaint_event& e) { on_complaint(m, e); },
                   [&](const compliment_received& e) { m.compliments.push_back(e); },
                   [&](const prevention_action_recorded& e) { m.actions.push_back(e); },
               },
               pe.event);
    m.position = pe.position;
}

namespace {

const std::string* complaint_key(const projected_event& pe) {
    const auto* e = std::get_if<complaint_event>(&pe.event);
    if (e == nullptr) return nullptr;
    return &std::visit([](const auto& ev) -> const complaint_id& { return ev.id; }, *e).value();
}

}  // namespace

void apply_all(read_model& m, std::span<const projected_event> events) {
    // Far enough ahead that the slot is in cache when its row is looked up, and the row when
    // the event is folded.
    constexpr std::size_t slot_ahead = 16, row_ahead = 8;
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (i + slot_ahead < events.size())
            if (const auto* key = complaint_key(events[i + slot_ahead]))
                m.complaints.prefetch_slot(*key);
        if (i + row_ahead < events.size())
            if (const auto* key = complaint_key(events[i + row_ahead]))
                m.complaints.prefetch_row(*key);
        apply_in_place(m, events[i]);
    }
}

read_model apply(read_model m, const projected_event& e) {
    apply_in_place(m, e);
    return m;
}

}  // namespace bb::projection
