#include "handlers/complaint_view.hpp"

#include <algorithm>

#include "infra/codec/json_writer.hpp"
#include "infra/iso8601.hpp"

namespace bb {

namespace {

void clock_view(codec::json_writer& w, const sla_clock& c, bool running) {
    w.begin_object()
        .key("breached")
        .value(c.breached)
        .key("due")
        .value(iso8601::format_instant(c.due))
        .key("running")
        .value(running)
        .key("warn_at")
        .value(iso8601::format_instant(c.warn_at))
        .key("warned")
        .value(c.warned)
        .end_object();
}

void opt_time(codec::json_writer& w, const std::optional<instant>& t) {
    if (t)
        w.value(iso8601::format_instant(*t));
    else
        w.null();
}

}  // namespace

std::string complaint_view(const complaint_state& s, const projection::complaint_progress* progress,
                           currency fallback) {
    const auto pending = pending_deadlines(s);
    auto running = [&](sla_target t) {
        return std::any_of(pending.begin(), pending.end(),
                           [t](const deadline& d) { return d.target == t; });
    };
    codec::json_writer w;
    w.begin_object().key("acknowledged_at");
    opt_time(w, s.acknowledged_at);
    w.key("category").value(s.category).key("channel").value(s.channel);
    w.key("complaint_id").value(s.id.value());
    w.key("customer")
        .begin_object()
        .key("currency")
        .value(s.customer.value.cur.or_default(fallback).code())
        .key("id")
        .value(s.customer.id.value())
        .key("segment")
        .value(s.customer.segment)
        .key("value")
        .value(format_amount(s.customer.value))
        .end_object();
    w.key("escalation_level").value(std::int64_t{s.escalation_level});
    w.key("filed_at").value(iso8601::format_instant(s.filed_at));
    w.key("next_deadline");
    opt_time(w, next_deadline(s));
    w.key("owner");
    if (s.owner)
        w.value(s.owner->value());
    else
        w.null();
    w.key("policy")
        .begin_object()
        .key("id")
        .value(s.policy->id)
        .key("version")
        .value(std::int64_t{s.policy->version})
        .end_object();
    w.key("product").value(s.product);
    w.key("reopen_count").value(std::int64_t{s.reopen_count});
    w.key("resolved_at");
    opt_time(w, s.resolved_at);
    // What the investigation found (complaint.root_cause_found); null until then.
    w.key("root_cause");
    if (progress && progress->root_cause) {
        w.begin_object().key("category").value(*progress->root_cause);
        if (progress->root_cause_detail) w.key("detail").value(*progress->root_cause_detail);
        if (progress->attributed_to) w.key("employee").value(progress->attributed_to->value());
        w.end_object();
    } else {
        w.null();
    }
    w.key("severity").value(to_string(s.sev));
    w.key("sla").begin_object().key("acknowledge");
    clock_view(w, s.acknowledge, running(sla_target::acknowledge));
    if (s.resolved_at) {
        w.key("bounce_back");
        clock_view(w, s.bounce_back, running(sla_target::bounce_back));
    }
    w.key("resolve");
    clock_view(w, s.resolve, running(sla_target::resolve));
    w.end_object();
    w.key("status").value(to_string(s.status));
    w.key("team").value(s.team);
    w.end_object();
    return w.take();
}

}  // namespace bb
