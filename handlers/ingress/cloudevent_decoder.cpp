#include "handlers/ingress/cloudevent_decoder.hpp"

#include <algorithm>

#include "domain/overloaded.hpp"
#include "infra/codec/json_value.hpp"
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
                                                        "complaint.reclassified",
                                                        "complaint.synced",
                                                        "compliment.received",
                                                        "customer.activity",
                                                        "survey.responded",
                                                        "prevention.action_recorded"};
    return types;
}

complaint_command customer_signal::for_complaint(const complaint_id& id) const {
    if (activity) return record_customer_activity{key, id, *activity, value, at, customer};
    return record_survey{key, id, score.value_or(5), at, customer};
}

namespace {

struct failure {
    invalid_input error;
};

// Field access with errors that name the path; throws failure, caught once per event. Reads a
// nlohmann document (parse_event, to_command) or a simdjson element (cloudevent_decoder) alike.
template <class V>
struct fields {
    V j;
    std::string path;

    [[noreturn]] void fail(const std::string& name, const std::string& detail) const {
        throw failure{invalid_input{422, path + name, detail, 0}};
    }
    bool has(const char* name) const {
        const auto v = j.field(name);
        return v && !v->is_null();
    }
    V at(const char* name) const {
        const auto v = j.field(name);
        if (!v || v->is_null()) fail(name, "is required");
        return *v;
    }
    std::string str(const char* name, bool allow_empty = false) const {
        const auto s = at(name).string();
        if (!s) fail(name, "must be a string");
        if (!allow_empty && s->empty()) fail(name, "must not be empty");
        return std::string(*s);
    }
    std::string opt_str(const char* name) const {
        return has(name) ? str(name, true) : std::string{};
    }
    double num(const char* name) const {
        const auto n = at(name).number();
        if (!n) fail(name, "must be a number");
        return *n;
    }
    std::optional<double> opt_num(const char* name) const {
        if (!has(name)) return std::nullopt;
        return num(name);
    }
    // An amount: a decimal string ("12.30", exact) or a JSON number (exact up to 15 significant
    // digits), never negative, at most 4 fraction digits; its currency the sibling field
    // `currency_name` (an ISO 4217 code), else unnamed (decide records the default currency).
    money amount(const char* name, const char* currency_name) const {
        const auto v = at(name);
        std::optional<std::int64_t> a;
        if (const auto n = v.number())
            a = amount_from_double(*n);
        else if (const auto s = v.string())
            a = parse_amount(*s);
        else
            fail(name, "must be a decimal string such as \"12.30\" or a number");
        if (!a) fail(name, "must be an amount with at most 4 fraction digits, below 10^14");
        if (*a < 0) fail(name, "must not be negative");
        money m{*a, {}};
        if (has(currency_name)) {
            const auto c = currency::parse(str(currency_name));
            if (!c) fail(currency_name, "must be an ISO 4217 currency code such as USD or EUR");
            m.cur = *c;
        }
        return m;
    }
    std::optional<money> opt_amount(const char* name, const char* currency_name) const {
        if (!has(name)) return std::nullopt;
        return amount(name, currency_name);
    }
    fields obj(const char* name) const {
        const auto v = at(name);
        if (!v.is_object()) fail(name, "must be an object");
        return fields{v, path + name + "."};
    }
};

std::string key_text(const cloud_event& e) {
    return e.source + "/" + e.id;
}

// The fields that file a complaint (complaint.filed, complaint.synced).
template <class V>
file_complaint filing_from(const fields<V>& d, const idempotency_key& k, const complaint_id& id,
                           instant at) {
    const auto c = d.obj("customer");
    const auto sev = parse_severity(d.str("severity"));
    if (!sev) d.fail("severity", "must be one of low, medium, high, critical");
    const auto segment = c.has("segment") ? c.str("segment") : std::string("standard");
    const auto value = c.opt_amount("value", "currency").value_or(money{});
    return file_complaint{k,
                          id,
                          customer_ref{customer_id{c.str("id")}, segment, value},
                          *sev,
                          d.str("channel"),
                          d.str("category"),
                          d.opt_str("product"),
                          d.str("team"),
                          d.opt_str("summary"),
                          at};
}

template <class V>
complaint_command complaint_cmd(const cloud_event& e, const fields<V>& d) {
    const idempotency_key k{key_text(e)};
    const complaint_id id{d.str("complaint_id")};
    const auto& t = e.type;
    if (t == "complaint.filed") return filing_from(d, k, id, e.time);
    if (t == "complaint.synced") {
        // A helpdesk's ticket as it is now: the filing fields, where the ticket stands, and its
        // agent. `time` is when the helpdesk last changed it, `created_at` when it was opened.
        const auto status = parse_ticket_status(d.str("status"));
        if (!status) d.fail("status", "must be one of open, pending, solved, withdrawn");
        auto created = e.time;
        if (d.has("created_at")) {
            const auto c = iso8601::parse_instant(d.str("created_at"));
            if (!c) d.fail("created_at", "must be an RFC 3339 timestamp");
            created = *c;
        }
        std::optional<employee_id> owner;
        if (d.has("owner")) owner = employee_id{d.str("owner")};
        return sync_ticket{k, id, filing_from(d, k, id, created), *status, owner, e.time};
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
        std::optional<std::string> detail;
        // An empty detail says nothing more than none.
        if (rc.has("detail"))
            if (auto text = rc.str("detail", true); !text.empty()) detail = std::move(text);
        return record_root_cause{k, id, rc.str("category"), emp, e.time, detail};
    }
    if (t == "complaint.recovery_offered") {
        return offer_recovery{k, id, d.str("action"), d.amount("value", "currency"), e.time};
    }
    if (t == "complaint.resolved")
        return resolve_complaint{k, id, employee_id{d.str("employee")}, e.time};
    if (t == "complaint.reopened") return reopen_complaint{k, id, d.opt_str("reason"), e.time};
    if (t == "complaint.escalation_requested")
        return request_escalation{k, id, d.opt_str("reason"), e.time};
    if (t == "complaint.reclassified") {
        reclassify_complaint c{
            k,     id, std::nullopt, std::nullopt, std::nullopt, std::nullopt, d.opt_str("reason"),
            e.time};
        if (d.has("severity")) {
            c.sev = parse_severity(d.str("severity"));
            if (!c.sev) d.fail("severity", "must be one of low, medium, high, critical");
        }
        if (d.has("category")) c.category = d.str("category");
        if (d.has("team")) c.team = d.str("team");
        if (d.has("product")) c.product = d.opt_str("product");
        if (!c.sev && !c.category && !c.team && !c.product)
            d.fail("severity", "or category, team or product is required: what changes");
        return c;
    }
    // complaint.withdrawn: known_types() guarantees nothing else reaches here.
    return withdraw_complaint{k, id, d.opt_str("reason"), e.time};
}

// The command an event asks for, read from its data (`data`, e.data's document or element).
template <class V>
command command_from(const cloud_event& e, V data) {
    if (!data.is_object()) throw failure{invalid_input{422, "data", "must be an object", 0}};
    const fields<V> d{data, "data."};
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
        if (d.at("customer").is_object())
            c.customer = customer_id{d.obj("customer").str("id")};
        else
            c.customer = customer_id{d.str("customer")};
        const auto emps = d.at("employees");
        if (!emps.is_array()) d.fail("employees", "must be an array of employee ids");
        emps.each([&](const V& emp) {
            const auto id = emp.string();
            if (!id || id->empty()) d.fail("employees", "must be an array of employee ids");
            c.employees.emplace_back(std::string(*id));
        });
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
        s.value = d.opt_amount("value", "currency");
        return s;
    }
    // survey.responded
    const auto score = d.at("score").int64();
    if (!score || *score < 0 || *score > 10) d.fail("score", "must be an integer 0..10");
    s.score = static_cast<int>(*score);
    if (d.has("complaint_id")) s.complaint = complaint_id{d.str("complaint_id")};
    return s;
}

