#include "handlers/inbound.hpp"

#include <algorithm>

#include "domain/overloaded.hpp"
#include "infra/iso8601.hpp"

namespace bb::inbound {

using nlohmann::json;

const std::vector<std::string_view>& known_types() {
    static const std::vector<std::string_view> types = {"complaint.filed",
                                                        "complaint.acknowledged",
                                                        "complaint.assigned",
                                                        "complaint.customer_info_requested",
                                                        "complaint.customer_replied",
                                                        "complaint.root_cause_found",
                                                        "complaint.recovery_offered",
                                                        "complaint.resolved",
                                                        "complaint.reopened",
                                                        "complaint.escalation_requested",
                                                        "complaint.withdrawn",
                                                        "compliment.received",
                                                        "customer.activity",
                                                        "survey.responded",
                                                        "prevention.action_recorded"};
    return types;
}

complaint_command customer_signal::for_complaint(const complaint_id& id) const {
    if (activity) return record_customer_activity{key, id, *activity, value, at};
    return record_survey{key, id, score.value_or(5), at};
}

namespace {

struct failure {
    invalid_input error;
};

// Field access with errors that name the path; throws failure, caught once per event.
struct fields {
    const json& j;
    std::string path;

    [[noreturn]] void fail(const std::string& name, const std::string& detail) const {
        throw failure{invalid_input{422, path + name, detail, 0}};
    }
    bool has(const char* name) const { return j.contains(name) && !j[name].is_null(); }
    const json& at(const char* name) const {
        if (!has(name)) fail(name, "is required");
        return j[name];
    }
    std::string str(const char* name, bool allow_empty = false) const {
        const auto& v = at(name);
        if (!v.is_string()) fail(name, "must be a string");
        auto s = v.get<std::string>();
        if (!allow_empty && s.empty()) fail(name, "must not be empty");
        return s;
    }
    std::string opt_str(const char* name) const {
        return has(name) ? str(name, true) : std::string{};
    }
    double num(const char* name) const {
        const auto& v = at(name);
        if (!v.is_number()) fail(name, "must be a number");
        return v.get<double>();
    }
    std::optional<double> opt_num(const char* name) const {
        if (!has(name)) return std::nullopt;
        return num(name);
    }
    fields obj(const char* name) const {
        const auto& v = at(name);
        if (!v.is_object()) fail(name, "must be an object");
        return fields{v, path + name + "."};
    }
};

std::string key_text(const cloud_event& e) {
    return e.source + "/" + e.id;
}

complaint_command complaint_cmd(const cloud_event& e, const fields& d) {
    const idempotency_key k{key_text(e)};
    const complaint_id id{d.str("complaint_id")};
    const auto& t = e.type;
    if (t == "complaint.filed") {
        const auto c = d.obj("customer");
        const auto sev = parse_severity(d.str("severity"));
        if (!sev) d.fail("severity", "must be one of low, medium, high, critical");
        const auto segment = c.has("segment") ? c.str("segment") : std::string("standard");
        const auto value = c.opt_num("value").value_or(0);
        if (value < 0) c.fail("value", "must not be negative");
        return file_complaint{k,
                              id,
                              customer_ref{customer_id{c.str("id")}, segment, value},
                              *sev,
                              d.str("channel"),
                              d.str("category"),
                              d.opt_str("product"),
                              d.str("team"),
                              d.opt_str("summary"),
                              e.time};
    }
    if (t == "complaint.acknowledged")
        return acknowledge_complaint{k, id, employee_id{d.str("employee")}, e.time};
    if (t == "complaint.assigned")
        return assign_complaint{k, id, employee_id{d.str("employee")}, e.time};
    if (t == "complaint.customer_info_requested") return request_customer_info{k, id, e.time};
    if (t == "complaint.customer_replied") return record_customer_reply{k, id, e.time};
    if (t == "complaint.root_cause_found") {
        const auto rc = d.obj("root_cause");
        std::optional<employee_id> emp;
        if (rc.has("employee")) emp = employee_id{rc.str("employee")};
        return record_root_cause{k, id, rc.str("category"), emp, e.time};
    }
    if (t == "complaint.recovery_offered") {
        const auto v = d.num("value");
        if (v < 0) d.fail("value", "must not be negative");
        return offer_recovery{k, id, d.str("action"), v, e.time};
    }
    if (t == "complaint.resolved")
        return resolve_complaint{k, id, employee_id{d.str("employee")}, e.time};
    if (t == "complaint.reopened") return reopen_complaint{k, id, d.opt_str("reason"), e.time};
    if (t == "complaint.escalation_requested")
        return request_escalation{k, id, d.opt_str("reason"), e.time};
    // complaint.withdrawn: known_types() guarantees nothing else reaches here.
    return withdraw_complaint{k, id, d.opt_str("reason"), e.time};
}

command to_command_or_throw(const cloud_event& e) {
    if (!e.data.is_object()) throw failure{invalid_input{422, "data", "must be an object", 0}};
    const fields d{e.data, "data."};
    const idempotency_key k{key_text(e)};
    if (e.type.starts_with("complaint.")) return complaint_cmd(e, d);
    if (e.type == "compliment.received") {
        receive_compliment c{k,
                             compliment_id{d.str("compliment_id")},
                             customer_id{},
                             {},
                             d.opt_str("channel"),
                             d.opt_str("text"),
                             std::nullopt,
                             e.time};
        // `customer` is an id, or an object with an id, as for complaints.
        const auto& cust = d.at("customer");
        if (cust.is_object())
            c.customer = customer_id{d.obj("customer").str("id")};
        else
            c.customer = customer_id{d.str("customer")};
        const auto& emps = d.at("employees");
        if (!emps.is_array()) d.fail("employees", "must be an array of employee ids");
        for (const auto& emp : emps) {
            if (!emp.is_string() || emp.get<std::string>().empty())
                d.fail("employees", "must be an array of employee ids");
            c.employees.emplace_back(emp.get<std::string>());
        }
        if (d.has("complaint_id")) c.complaint = complaint_id{d.str("complaint_id")};
        return c;
    }
    if (e.type == "prevention.action_recorded")
        return record_prevention_action{k,
                                        action_id{d.str("action_id")},
                                        d.str("category"),
                                        d.opt_str("description"),
                                        d.opt_str("owner"),
                                        e.time};
    customer_signal s{k,
                      customer_id{d.str("customer_id")},
                      std::nullopt,
                      std::nullopt,
                      std::nullopt,
                      std::nullopt,
                      e.time};
    if (e.type == "customer.activity") {
        const auto kind = parse_activity_kind(d.str("kind"));
        if (!kind) d.fail("kind", "must be one of purchase, visit, renewal, account_closed");
        s.activity = *kind;
        s.value = d.opt_num("value");
        return s;
    }
    // survey.responded
    const auto& score = d.at("score");
    if (!score.is_number_integer() || score.get<int>() < 0 || score.get<int>() > 10)
        d.fail("score", "must be an integer 0..10");
    s.score = score.get<int>();
    if (d.has("complaint_id")) s.complaint = complaint_id{d.str("complaint_id")};
    return s;
}

}  // namespace

std::expected<cloud_event, invalid_input> parse_event(const json& j) {
    try {
        if (!j.is_object())
            return std::unexpected(invalid_input{422, "", "an event must be a JSON object", 0});
        const fields f{j, ""};
        if (f.str("specversion") != "1.0") f.fail("specversion", "must be \"1.0\"");
        cloud_event e;
        e.id = f.str("id");
        e.source = f.str("source");
        e.type = f.str("type");
        const auto& types = known_types();
        if (std::find(types.begin(), types.end(), e.type) == types.end())
            f.fail("type", "unknown event type " + e.type);
        if (f.has("datacontenttype")) {
            const auto ct = f.str("datacontenttype");
            if (!ct.starts_with("application/json") && ct.find("+json") == std::string::npos)
                f.fail("datacontenttype", "must be JSON");
        }
        const auto t = iso8601::parse_instant(f.str("time"));
        if (!t) f.fail("time", "must be an RFC 3339 timestamp");
        e.time = *t;
        e.data = f.at("data");
        // CloudEvents Partitioning extension: the customer id, for events whose data has none.
        e.partition_key = f.opt_str("partitionkey");
        return e;
    } catch (const failure& fl) {
        return std::unexpected(fl.error);
    }
}

std::expected<std::vector<cloud_event>, invalid_input> parse_body(std::string_view body) {
    json j = json::parse(body.begin(), body.end(), nullptr, false);
    if (j.is_discarded())
        return std::unexpected(invalid_input{400, "", "the body is not valid JSON", 0});
    std::vector<cloud_event> out;
    if (j.is_array()) {
        if (j.empty()) return std::unexpected(invalid_input{422, "", "the batch is empty", 0});
        if (j.size() > max_batch)
            return std::unexpected(invalid_input{422, "", "a batch holds at most 1000 events", 0});
        for (std::size_t i = 0; i < j.size(); ++i) {
            auto e = parse_event(j[i]);
            if (!e) {
                auto err = e.error();
                err.index = i;
                err.field =
                    "[" + std::to_string(i) + "]" + (err.field.empty() ? "" : "." + err.field);
                return std::unexpected(err);
            }
            out.push_back(std::move(*e));
        }
        return out;
    }
    auto e = parse_event(j);
    if (!e) return std::unexpected(e.error());
    out.push_back(std::move(*e));
    return out;
}

std::expected<command, invalid_input> to_command(const cloud_event& e) {
    try {
        return to_command_or_throw(e);
    } catch (const failure& fl) {
        return std::unexpected(fl.error);
    }
}

std::string routing_key(const cloud_event& e, const command& c) {
    const auto customer =
        std::visit(overloaded{[](const complaint_command& cc) {
                                  const auto* f = std::get_if<file_complaint>(&cc);
                                  return f ? f->customer.id.value() : std::string{};
                              },
                              [](const receive_compliment& r) { return r.customer.value(); },
                              [](const record_prevention_action&) { return std::string{}; },
                              [](const customer_signal& s) { return s.customer.value(); }},
                   c);
    return customer.empty() ? e.partition_key : customer;
}

json to_json(const cloud_event& e) {
    json j{{"specversion", "1.0"},
           {"id", e.id},
           {"source", e.source},
           {"type", e.type},
           {"time", iso8601::format_instant(e.time)},
           {"datacontenttype", "application/json"},
           {"data", e.data}};
    if (!e.partition_key.empty()) j["partitionkey"] = e.partition_key;
    return j;
}

}  // namespace bb::inbound
