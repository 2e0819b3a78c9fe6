#include "infra/codec/event_codec.hpp"

#include "infra/codec/json_value.hpp"
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

std::string ts(instant t) {
    return iso8601::format_instant(t);
}

json encode_rule(const escalation_rule& r) {
    json j{{"on", to_string(r.on)}, {"to_level", r.to_level}};
    if (r.target) j["target"] = to_string(*r.target);
    if (r.min_customer_value) j["min_customer_value"] = *r.min_customer_value;
    return j;
}

}  // namespace

json encode_policy(const sla_policy& p) {
    json severities = json::array();
    for (auto s : p.match.severities) severities.push_back(to_string(s));
    json rules = json::array();
    for (const auto& r : p.escalation) rules.push_back(encode_rule(r));
    return json{{"id", p.id},
                {"version", p.version},
                {"match",
                 {{"segments", p.match.segments},
                  {"severities", severities},
                  {"channels", p.match.channels}}},
                {"calendar", p.calendar},
                {"acknowledge", iso8601::format_duration(p.acknowledge)},
                {"resolve", iso8601::format_duration(p.resolve)},
                {"bounce_back", iso8601::format_duration(p.bounce_back)},
                {"reopen_within", iso8601::format_duration(p.reopen_within)},
                {"warn_at", p.warn_at},
                {"escalation", rules},
                {"max_level", p.max_level}};
}

json encode(const any_event& any) {
    return std::visit(
        overloaded{
            [](const complaint_event& ce) -> json {
                return std::visit(
                    overloaded{
                        [](const complaint_filed& e) -> json {
                            return {{"complaint_id", e.id.value()},
                                    {"customer",
                                     {{"id", e.customer.id.value()},
                                      {"segment", e.customer.segment},
                                      {"value", e.customer.value}}},
                                    {"severity", to_string(e.sev)},
                                    {"channel", e.channel},
                                    {"category", e.category},
                                    {"product", e.product},
                                    {"team", e.team},
                                    {"summary", e.summary},
                                    {"policy", encode_policy(e.policy)},
                                    {"due",
                                     {{"acknowledge", ts(e.acknowledge_due)},
                                      {"resolve", ts(e.resolve_due)}}},
                                    {"warn",
                                     {{"acknowledge", ts(e.acknowledge_warn_at)},
                                      {"resolve", ts(e.resolve_warn_at)}}}};
                        },
                        [](const complaint_acknowledged& e) -> json {
                            return {{"complaint_id", e.id.value()},
                                    {"employee", e.employee.value()}};
                        },
                        [](const complaint_assigned& e) -> json {
                            return {{"complaint_id", e.id.value()},
                                    {"employee", e.employee.value()}};
                        },
                        [](const customer_info_requested& e) -> json {
                            return {{"complaint_id", e.id.value()}};
                        },
                        [](const customer_replied& e) -> json {
                            return {{"complaint_id", e.id.value()},
                                    {"due", {{"resolve", ts(e.resolve_due)}}},
                                    {"warn", {{"resolve", ts(e.resolve_warn_at)}}}};
                        },
                        [](const root_cause_found& e) -> json {
                            json rc{{"category", e.category}};
                            if (e.employee) rc["employee"] = e.employee->value();
                            return {{"complaint_id", e.id.value()}, {"root_cause", rc}};
                        },
                        [](const recovery_offered& e) -> json {
                            return {{"complaint_id", e.id.value()},
                                    {"action", e.action},
                                    {"value", e.value}};
                        },
                        [](const complaint_resolved& e) -> json {
                            return {{"complaint_id", e.id.value()},
                                    {"employee", e.employee.value()},
                                    {"due", {{"bounce_back", ts(e.bounce_back_due)}}},
                                    {"warn", {{"bounce_back", ts(e.bounce_back_warn_at)}}}};
                        },
                        [](const complaint_reopened& e) -> json {
                            return {{"complaint_id", e.id.value()},
                                    {"reason", e.reason},
                                    {"reopen_count", e.reopen_count},
                                    {"due", {{"resolve", ts(e.resolve_due)}}},
                                    {"warn", {{"resolve", ts(e.resolve_warn_at)}}}};
                        },
                        [](const complaint_withdrawn& e) -> json {
                            return {{"complaint_id", e.id.value()}, {"reason", e.reason}};
                        },
                        [](const sla_warning_raised& e) -> json {
                            return {{"complaint_id", e.id.value()},
                                    {"target", to_string(e.target)},
                                    {"due_at", ts(e.due_at)}};
                        },
                        [](const sla_breached& e) -> json {
                            return {{"complaint_id", e.id.value()},
                                    {"target", to_string(e.target)},
                                    {"due_at", ts(e.due_at)}};
                        },
                        [](const complaint_escalated& e) -> json {
                            return {{"complaint_id", e.id.value()},
                                    {"from_level", e.from_level},
                                    {"to_level", e.to_level},
                                    {"reason", e.reason}};
                        },
                        [](const customer_bounced_back& e) -> json {
                            json j{{"complaint_id", e.id.value()}, {"signal", e.signal}};
                            if (e.score) j["score"] = *e.score;
                            return j;
                        },
                        [](const bounce_back_missed& e) -> json {
                            json j{{"complaint_id", e.id.value()}, {"reason", e.reason}};
                            if (e.score) j["score"] = *e.score;
                            return j;
                        },
                    },
                    ce);
            },
            [](const compliment_received& e) -> json {
                json employees = json::array();
                for (const auto& emp : e.employees) employees.push_back(emp.value());
                json j{{"compliment_id", e.id.value()},
                       {"customer_id", e.customer.value()},
                       {"employees", employees},
                       {"channel", e.channel},
                       {"text", e.text}};
                if (e.complaint) j["complaint_id"] = e.complaint->value();
                return j;
            },
            [](const prevention_action_recorded& e) -> json {
                return {{"action_id", e.id.value()},
                        {"category", e.category},
                        {"description", e.description},
                        {"owner", e.owner}};
            },
        },
        any);
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
        if (rr.has("min_customer_value")) rule.min_customer_value = rr.num("min_customer_value");
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
            k, id, customer_ref{customer_id{c.str("id")}, c.str("segment"), c.num("value")},
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
        return complaint_event{root_cause_found{k, id, rc.str("category"), emp, at}};
    }
    if (type == "RecoveryOffered")
        return complaint_event{recovery_offered{k, id, r.str("action"), r.num("value"), at}};
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
        return complaint_event{
            customer_bounced_back{k, id, r.str("signal"), opt_int(r, "score"), at}};
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
