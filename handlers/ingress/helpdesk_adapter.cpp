#include "handlers/ingress/helpdesk_adapter.hpp"

#include <algorithm>
#include <cctype>

#include "infra/hash_chain.hpp"
#include "infra/helpdesk_signatures.hpp"
#include "infra/iso8601.hpp"

namespace bb::inbound {

using nlohmann::json;

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

struct refused {
    invalid_input error;
};

[[noreturn]] void fail(const std::string& field, const std::string& detail) {
    throw refused{invalid_input{422, field, detail, 0}};
}

// A node of the vendor's payload and its path, for errors that name the field.
struct node {
    const json* j;
    std::string path;

    bool has(const char* name) const {
        return j->is_object() && j->contains(name) && !(*j)[name].is_null();
    }
    node at(const char* name) const {
        if (!has(name)) fail(path + name, "is required");
        return node{&(*j)[name], path + name + "."};
    }
    node obj(const char* name) const {
        auto n = at(name);
        if (!n.j->is_object()) fail(path + name, "must be an object");
        return n;
    }
    std::string field() const { return path.empty() ? "" : path.substr(0, path.size() - 1); }
    // A string or a number (ids come as either), as text.
    std::string text(const char* name) const {
        const auto n = at(name);
        if (n.j->is_string()) {
            auto s = n.j->get<std::string>();
            if (s.empty()) fail(path + name, "must not be empty");
            return s;
        }
        if (n.j->is_number_integer()) return std::to_string(n.j->get<std::int64_t>());
        if (n.j->is_number_unsigned()) return std::to_string(n.j->get<std::uint64_t>());
        fail(path + name, "must be a string or an integer");
    }
    std::string opt_text(const char* name) const { return has(name) ? text(name) : std::string{}; }
    instant time(const char* name) const {
        auto s = text(name);
        // Jira writes offsets without a colon ("2026-11-20T10:00:00.000+0000").
        if (s.size() > 5 && (s[s.size() - 5] == '+' || s[s.size() - 5] == '-') &&
            std::all_of(s.end() - 4, s.end(), [](unsigned char c) { return std::isdigit(c); }))
            s.insert(s.size() - 2, ":");
        const auto t = iso8601::parse_instant(s);
        if (!t) fail(path + name, "must be an RFC 3339 timestamp");
        return *t;
    }
    // A value that is a name, or an object with a `name` (Zammad expands its associations).
    std::string name_of(const char* key) const {
        const auto n = at(key);
        if (n.j->is_object()) return n.text("name");
        return text(key);
    }
};

template <class T>
T mapped(const std::map<std::string, T>& configured, const std::map<std::string, T>& defaults,
         const std::string& value, const std::string& field, std::string_view table,
         std::string_view source) {
    const auto key = lower(value);
    if (const auto it = configured.find(key); it != configured.end()) return it->second;
    if (const auto it = defaults.find(key); it != defaults.end()) return it->second;
    fail(field, "\"" + value + "\" is not a known value; map it in webhook_sources." +
                    std::string(source) + "." + std::string(table));
}

// The category: the first tag the source lists as one (or the first tag when it lists none),
// else the source's default.
std::string category_of(const webhook_source& src, const node& n, const char* tags_key) {
    // A configured field (`category_field`: a Zammad object attribute, a Jira custom field),
    // as text or as a select list's {"value"} / {"name"}.
    const auto& field = src.category_field;
    if (n.has(field.c_str())) {
        const auto& v = (*n.j)[field];
        std::string text;
        if (v.is_string())
            text = v.get<std::string>();
        else if (v.is_object() && v.contains("value") && v["value"].is_string())
            text = v["value"].get<std::string>();
        else if (v.is_object() && v.contains("name") && v["name"].is_string())
            text = v["name"].get<std::string>();
        if (!text.empty()) return text;
    }
    if (!n.has(tags_key)) return src.default_category;
    const auto& tags = (*n.j)[tags_key];
    if (!tags.is_array()) fail(n.path + tags_key, "must be an array of strings");
    for (const auto& t : tags) {
        if (!t.is_string()) fail(n.path + tags_key, "must be an array of strings");
        const auto tag = lower(t.get<std::string>());
        if (tag.empty()) continue;
        if (src.categories.empty() ||
            std::ranges::find(src.categories, tag) != src.categories.end())
            return tag;
    }
    return src.default_category;
}

std::string team_of(const webhook_source& src, const std::string& group) {
    if (group.empty()) return src.default_team;
    if (const auto it = src.teams.find(lower(group)); it != src.teams.end()) return it->second;
    return group;
}

// The normalised ticket, as complaint.synced data.
struct ticket {
    std::string id;
    ticket_status status = ticket_status::open;
    std::string owner;  // empty: unassigned
    std::string customer, segment = "standard";
    std::string value = "0";  // an exact decimal, as the synced command takes it
    std::string product;
    std::string delivery;  // kind: mapped, when the payload names its delivery
    severity sev = severity::medium;
    std::string channel, category, team, summary;
    instant created{}, updated{};
};

ticket from_zammad(const webhook_source& src, std::string_view source, const json& body) {
    const node root{&body, ""};
    const auto t = root.obj("ticket");
    ticket k;
    k.id = t.text("id");
    k.status = mapped(src.statuses, default_statuses(src.kind), t.name_of("state"), "ticket.state",
                      "statuses", source);
    k.sev = mapped(src.priorities, default_priorities(src.kind), t.name_of("priority"),
                   "ticket.priority", "priorities", source);
    // Zammad's unassigned owner is its system user (id 1, login "-").
    if (t.has("owner") && (*t.j)["owner"].is_object()) {
        const auto o = t.obj("owner");
        const auto login = o.opt_text("login");
        if (!login.empty() && login != "-" && o.opt_text("id") != "1") k.owner = login;
    }
    if (t.has("customer") && (*t.j)["customer"].is_object()) {
        const auto c = t.obj("customer");
        k.customer = lower(c.has("email") ? c.text("email") : c.opt_text("login"));
        if (c.has("vip") && (*c.j)["vip"].is_boolean() && (*c.j)["vip"].get<bool>())
            k.segment = "vip";
    }
    if (k.customer.empty()) k.customer = "zammad-user-" + t.text("customer_id");
    k.team = team_of(src, t.has("group") ? t.name_of("group") : std::string{});
    k.channel = t.opt_text("create_article_type");
    if (k.channel.empty() && root.has("article")) k.channel = root.obj("article").opt_text("type");
    k.category = category_of(src, t, "tags");
    k.summary = t.opt_text("title");
    k.created = t.time("created_at");
    k.updated = t.time("updated_at");
    return k;
}

ticket from_zendesk(const webhook_source& src, std::string_view source, const json& body) {
    const node root{&body, ""};
    const auto type = root.text("type");
    if (!type.starts_with("zen:event-type:ticket."))
        fail("type", "only ticket events (zen:event-type:ticket.*) become complaints, not " + type);
    const auto d = root.obj("detail");
    ticket k;
    k.id = d.text("id");
    k.status = type.ends_with("deleted")
                   ? ticket_status::withdrawn
                   : mapped(src.statuses, default_statuses(src.kind), d.text("status"),
                            "detail.status", "statuses", source);
    // A ticket nobody prioritised reads as Zendesk's own middle value.
    k.sev = d.has("priority") ? mapped(src.priorities, default_priorities(src.kind),
                                       d.text("priority"), "detail.priority", "priorities", source)
                              : severity::medium;
    if (d.has("assignee_id")) k.owner = "zendesk-agent-" + d.text("assignee_id");
    k.customer = "zendesk-user-" + d.text("requester_id");
    // Groups come as ids: `teams` maps an id to a team name, else the team is named by it.
    if (d.has("group_id")) {
        const auto group = d.text("group_id");
        const auto it = src.teams.find(group);
        k.team = it != src.teams.end() ? it->second : "zendesk-group-" + group;
    } else {
        k.team = src.default_team;
    }
    if (d.has("via")) k.channel = d.obj("via").opt_text("channel");
    k.category = category_of(src, d, "tags");
    k.summary = d.opt_text("subject");
    k.created = d.time("created_at");
    k.updated = d.has("updated_at") ? d.time("updated_at") : root.time("time");
    return k;
}

ticket from_jira(const webhook_source& src, std::string_view source, const json& body) {
    const node root{&body, ""};
    const auto event = root.text("webhookEvent");
    if (event != "jira:issue_created" && event != "jira:issue_updated" &&
        event != "jira:issue_deleted")
        fail("webhookEvent",
             "only issue events (jira:issue_created, jira:issue_updated, "
             "jira:issue_deleted) become complaints, not " +
                 event);
    const auto issue = root.obj("issue");
    const auto f = issue.obj("fields");
    ticket k;
    k.id = issue.text("id");
    k.status = event == "jira:issue_deleted"
                   ? ticket_status::withdrawn
                   : mapped(src.statuses, default_statuses(src.kind), f.obj("status").text("name"),
                            "issue.fields.status.name", "statuses", source);
    k.sev = f.has("priority") ? mapped(src.priorities, default_priorities(src.kind),
                                       f.obj("priority").text("name"), "issue.fields.priority.name",
                                       "priorities", source)
                              : severity::medium;
    const auto person = [](const node& p) {
        return p.has("emailAddress") ? lower(p.text("emailAddress"))
                                     : "jira-user-" + p.text("accountId");
    };
    if (f.has("assignee")) k.owner = person(f.obj("assignee"));
    k.customer = person(f.obj("reporter"));
    k.team = team_of(src, f.has("project") ? f.obj("project").opt_text("key") : std::string{});
    k.channel = "portal";
    k.category = category_of(src, f, "labels");
    k.summary = f.opt_text("summary");
    k.created = f.time("created");
    k.updated = f.has("updated") ? f.time("updated") : k.created;
    return k;
}

// kind: mapped: each of our fields read where the source's `map` points (JSON Pointer).
ticket from_mapped(const webhook_source& src, std::string_view source, const json& body,
                   instant received) {
    const auto at = [&](const char* field) -> const json* {
        const auto p = src.map.find(field);
        if (p == src.map.end()) return nullptr;
        const json::json_pointer ptr(p->second);
        if (!body.contains(ptr)) return nullptr;
        const auto& v = body.at(ptr);
        return v.is_null() ? nullptr : &v;
    };
    // A mapped field's text; errors name the pointer, which is where the sender must look.
    const auto text = [&](const char* field, bool required) -> std::string {
        const auto* v = at(field);
        const auto where = src.map.contains(field) ? src.map.at(field) : std::string(field);
        if (v == nullptr) {
            if (required) fail(where, "is required (mapped to " + std::string(field) + ")");
            return {};
        }
        if (v->is_string()) {
            auto s = v->get<std::string>();
            if (s.empty() && required) fail(where, "must not be empty");
            return s;
        }
        if (v->is_number_integer()) return std::to_string(v->get<std::int64_t>());
        if (v->is_number_unsigned()) return std::to_string(v->get<std::uint64_t>());
        fail(where, "must be a string or an integer");
    };
    const auto time_of = [&](const char* field) -> std::optional<instant> {
        const auto s = text(field, false);
        if (s.empty()) return std::nullopt;
        const auto t = iso8601::parse_instant(s);
        if (!t) fail(src.map.at(field), "must be an RFC 3339 timestamp");
        return t;
    };
    ticket k;
    k.id = text("complaint_id", true);
    k.status = mapped(src.statuses, default_statuses(src.kind), text("status", true),
                      src.map.at("status"), "statuses", source);
    const auto sev = text("severity", false);
    k.sev = sev.empty() ? severity::medium
                        : mapped(src.priorities, default_priorities(src.kind), sev,
                                 src.map.at("severity"), "priorities", source);
    k.owner = text("owner", false);
    k.customer = text("customer", true);
    if (auto segment = text("segment", false); !segment.empty()) k.segment = std::move(segment);
    if (const auto* v = at("value")) {
        // A number, or a decimal string as a custom field often holds one ("1200.50").
        std::optional<std::int64_t> a;
        if (v->is_number())
            a = amount_from_double(v->get<double>());
        else if (v->is_string())
            a = parse_amount(v->get<std::string>());
        if (!a || *a < 0)
            fail(src.map.at("value"),
                 "must be an amount (a number or a decimal string), not negative");
        k.value = format_amount(money{*a});
    }
    k.team = team_of(src, text("team", false));
    k.channel = text("channel", false);
    k.category = text("category", false);
    if (k.category.empty()) k.category = src.default_category;
    k.product = text("product", false);
    k.summary = text("summary", false);
    k.delivery = text("delivery_id", false);
    // Without the tool's own time of the change, the instant it reached us.
    k.updated = time_of("updated_at").value_or(received);
    k.created = time_of("created_at").value_or(k.updated);
    return k;
}

std::string header(const header_lookup& h, std::string_view name) {
    return std::string(h(name));
}

// One of a kind's tables.
template <class Table>
const Table& by_kind(source_kind k, const Table& zammad, const Table& zendesk, const Table& jira,
                     const Table& mapped, const Table& none) {
    switch (k) {
        case source_kind::zammad:
            return zammad;
        case source_kind::zendesk:
            return zendesk;
        case source_kind::jira:
            return jira;
        case source_kind::mapped:
            return mapped;
        case source_kind::standard:
            break;
    }
    return none;
}

}  // namespace

