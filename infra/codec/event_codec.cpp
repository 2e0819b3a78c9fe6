#include "infra/codec/event_codec.hpp"

#include <date/date.h>
#include <date/tz.h>

#include "infra/codec/json_value.hpp"
#include "infra/codec/json_writer.hpp"
#include "infra/iso8601.hpp"

namespace bb::codec {

using nlohmann::json;

std::string_view type_name(const any_event& e) {
    return std::visit(
        overloaded{
            [](const complaint_event& c) { return event_type_name(c); },
            [](const compliment_received&) { return std::string_view{"ComplimentReceived"}; },
            [](const prevention_action_recorded&) {
                return std::string_view{"PreventionActionRecorded"};
            },
        },
        e);
}

instant time_of(const any_event& e) {
    return std::visit(overloaded{
                          [](const complaint_event& c) { return event_time(c); },
                          [](const compliment_received& c) { return c.at; },
                          [](const prevention_action_recorded& p) { return p.at; },
                      },
                      e);
}

const idempotency_key& key_of(const any_event& e) {
    return std::visit(
        overloaded{
            [](const complaint_event& c) -> const idempotency_key& { return event_key(c); },
            [](const compliment_received& c) -> const idempotency_key& { return c.key; },
            [](const prevention_action_recorded& p) -> const idempotency_key& { return p.key; },
        },
        e);
}

namespace {

// Members are written in the order of their keys' bytes, the order nlohmann keeps them in, so
// the text is what a nlohmann document of the same data dumps (a test holds every event type to
// that). No document is built: that was most of deciding an embedded webhook's encoding cost.
class data_writer {
  public:
    explicit data_writer(json_writer& w) : w_(w) {}
    data_writer& str(std::string_view k, std::string_view v) {
        w_.key(k).value(v);
        return *this;
    }
    data_writer& integer(std::string_view k, std::int64_t v) {
        w_.key(k).value(v);
        return *this;
    }
    data_writer& number(std::string_view k, double v) {
        w_.key(k).value(v);
        return *this;
    }
    // `{"amount": "0.10", "currency": "USD"}`: exact decimal text, never a binary float (storage
    // format 1 wrote a JSON number and no currency; the reader takes both).
    data_writer& amount(std::string_view k, const money& m) {
        w_.key(k).begin_object().key("amount").value(format_amount(m));
        if (!m.cur.empty()) w_.key("currency").value(m.cur.code());
        w_.end_object();
        return *this;
    }
    data_writer& time(std::string_view k, instant t) { return str(k, iso8601::format_instant(t)); }
    data_writer& dur(std::string_view k, duration d) { return str(k, iso8601::format_duration(d)); }
    data_writer& strings(std::string_view k, const std::vector<std::string>& v) {
        w_.key(k).begin_array();
        for (const auto& s : v) w_.value(s);
        w_.end_array();
        return *this;
    }
    // `{"<name>": instant}`, as `due` and `warn` hold one clock's instant.
    data_writer& one_time(std::string_view k, std::string_view name, instant t) {
        w_.key(k).begin_object();
        time(name, t);
        w_.end_object();
        return *this;
    }
    // The customer id propose() adds to every event's data, where it sorts.
    data_writer& customer(std::optional<std::string_view> id) {
        return id ? str("customer_id", *id) : *this;
    }
    json_writer& raw() { return w_; }

