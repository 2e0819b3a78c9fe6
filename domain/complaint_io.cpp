// Human-readable printing of commands and events, so that a failing test says what happened.
#include <date/date.h>

#include "domain/complaint.hpp"

namespace bb {
namespace {

struct printer {
    std::ostream& os;
    bool first = true;

    printer(std::ostream& o, std::string_view name) : os(o) { os << name << '{'; }
    ~printer() { os << '}'; }
    printer(const printer&) = delete;
    printer& operator=(const printer&) = delete;

    template <class T>
    printer& field(std::string_view name, const T& value) {
        os << (first ? "" : ", ") << name << '=';
        first = false;
        write(value);
        return *this;
    }
    template <class T>
    printer& field(std::string_view name, const std::optional<T>& value) {
        if (value) field(name, *value);
        return *this;
    }

    void write(const instant& t) { os << date::format("%FT%TZ", t); }
    void write(const std::string& s) { os << '"' << s << '"'; }
    void write(const money& m) {
        os << format_amount(m) << (m.cur.empty() ? "" : " ") << m.cur.code();
    }
    template <class T>
    void write(const T& v) {
        os << v;
    }
};

}  // namespace

std::ostream& operator<<(std::ostream& os, complaint_status s) {
    return os << to_string(s);
}

std::ostream& operator<<(std::ostream& os, const complaint_event& e) {
    const auto name = event_type_name(e);
    std::visit(overloaded{
                   [&](const complaint_filed& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("customer", v.customer.id)
                           .field("segment", v.customer.segment)
                           .field("value", v.customer.value)
                           .field("severity", v.sev)
                           .field("channel", v.channel)
                           .field("category", v.category)
                           .field("team", v.team)
                           .field("policy", v.policy.id + "@" + std::to_string(v.policy.version))
                           .field("acknowledge_warn_at", v.acknowledge_warn_at)
                           .field("acknowledge_due", v.acknowledge_due)
                           .field("resolve_warn_at", v.resolve_warn_at)
                           .field("resolve_due", v.resolve_due)
                           .field("at", v.at);
                   },
                   [&](const complaint_acknowledged& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("employee", v.employee)
                           .field("at", v.at);
                   },
                   [&](const complaint_assigned& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("employee", v.employee)
                           .field("at", v.at);
                   },
                   [&](const customer_info_requested& v) {
                       printer(os, name).field("key", v.key).field("id", v.id).field("at", v.at);
                   },
                   [&](const customer_replied& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("at", v.at)
                           .field("resolve_warn_at", v.resolve_warn_at)
                           .field("resolve_due", v.resolve_due);
                   },
                   [&](const root_cause_found& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("category", v.category)
                           .field("employee", v.employee)
                           .field("at", v.at);
                   },
                   [&](const recovery_offered& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("action", v.action)
                           .field("value", v.value)
                           .field("at", v.at);
                   },
                   [&](const complaint_resolved& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("employee", v.employee)
                           .field("at", v.at)
                           .field("bounce_back_warn_at", v.bounce_back_warn_at)
                           .field("bounce_back_due", v.bounce_back_due);
                   },
                   [&](const complaint_reopened& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("reason", v.reason)
                           .field("reopen_count", v.reopen_count)
                           .field("at", v.at)
                           .field("resolve_warn_at", v.resolve_warn_at)
                           .field("resolve_due", v.resolve_due);
                   },
                   [&](const complaint_withdrawn& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("reason", v.reason)
                           .field("at", v.at);
                   },
                   [&](const sla_warning_raised& v) {
                       printer(os, name)
                           .field("id", v.id)
                           .field("target", v.target)
                           .field("due_at", v.due_at)
                           .field("at", v.at);
                   },
                   [&](const sla_breached& v) {
                       printer(os, name)
                           .field("id", v.id)
                           .field("target", v.target)
                           .field("due_at", v.due_at)
                           .field("at", v.at);
                   },
                   [&](const complaint_escalated& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("from_level", v.from_level)
                           .field("to_level", v.to_level)
                           .field("reason", v.reason)
                           .field("at", v.at);
                   },
                   [&](const customer_bounced_back& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("signal", v.signal)
                           .field("score", v.score)
                           .field("at", v.at);
                   },
                   [&](const bounce_back_missed& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("reason", v.reason)
                           .field("score", v.score)
                           .field("at", v.at);
                   },
                   [&](const sla_reconciled& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("target", v.target)
                           .field("due_at", v.due_at)
                           .field("at", v.at);
                   },
                   [&](const complaint_reclassified& v) {
                       printer(os, name)
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("severity", std::string(to_string(v.sev)))
                           .field("category", v.category)
                           .field("product", v.product)
                           .field("team", v.team)
                           .field("policy", v.policy.id)
                           .field("acknowledge_due", v.acknowledge_due)
                           .field("resolve_due", v.resolve_due)
                           .field("acknowledge_elapsed", v.acknowledge_elapsed.count())
                           .field("resolve_elapsed", v.resolve_elapsed.count())
                           .field("reason", v.reason)
                           .field("at", v.at);
                   },
               },
               e);
    return os;
}

std::ostream& operator<<(std::ostream& os, const complaint_command& c) {
    std::visit(overloaded{
                   [&](const file_complaint& v) {
                       printer(os, "file_complaint")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("customer", v.customer.id)
                           .field("severity", v.sev)
                           .field("at", v.at);
                   },
                   [&](const acknowledge_complaint& v) {
                       printer(os, "acknowledge")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("employee", v.employee)
                           .field("at", v.at);
                   },
                   [&](const assign_complaint& v) {
                       printer(os, "assign")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("employee", v.employee)
                           .field("at", v.at);
                   },
                   [&](const request_customer_info& v) {
                       printer(os, "request_customer_info")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("at", v.at);
                   },
                   [&](const record_customer_reply& v) {
                       printer(os, "record_customer_reply")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("at", v.at);
                   },
                   [&](const record_root_cause& v) {
                       printer(os, "record_root_cause")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("category", v.category)
                           .field("at", v.at);
                   },
                   [&](const offer_recovery& v) {
                       printer(os, "offer_recovery")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("value", v.value)
                           .field("at", v.at);
                   },
                   [&](const resolve_complaint& v) {
                       printer(os, "resolve")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("employee", v.employee)
                           .field("at", v.at);
                   },
                   [&](const reopen_complaint& v) {
                       printer(os, "reopen")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("reason", v.reason)
                           .field("at", v.at);
                   },
                   [&](const request_escalation& v) {
                       printer(os, "request_escalation")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("reason", v.reason)
                           .field("at", v.at);
                   },
                   [&](const withdraw_complaint& v) {
                       printer(os, "withdraw")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("reason", v.reason)
                           .field("at", v.at);
                   },
                   [&](const record_customer_activity& v) {
                       printer(os, "record_customer_activity")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("kind", std::string(to_string(v.kind)))
                           .field("at", v.at);
                   },
                   [&](const record_survey& v) {
                       printer(os, "record_survey")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("score", v.score)
                           .field("at", v.at);
                   },
                   [&](const reclassify_complaint& v) {
                       printer(os, "reclassify_complaint")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("category", v.category)
                           .field("team", v.team)
                           .field("product", v.product)
                           .field("reason", v.reason)
                           .field("at", v.at);
                       if (v.sev) os << "(severity " << to_string(*v.sev) << ")";
                   },
                   [&](const sync_ticket& v) {
                       printer(os, "sync_ticket")
                           .field("key", v.key)
                           .field("id", v.id)
                           .field("status", std::string(to_string(v.status)))
                           .field("owner", v.owner)
                           .field("at", v.at);
                   },
               },
               c);
    return os;
}

std::ostream& operator<<(std::ostream& os, const tick& t) {
    printer(os, "tick").field("now", t.now);
    return os;
}

}  // namespace bb