const std::map<std::string, severity>& default_priorities(source_kind k) {
    using enum severity;
    static const std::map<std::string, severity> none;
    static const std::map<std::string, severity> zammad{
        {"1 low", low}, {"2 normal", medium}, {"3 high", high}};
    static const std::map<std::string, severity> zendesk{
        {"low", low}, {"normal", medium}, {"high", high}, {"urgent", critical}};
    static const std::map<std::string, severity> jira{
        {"lowest", low}, {"low", low}, {"medium", medium}, {"high", high}, {"highest", critical}};
    // Words most tools use (Freshdesk: Low, Medium, High, Urgent), and ours.
    static const std::map<std::string, severity> mapped{
        {"low", low},   {"normal", medium},   {"medium", medium},
        {"high", high}, {"urgent", critical}, {"critical", critical}};
    return by_kind(k, zammad, zendesk, jira, mapped, none);
}

const std::map<std::string, ticket_status>& default_statuses(source_kind k) {
    using enum ticket_status;
    static const std::map<std::string, ticket_status> none;
    static const std::map<std::string, ticket_status> zammad{{"new", open},
                                                             {"open", open},
                                                             {"pending reminder", pending},
                                                             {"pending close", solved},
                                                             {"closed", solved},
                                                             {"merged", withdrawn},
                                                             {"removed", withdrawn}};
    static const std::map<std::string, ticket_status> zendesk{
        {"new", open},      {"open", open},     {"hold", open},        {"pending", pending},
        {"solved", solved}, {"closed", solved}, {"deleted", withdrawn}};
    static const std::map<std::string, ticket_status> jira{{"open", open},
                                                           {"to do", open},
                                                           {"waiting for support", open},
                                                           {"in progress", open},
                                                           {"work in progress", open},
                                                           {"escalated", open},
                                                           {"reopened", open},
                                                           {"pending", pending},
                                                           {"waiting for customer", pending},
                                                           {"resolved", solved},
                                                           {"done", solved},
                                                           {"closed", solved},
                                                           {"completed", solved},
                                                           {"canceled", withdrawn},
                                                           {"cancelled", withdrawn},
                                                           {"declined", withdrawn}};
    // Words most tools use (Freshdesk: Open, Pending, Resolved, Closed), and ours.
    static const std::map<std::string, ticket_status> mapped{
        {"new", open},      {"open", open},     {"pending", pending},     {"resolved", solved},
        {"solved", solved}, {"closed", solved}, {"withdrawn", withdrawn}, {"deleted", withdrawn}};
    return by_kind(k, zammad, zendesk, jira, mapped, none);
}