  private:
    json_writer& w_;
};

void write_rule(json_writer& w, const escalation_rule& r) {
    data_writer d{w.begin_object()};
    if (r.min_customer_value) d.amount("min_customer_value", *r.min_customer_value);
    d.str("on", to_string(r.on));
    if (r.target) d.str("target", to_string(*r.target));
    d.integer("to_level", r.to_level);
    w.end_object();
}

std::string clock_text(std::chrono::minutes m) {
    const auto h = m.count() / 60, mm = m.count() % 60;
    std::string out = (h < 10 ? "0" : "") + std::to_string(h) + ":";
    return out + (mm < 10 ? "0" : "") + std::to_string(mm);
}

// A calendar as applied: {"holidays": [dates], "hours": [7 days from Sunday, each [[start,
// end], ...]], "time_zone": name}.
void write_calendar(json_writer& w, const business_calendar& c) {
    w.begin_object().key("holidays").begin_array();
    for (const auto& day : c.holidays) w.value(date::format("%F", day));
    w.end_array().key("hours").begin_array();
    for (const auto& day : c.weekly) {
        w.begin_array();
        for (const auto& span : day)
            w.begin_array().value(clock_text(span.start)).value(clock_text(span.end)).end_array();
        w.end_array();
    }
    w.end_array().key("time_zone").value(c.zone ? std::string(c.zone->name()) : "UTC");
    w.end_object();
}

void write_policy(json_writer& w, const sla_policy& p) {
    data_writer d{w.begin_object()};
    d.dur("acknowledge", p.acknowledge)
        .dur("bounce_back", p.bounce_back)
        .str("calendar", p.calendar);
    if (p.calendar_as_applied) {
        w.key("calendar_as_applied");
        write_calendar(w, *p.calendar_as_applied);
    }
    w.key("escalation").begin_array();
    for (const auto& r : p.escalation) write_rule(w, r);
    w.end_array();
    d.str("id", p.id);
    w.key("match").begin_object();
    d.strings("channels", p.match.channels).strings("segments", p.match.segments);
    w.key("severities").begin_array();
    for (auto s : p.match.severities) w.value(to_string(s));
    w.end_array().end_object();
    d.integer("max_level", p.max_level)
        .dur("reopen_within", p.reopen_within)
        .dur("resolve", p.resolve)
        .integer("version", p.version)
        .number("warn_at", p.warn_at);
    w.end_object();
}

void write_complaint_event(data_writer& d, const complaint_event& ce,
                           std::optional<std::string_view> customer) {
    const auto head = [&](const complaint_id& id) -> data_writer& {
        return d.str("complaint_id", id.value()).customer(customer);
    };
    std::visit(
        overloaded{
            [&](const complaint_filed& e) {
                d.str("category", e.category).str("channel", e.channel);
                d.str("complaint_id", e.id.value());
                auto& w = d.raw();
                w.key("customer").begin_object();
                d.str("id", e.customer.id.value())
                    .str("segment", e.customer.segment)
                    .amount("value", e.customer.value);
                w.end_object();
                d.customer(customer);
                w.key("due").begin_object();
                d.time("acknowledge", e.acknowledge_due).time("resolve", e.resolve_due);
                w.end_object().key("policy");
                write_policy(w, e.policy);
                d.str("product", e.product)
                    .str("severity", to_string(e.sev))
                    .str("summary", e.summary)
                    .str("team", e.team);
                w.key("warn").begin_object();
                d.time("acknowledge", e.acknowledge_warn_at).time("resolve", e.resolve_warn_at);
                w.end_object();
            },
            [&](const complaint_acknowledged& e) {
                head(e.id).str("employee", e.employee.value());
            },
            [&](const complaint_assigned& e) { head(e.id).str("employee", e.employee.value()); },
            [&](const customer_info_requested& e) { head(e.id); },
            [&](const customer_replied& e) {
                head(e.id)
                    .one_time("due", "resolve", e.resolve_due)
                    .one_time("warn", "resolve", e.resolve_warn_at);
            },
            [&](const root_cause_found& e) {
                head(e.id);
                auto& w = d.raw();
                w.key("root_cause").begin_object();
                d.str("category", e.category);
                if (e.detail) d.str("detail", *e.detail);
                if (e.employee) d.str("employee", e.employee->value());
                w.end_object();
            },
            [&](const recovery_offered& e) {
                d.str("action", e.action);
                head(e.id).amount("value", e.value);
            },
            [&](const complaint_resolved& e) {
                head(e.id)
                    .one_time("due", "bounce_back", e.bounce_back_due)
                    .str("employee", e.employee.value())
                    .one_time("warn", "bounce_back", e.bounce_back_warn_at);
            },
            [&](const complaint_reopened& e) {
                head(e.id)
                    .one_time("due", "resolve", e.resolve_due)
                    .str("reason", e.reason)
                    .integer("reopen_count", e.reopen_count)
                    .one_time("warn", "resolve", e.resolve_warn_at);
            },
            [&](const complaint_withdrawn& e) { head(e.id).str("reason", e.reason); },
            [&](const sla_warning_raised& e) {
                head(e.id).time("due_at", e.due_at).str("target", to_string(e.target));
            },
            [&](const sla_breached& e) {
                head(e.id).time("due_at", e.due_at).str("target", to_string(e.target));
            },
            [&](const sla_reconciled& e) {
                head(e.id).time("due_at", e.due_at).str("target", to_string(e.target));
            },
            [&](const complaint_reclassified& e) {
                d.str("category", e.category);
                head(e.id);
                auto& w = d.raw();
                w.key("due").begin_object();
                d.time("acknowledge", e.acknowledge_due).time("resolve", e.resolve_due);
                w.end_object().key("elapsed").begin_object();
                d.dur("acknowledge", e.acknowledge_elapsed).dur("resolve", e.resolve_elapsed);
                w.end_object().key("policy");
                write_policy(w, e.policy);
                d.str("product", e.product)
                    .str("reason", e.reason)
                    .str("severity", to_string(e.sev))
                    .str("team", e.team);
                w.key("warn").begin_object();
                d.time("acknowledge", e.acknowledge_warn_at).time("resolve", e.resolve_warn_at);
                w.end_object();
            },
            [&](const complaint_escalated& e) {
                head(e.id)
                    .integer("from_level", e.from_level)
                    .str("reason", e.reason)
                    .integer("to_level", e.to_level);
            },
            [&](const customer_bounced_back& e) {
                head(e.id);
                if (e.score) d.integer("score", *e.score);
                d.str("signal", e.signal);
                if (e.value) d.amount("value", *e.value);
            },
            [&](const bounce_back_missed& e) {
                head(e.id).str("reason", e.reason);
                if (e.score) d.integer("score", *e.score);
            },
        },
        ce);
}

}  // namespace

std::string encode_text(const any_event& any, std::optional<std::string_view> customer) {
    json_writer w;
    data_writer d{w.begin_object()};
    std::visit(overloaded{
                   [&](const complaint_event& ce) { write_complaint_event(d, ce, customer); },
                   [&](const compliment_received& e) {
                       d.str("channel", e.channel);
                       if (e.complaint) d.str("complaint_id", e.complaint->value());
                       d.str("compliment_id", e.id.value())
                           .str("customer_id", customer.value_or(e.customer.value()));
                       w.key("employees").begin_array();
                       for (const auto& emp : e.employees) w.value(emp.value());
                       w.end_array();
                       d.str("text", e.text);
                   },
                   [&](const prevention_action_recorded& e) {
                       d.str("action_id", e.id.value()).str("category", e.category);
                       d.customer(customer).str("description", e.description).str("owner", e.owner);
                   },
               },
               any);
    w.end_object();
    return w.take();
}

json encode(const any_event& e) {
    return json::parse(encode_text(e));
}

json encode_policy(const sla_policy& p) {
    json_writer w;
    write_policy(w, p);
    return json::parse(w.text());
}

// ---------------------------------------------------------------------------------------------
// decode

namespace {

struct decode_error {
    std::string message;
};

// Reads fields from a JSON object; throws decode_error naming the path, caught once in decode().
// The path is built only for an error message: a reader knows its parent and its name.
template <class V>
struct reader {
    V j;
    const reader* parent = nullptr;
    std::string_view name;  // ".escalation[]" style segments, joined with '.'