// An envelope's error in a batch names the event it is about.
invalid_input in_batch(invalid_input err, std::size_t i) {
    err.index = i;
    err.field = "[" + std::to_string(i) + "]" + (err.field.empty() ? "" : "." + err.field);
    return err;
}

// The envelope of an event (`j`, a document or element); the data is the caller's to keep.
template <class V>
cloud_event envelope_from(V j) {
    if (!j.is_object()) throw failure{invalid_input{422, "", "an event must be a JSON object", 0}};
    const fields<V> f{j, ""};
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
    (void)f.at("data");
    // CloudEvents Partitioning extension: the customer id, for events whose data has none.
    e.partition_key = f.opt_str("partitionkey");
    e.traceparent = f.opt_str("traceparent");
    e.tracestate = f.opt_str("tracestate");
    return e;
}

}  // namespace

std::expected<cloud_event, invalid_input> parse_event(const json& j) {
    try {
        auto e = envelope_from(codec::nlohmann_value{&j});
        e.data = j["data"];
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
            if (!e) return std::unexpected(in_batch(e.error(), i));
            out.push_back(std::move(*e));
        }
        return out;
    }
    auto e = parse_event(j);
    if (!e) return std::unexpected(e.error());
    out.push_back(std::move(*e));
    return out;
}