std::expected<void, unauthentic> verify_helpdesk(const webhook_source& src,
                                                 const header_lookup& headers,
                                                 std::string_view body, instant now) {
    using webhooks::verify_error;
    const auto why = [&](verify_error e, std::string_view headers_needed) {
        switch (e) {
            case verify_error::missing_headers:
                return unauthentic{std::string(headers_needed) + " is required"};
            case verify_error::bad_timestamp:
                return unauthentic{"X-Zendesk-Webhook-Signature-Timestamp must be RFC 3339"};
            case verify_error::stale_timestamp:
                return unauthentic{
                    "X-Zendesk-Webhook-Signature-Timestamp is more than 5 minutes away"};
            case verify_error::no_valid_signature:
                break;
        }
        return unauthentic{"no valid signature"};
    };
    switch (src.kind) {
        case source_kind::zammad:
        case source_kind::jira: {
            const auto d =
                src.kind == source_kind::zammad ? webhooks::digest::sha1 : webhooks::digest::sha256;
            const auto v =
                webhooks::verify_hub_signature(d, src.secrets, headers("x-hub-signature"), body);
            if (!v) return std::unexpected(why(v.error(), "X-Hub-Signature"));
            return {};
        }
        case source_kind::zendesk: {
            const auto v = webhooks::verify_zendesk(
                src.secrets, headers("x-zendesk-webhook-signature"),
                headers("x-zendesk-webhook-signature-timestamp"), body, now);
            if (!v)
                return std::unexpected(
                    why(v.error(),
                        "X-Zendesk-Webhook-Signature with X-Zendesk-Webhook-Signature-Timestamp"));
            return {};
        }
        case source_kind::mapped: {
            const auto given = headers(src.auth_header);
            if (given.empty())
                return std::unexpected(unauthentic{src.auth_header + " is required"});
            bool ok = false;
            if (src.auth_hmac.empty()) {
                for (const auto& secret : src.secrets) ok |= webhooks::same_bytes(secret, given);
            } else {
                const auto d =
                    src.auth_hmac == "sha1" ? webhooks::digest::sha1 : webhooks::digest::sha256;
                for (const auto& secret : src.secrets) {
                    const auto mac = webhooks::hmac(d, secret, body);
                    const auto text = src.auth_prefix + (src.auth_encoding == "base64"
                                                             ? webhooks::base64_encode(mac)
                                                             : webhooks::to_hex(mac));
                    ok |= webhooks::same_bytes(text, given);
                }
            }
            if (!ok) return std::unexpected(unauthentic{"no valid " + src.auth_header});
            return {};
        }
        case source_kind::standard:
            break;
    }
    return std::unexpected(unauthentic{"not a helpdesk source"});
}