    std::string path() const {
        if (!parent) return std::string(name);
        return parent->path() + std::string(name) + ".";
    }
    V at(const char* field) const {
        const auto v = j.field(field);
        if (!v) throw decode_error{path() + field + " is missing"};
        return *v;
    }
    reader sub(const char* field) const { return reader{at(field), this, field}; }
    bool has(const char* field) const {
        const auto v = j.field(field);
        return v && !v->is_null();
    }

    std::string str(const char* field) const {
        const auto v = at(field).string();
        if (!v) throw decode_error{path() + field + " must be a string"};
        return std::string(*v);
    }
    double num(const char* field) const {
        const auto v = at(field).number();
        if (!v) throw decode_error{path() + field + " must be a number"};
        return *v;
    }
    // An amount as data_writer::amount writes it, or a bare JSON number (storage format 1: no
    // currency, read as the deployment's default).
    money amount(const char* field) const {
        const auto v = at(field);
        if (const auto n = v.number()) {
            const auto a = amount_from_double(*n);
            if (!a) throw decode_error{path() + field + " is not an amount"};
            return money{*a, {}};
        }
        if (!v.is_object()) throw decode_error{path() + field + " must be an amount"};
        const reader m{v, this, field};
        const auto a = parse_amount(m.str("amount"));
        if (!a)
            throw decode_error{m.path() +
                               "amount must be a decimal with at most 4 fraction digits"};
        money out{*a, {}};
        if (m.has("currency")) {
            const auto c = currency::parse(m.str("currency"));
            if (!c) throw decode_error{m.path() + "currency must be an ISO 4217 code"};
            out.cur = *c;
        }
        return out;
    }
    int integer(const char* field) const {
        const auto v = at(field).integer();
        if (!v) throw decode_error{path() + field + " must be an integer"};
        return *v;
    }
    instant time(const char* field) const {
        const auto t = iso8601::parse_instant(str(field));
        if (!t) throw decode_error{path() + field + " must be an RFC 3339 instant"};
        return *t;
    }
    duration dur(const char* field) const {
        const auto d = iso8601::parse_duration(str(field));
        if (!d) throw decode_error{path() + field + " must be an ISO 8601 duration"};
        return *d;
    }
    std::vector<std::string> strings(const char* field) const {
        std::vector<std::string> out;
        if (!has(field)) return out;
        const auto v = at(field);
        if (!v.is_array()) throw decode_error{path() + field + " must be an array"};
        v.each([&](const V& e) {
            const auto s = e.string();
            if (!s) throw decode_error{path() + field + " must hold strings"};
            out.emplace_back(*s);
        });
        return out;
    }
    template <class E>
    E enumeration(const char* field, std::optional<E> (*parse)(std::string_view)) const {
        const auto v = parse(str(field));
        if (!v) throw decode_error{path() + field + " has an unknown value"};
        return *v;
    }
};

template <class V>
business_calendar read_calendar(const reader<V>& r, const std::string& id) {
    business_calendar c;
    c.id = id;
    const auto zone = r.str("time_zone");
    if (zone != "UTC") {
        try {
            c.zone = date::locate_zone(zone);
        } catch (const std::exception&) {
            throw decode_error{r.path() + "time_zone " + zone + " is not in the tz database"};
        }
    }
    for (const auto& d : r.strings("holidays")) {
        const auto day = iso8601::parse_date(d);
        if (!day) throw decode_error{r.path() + "holidays has a date that is not YYYY-MM-DD"};
        c.holidays.insert(date::local_days{*day});
    }
    const auto clock = [&](std::string_view s) {
        if (s.size() != 5 || s[2] != ':') throw decode_error{r.path() + "hours must be HH:MM"};
        const auto h = std::stoi(std::string(s.substr(0, 2)));
        const auto m = std::stoi(std::string(s.substr(3, 2)));
        return std::chrono::minutes{h * 60 + m};
    };
    const auto hours = r.at("hours");
    if (!hours.is_array()) throw decode_error{r.path() + "hours must be an array"};
    std::size_t day = 0;
    hours.each([&](const V& spans) {
        if (day >= 7 || !spans.is_array())
            throw decode_error{r.path() + "hours must be 7 arrays of [start, end]"};
        spans.each([&](const V& span) {
            std::vector<std::string> ends;
            if (!span.is_array()) throw decode_error{r.path() + "hours must hold [start, end]"};
            span.each([&](const V& t) {
                const auto text = t.string();
                if (!text) throw decode_error{r.path() + "hours must be HH:MM"};
                ends.emplace_back(*text);
            });
            if (ends.size() != 2) throw decode_error{r.path() + "hours must hold [start, end]"};
            c.weekly[day].push_back(opening_hours{clock(ends[0]), clock(ends[1])});
        });
        ++day;
    });
    if (day != 7) throw decode_error{r.path() + "hours must be 7 arrays of [start, end]"};
    return c;
}

template <class V>
sla_policy read_policy(const reader<V>& r) {
    sla_policy p;
    p.id = r.str("id");
    p.version = r.integer("version");
    const auto m = r.sub("match");
    p.match.segments = m.strings("segments");
    for (const auto& s : m.strings("severities")) {
        const auto sev = parse_severity(s);
        if (!sev) throw decode_error{m.path() + "severities has an unknown value"};
        p.match.severities.push_back(*sev);
    }
    p.match.channels = m.strings("channels");
    p.calendar = r.str("calendar");
    if (r.has("calendar_as_applied"))
        p.calendar_as_applied = read_calendar(r.sub("calendar_as_applied"), p.calendar);
    p.acknowledge = r.dur("acknowledge");
    p.resolve = r.dur("resolve");
    p.bounce_back = r.dur("bounce_back");
    p.reopen_within = r.dur("reopen_within");
    p.warn_at = r.num("warn_at");
    p.max_level = r.integer("max_level");
    const auto rules = r.at("escalation");
    if (!rules.is_array()) throw decode_error{r.path() + "escalation must be an array"};
    rules.each([&](const V& rj) {
        const reader<V> rr{rj, &r, "escalation[]"};
        escalation_rule rule;
        rule.on = rr.enumeration("on", &parse_escalation_trigger);
        if (rr.has("target")) rule.target = rr.enumeration("target", &parse_sla_target);
        rule.to_level = rr.integer("to_level");
        if (rr.has("min_customer_value")) rule.min_customer_value = rr.amount("min_customer_value");
        p.escalation.push_back(rule);
    });
    return p;
}

template <class V>
std::optional<int> opt_int(const reader<V>& r, const char* name) {
    if (!r.has(name)) return std::nullopt;
    return r.integer(name);
}

template <class V>
any_event read_event(std::string_view type, const reader<V>& r, const idempotency_key& k,
                     instant at) {
    if (type == "ComplimentReceived") {
        compliment_received e{k,
                              compliment_id{r.str("compliment_id")},
                              customer_id{r.str("customer_id")},
                              {},
                              r.str("channel"),
                              r.str("text"),
                              std::nullopt,
                              at};
        for (const auto& s : r.strings("employees")) e.employees.emplace_back(s);
        if (r.has("complaint_id")) e.complaint = complaint_id{r.str("complaint_id")};
        return e;
    }
    if (type == "PreventionActionRecorded")
        return prevention_action_recorded{k,
                                          action_id{r.str("action_id")},
                                          r.str("category"),
                                          r.str("description"),
                                          r.str("owner"),
                                          at};

    const complaint_id id{r.str("complaint_id")};
    if (type == "ComplaintFiled") {
        const auto c = r.sub("customer");
        const auto due = r.sub("due");
        const auto warn = r.sub("warn");
        return complaint_event{complaint_filed{
            k, id, customer_ref{customer_id{c.str("id")}, c.str("segment"), c.amount("value")},
            r.enumeration("severity", &parse_severity), r.str("channel"), r.str("category"),
            r.str("product"), r.str("team"), r.str("summary"), read_policy(r.sub("policy")),
            due.time("acknowledge"), due.time("resolve"), warn.time("acknowledge"),
            warn.time("resolve"), at}};
    }
    if (type == "ComplaintAcknowledged")
        return complaint_event{complaint_acknowledged{k, id, employee_id{r.str("employee")}, at}};
    if (type == "ComplaintAssigned")
        return complaint_event{complaint_assigned{k, id, employee_id{r.str("employee")}, at}};
    if (type == "CustomerInfoRequested") return complaint_event{customer_info_requested{k, id, at}};
    if (type == "CustomerReplied")
        return complaint_event{customer_replied{k, id, at, r.sub("due").time("resolve"),
                                                r.sub("warn").time("resolve")}};
    if (type == "RootCauseFound") {
        const auto rc = r.sub("root_cause");
        std::optional<employee_id> emp;
        if (rc.has("employee")) emp = employee_id{rc.str("employee")};
        std::optional<std::string> detail;
        if (rc.has("detail")) detail = rc.str("detail");
        return complaint_event{root_cause_found{k, id, rc.str("category"), emp, at, detail}};
    }
    if (type == "RecoveryOffered")
        return complaint_event{recovery_offered{k, id, r.str("action"), r.amount("value"), at}};
    if (type == "ComplaintResolved")
        return complaint_event{complaint_resolved{k, id, employee_id{r.str("employee")}, at,
                                                  r.sub("due").time("bounce_back"),
                                                  r.sub("warn").time("bounce_back")}};
    if (type == "ComplaintReopened")
        return complaint_event{complaint_reopened{k, id, r.str("reason"), r.integer("reopen_count"),
                                                  at, r.sub("due").time("resolve"),
                                                  r.sub("warn").time("resolve")}};
    if (type == "ComplaintWithdrawn")
        return complaint_event{complaint_withdrawn{k, id, r.str("reason"), at}};
    if (type == "SlaWarningRaised")
        return complaint_event{sla_warning_raised{k, id, r.enumeration("target", &parse_sla_target),
                                                  r.time("due_at"), at}};
    if (type == "SlaBreached")
        return complaint_event{
            sla_breached{k, id, r.enumeration("target", &parse_sla_target), r.time("due_at"), at}};
    if (type == "ComplaintEscalated")
        return complaint_event{complaint_escalated{k, id, r.integer("from_level"),
                                                   r.integer("to_level"), r.str("reason"), at}};
    if (type == "CustomerBouncedBack")
        return complaint_event{customer_bounced_back{
            k, id, r.str("signal"), opt_int(r, "score"), at,
            r.has("value") ? std::optional<money>(r.amount("value")) : std::nullopt}};
    if (type == "SlaReconciled")
        return complaint_event{sla_reconciled{k, id, r.enumeration("target", &parse_sla_target),
                                              r.time("due_at"), at}};
    if (type == "ComplaintReclassified") {
        const auto due = r.sub("due");
        const auto warn = r.sub("warn");
        const auto elapsed = r.sub("elapsed");
        return complaint_event{complaint_reclassified{
            k, id, r.enumeration("severity", &parse_severity), r.str("category"), r.str("product"),
            r.str("team"), r.str("reason"), read_policy(r.sub("policy")), due.time("acknowledge"),
            warn.time("acknowledge"), due.time("resolve"), warn.time("resolve"),
            elapsed.dur("acknowledge"), elapsed.dur("resolve"), at}};
    }
    if (type == "BounceBackMissed")
        return complaint_event{bounce_back_missed{k, id, r.str("reason"), opt_int(r, "score"), at}};
    throw decode_error{"unknown event type " + std::string(type)};
}

}  // namespace

std::expected<sla_policy, std::string> decode_policy(const json& j) {
    try {
        return read_policy(reader<nlohmann_value>{{&j}, nullptr, "policy."});
    } catch (const decode_error& e) {
        return std::unexpected(e.message);
    }
}

std::expected<any_event, std::string> decode(std::string_view type, const json& data,
                                             const idempotency_key& key, instant at) {
    try {
        return read_event(type, reader<nlohmann_value>{{&data}, nullptr, ""}, key, at);
    } catch (const decode_error& e) {
        return std::unexpected(e.message);
    }
}

struct text_decoder::impl {
    simdjson::dom::parser parser;
    // The data copied with the padding simdjson reads past the end; kept between calls, where
    // letting simdjson pad allocated a buffer per event.
    std::vector<char> padded;
};

text_decoder::text_decoder() : impl_(std::make_unique<impl>()) {}
text_decoder::~text_decoder() = default;

std::expected<any_event, std::string> text_decoder::decode(std::string_view type,
                                                           std::string_view data,
                                                           const idempotency_key& key, instant at) {
    auto& buffer = impl_->padded;
    if (buffer.size() < data.size() + simdjson::SIMDJSON_PADDING)
        buffer.resize(data.size() + simdjson::SIMDJSON_PADDING);
    std::copy(data.begin(), data.end(), buffer.begin());
    simdjson::dom::element root;
    if (const auto err = impl_->parser.parse(buffer.data(), data.size(), false).get(root);
        err != simdjson::SUCCESS)
        return std::unexpected(std::string("data is not valid JSON: ") +
                               simdjson::error_message(err));
    try {
        return read_event(type, reader<simdjson_value>{{root}, nullptr, ""}, key, at);
    } catch (const decode_error& e) {
        return std::unexpected(e.message);
    }
}

}  // namespace bb::codec