std::expected<cloud_event, invalid_input> parse_record_value(std::string_view value) {
    const auto j = json::parse(value.begin(), value.end(), nullptr, false);
    if (j.is_discarded())
        return std::unexpected(invalid_input{400, "", "the record value is not valid JSON", 0});
    if (!j.is_object())
        return std::unexpected(invalid_input{422, "", "a record carries one CloudEvent object", 0});
    return parse_event(j);
}

namespace {

// The commands of events whose envelopes are valid; data[i] is events[i]'s data. A command's
// error names its event when there are several.
template <class V>
std::expected<std::vector<decoded_event>, invalid_input> with_commands(
    std::vector<cloud_event> events, const std::vector<V>& data) {
    std::vector<decoded_event> out;
    out.reserve(events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        try {
            auto c = command_from(events[i], data[i]);
            out.push_back({std::move(events[i]), std::move(c)});
        } catch (const failure& fl) {
            auto err = fl.error;
            if (events.size() > 1) err.field = "[" + std::to_string(i) + "]." + err.field;
            return std::unexpected(err);
        }
    }
    return out;
}

}  // namespace

struct cloudevent_decoder::impl {
    simdjson::dom::parser parser;
    std::vector<char> padded;  // the text and the padding simdjson reads past its end, reused

    std::optional<codec::simdjson_value> parse(std::string_view text) {
        padded.assign(text.begin(), text.end());
        padded.resize(text.size() + simdjson::SIMDJSON_PADDING);
        simdjson::dom::element root;
        if (parser.parse(padded.data(), text.size(), false).get(root) != simdjson::SUCCESS)
            return std::nullopt;
        return codec::simdjson_value{root};
    }
};

cloudevent_decoder::cloudevent_decoder() : impl_(std::make_unique<impl>()) {}
cloudevent_decoder::~cloudevent_decoder() = default;

std::expected<std::vector<decoded_event>, invalid_input> cloudevent_decoder::decode_body(
    std::string_view body, bool keep_data) {
    const auto root = impl_->parse(body);
    if (!root) {
        auto events = parse_body(body);
        if (!events) return std::unexpected(events.error());
        std::vector<codec::nlohmann_value> data;
        for (const auto& e : *events) data.push_back({&e.data});
        return with_commands(std::move(*events), data);
    }
    std::vector<codec::simdjson_value> items;
    const bool batch = root->is_array();
    if (batch)
        root->each([&](const codec::simdjson_value& v) { items.push_back(v); });
    else
        items.push_back(*root);
    if (batch && items.empty())
        return std::unexpected(invalid_input{422, "", "the batch is empty", 0});
    if (items.size() > max_batch)
        return std::unexpected(invalid_input{422, "", "a batch holds at most 1000 events", 0});
    std::vector<cloud_event> events;
    std::vector<codec::simdjson_value> data;
    for (std::size_t i = 0; i < items.size(); ++i) {
        try {
            events.push_back(envelope_from(items[i]));
        } catch (const failure& fl) {
            return std::unexpected(batch ? in_batch(fl.error, i) : fl.error);
        }
        data.push_back(*items[i].field("data"));
    }
    auto out = with_commands(std::move(events), data);
    if (out && keep_data)
        for (std::size_t i = 0; i < out->size(); ++i)
            (*out)[i].event.data = json::parse(simdjson::minify(data[i].v));
    return out;
}