std::expected<helpdesk_delivery, invalid_input> read_helpdesk(const webhook_source& src,
                                                              std::string_view source,
                                                              const header_lookup& headers,
                                                              std::string_view body,
                                                              instant received) {
    const auto j = json::parse(body.begin(), body.end(), nullptr, false);
    if (j.is_discarded())
        return std::unexpected(invalid_input{400, "", "the body is not valid JSON", 0});
    if (!j.is_object())
        return std::unexpected(invalid_input{422, "", "the body must be a JSON object", 0});
    try {
        ticket k;
        std::string delivery;
        switch (src.kind) {
            case source_kind::zammad:
                k = from_zammad(src, source, j);
                delivery = header(headers, "x-zammad-delivery");
                break;
            case source_kind::zendesk:
                k = from_zendesk(src, source, j);
                delivery = node{&j, ""}.text("id");  // the event's id: the same on a retry
                break;
            case source_kind::jira:
                k = from_jira(src, source, j);
                delivery = header(headers, "x-atlassian-webhook-identifier");
                break;
            case source_kind::mapped:
                k = from_mapped(src, source, j, received);
                delivery = k.delivery;
                break;
            case source_kind::standard:
                return std::unexpected(invalid_input{422, "", "not a helpdesk source", 0});
        }
        // Header bytes are not checked by any parser; the id becomes JSON text (found by
        // fuzz_helpdesk: a Latin-1 delivery id was accepted and its encoding threw later).
        if (!valid_utf8(delivery))
            return std::unexpected(invalid_input{422,
                                                 src.kind == source_kind::zammad
                                                     ? "X-Zammad-Delivery"
                                                     : "X-Atlassian-Webhook-Identifier",
                                                 "the header is not UTF-8", 0});
        // Without the vendor's delivery id, the body names the delivery: the same body sent
        // again is a redelivery, any change to it a new delivery (a ticket's time alone would
        // make two changes within a second one delivery).
        if (delivery.empty()) delivery = k.id + "@" + sha256_hex(body).substr(0, 32);
        if (k.channel.empty()) k.channel = "other";
        json data{{"complaint_id", std::string(source) + ":" + k.id},
                  {"status", std::string(to_string(k.status))},
                  {"created_at", iso8601::format_instant(k.created)},
                  {"customer", {{"id", k.customer}, {"segment", k.segment}, {"value", k.value}}},
                  {"severity", std::string(to_string(k.sev))},
                  {"channel", lower(k.channel)},
                  {"category", k.category},
                  {"team", k.team},
                  {"summary", k.summary}};
        if (!k.owner.empty()) data["owner"] = k.owner;
        if (!k.product.empty()) data["product"] = k.product;
        json ev{{"specversion", "1.0"},
                {"id", delivery},
                {"source", "/webhooks/" + std::string(source)},
                {"type", "complaint.synced"},
                {"time", iso8601::format_instant(k.updated)},
                {"partitionkey", k.customer},
                {"data", std::move(data)}};
        auto e = parse_event(ev);
        if (!e) return std::unexpected(e.error());
        auto cmd = to_command(*e);
        if (!cmd) return std::unexpected(cmd.error());
        return helpdesk_delivery{delivery, decoded_event{std::move(*e), std::move(*cmd)}};
    } catch (const refused& r) {
        return std::unexpected(r.error);
    }
}

}  // namespace bb::inbound