std::expected<decoded_event, invalid_input> cloudevent_decoder::decode_event(
    std::string_view value) {
    const auto root = impl_->parse(value);
    if (!root) {
        auto e = parse_record_value(value);
        if (!e) return std::unexpected(e.error());
        auto c = to_command(*e);
        if (!c) return std::unexpected(c.error());
        return decoded_event{std::move(*e), std::move(*c)};
    }
    if (!root->is_object())
        return std::unexpected(invalid_input{422, "", "a record carries one CloudEvent object", 0});
    try {
        auto e = envelope_from(*root);
        auto c = command_from(e, *root->field("data"));
        return decoded_event{std::move(e), std::move(c)};
    } catch (const failure& fl) {
        return std::unexpected(fl.error);
    }
}

std::expected<command, invalid_input> to_command(const cloud_event& e) {
    try {
        return command_from(e, codec::nlohmann_value{&e.data});
    } catch (const failure& fl) {
        return std::unexpected(fl.error);
    }
}

// Header bytes become JSON strings, which must be UTF-8 (the JSON text of a structured event is
// checked by the parser; headers are not). Found by fuzz_cloudevent: an event with a Latin-1
// `ce_source` was accepted and its encoding threw later.
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size()) return false;  // truncated sequence
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values beyond U+10FFFF are not UTF-8.
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        i += n + 1;
    }
    return true;
}

namespace {
// The binding percent-encodes header values outside printable ASCII (and '%' itself).
std::string percent_decoded(std::string_view s) {
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}
}  // namespace

std::expected<decoded_event, invalid_input> decode_binary(
    const std::vector<std::pair<std::string, std::string>>& attributes,
    std::string_view content_type, std::string_view body) {
    json event = json::object();
    for (const auto& [name, raw] : attributes) {
        if (name.empty() || name == "data") continue;
        const auto value = percent_decoded(raw);
        if (!valid_utf8(value))
            return std::unexpected(invalid_input{422, name, "the header is not UTF-8", 0});
        event[name] = value;
    }
    if (!content_type.empty()) {
        if (!valid_utf8(content_type))
            return std::unexpected(
                invalid_input{422, "datacontenttype", "the header is not UTF-8", 0});
        event["datacontenttype"] = std::string(content_type);
    }
    auto data = json::parse(body.begin(), body.end(), nullptr, false);
    if (data.is_discarded())
        return std::unexpected(invalid_input{400, "data", "the body is not valid JSON", 0});
    event["data"] = std::move(data);
    auto e = parse_event(event);
    if (!e) return std::unexpected(e.error());
    auto c = to_command(*e);
    if (!c) return std::unexpected(c.error());
    return decoded_event{std::move(*e), std::move(*c)};
}

std::string routing_key(const cloud_event& e, const command& c) {
    const auto customer =
        std::visit(overloaded{[](const complaint_command& cc) {
                                  if (const auto* f = std::get_if<file_complaint>(&cc))
                                      return f->customer.id.value();
                                  if (const auto* t = std::get_if<sync_ticket>(&cc))
                                      return t->filing.customer.id.value();
                                  return std::string{};
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
    if (!e.traceparent.empty()) j["traceparent"] = e.traceparent;
    if (!e.tracestate.empty()) j["tracestate"] = e.tracestate;
    return j;
}

}  // namespace bb::inbound
