#include "services/helpdesk_update.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/overloaded.hpp"
#include "infra/codec/event_codec.hpp"
#include "infra/iso8601.hpp"
#include "infra/standard_webhooks.hpp"

namespace bb {

using nlohmann::json;

namespace {

// What the helpdesk is told: a sentence for the note, tags, and the priority an escalation asks.
struct notice {
    std::string text;
    std::vector<std::string> tags;
    int level = 0;  // escalations: the level reached
};

std::optional<notice> notice_of(const any_event& ev) {
    const auto* c = std::get_if<complaint_event>(&ev);
    if (c == nullptr) return std::nullopt;
    return std::visit(
        overloaded{
            [](const sla_warning_raised& e) -> std::optional<notice> {
                const auto target = std::string(to_string(e.target));
                return notice{"Bounceback: the " + target + " SLA is due at " +
                                  iso8601::format_instant(e.due_at) + " (warning).",
                              {"bounceback_warning", "bounceback_warning_" + target},
                              0};
            },
            [](const sla_breached& e) -> std::optional<notice> {
                const auto target = std::string(to_string(e.target));
                return notice{"Bounceback: the " + target + " SLA was breached (due " +
                                  iso8601::format_instant(e.due_at) + ").",
                              {"bounceback_breach", "bounceback_breach_" + target},
                              0};
            },
            [](const sla_reconciled& e) -> std::optional<notice> {
                const auto target = std::string(to_string(e.target));
                return notice{"Bounceback: the " + target + " SLA was met after all (a fact of " +
                                  iso8601::format_instant(e.at) +
                                  " arrived after the breach was "
                                  "recorded; due " +
                                  iso8601::format_instant(e.due_at) + ").",
                              {"bounceback_reconciled", "bounceback_reconciled_" + target},
                              0};
            },
            [](const complaint_escalated& e) -> std::optional<notice> {
                const auto level = std::to_string(e.to_level);
                return notice{"Bounceback: escalated to level " + level +
                                  (e.reason.empty() ? "" : " (" + e.reason + ")") + ".",
                              {"bounceback_escalated", "bounceback_level_" + level},
                              e.to_level};
            },
            [](const auto&) -> std::optional<notice> { return std::nullopt; },
        },
        *c);
}

std::string basic(const std::string& user, const std::string& password) {
    return "Basic " + webhooks::base64_encode(user + ":" + password);
}

}  // namespace

std::optional<std::string> ticket_of(const subscription_config& s, const event_record& e) {
    const auto prefix = "complaint-" + s.source + ":";
    if (s.kind == subscription_kind::webhook || !e.stream.starts_with(prefix)) return std::nullopt;
    auto id = e.stream.substr(prefix.size());
    // Ticket ids are the helpdesk's (digits, or a Jira key): nothing that changes the path.
    if (id.empty() || !std::ranges::all_of(id, [](unsigned char c) {
            return std::isalnum(c) || c == '-' || c == '_';
        }))
        return std::nullopt;
    return id;
}

bool wanted(const subscription_config& s, const event_record& e) {
    if (!s.types.empty() && std::ranges::find(s.types, e.type) == s.types.end()) return false;
    return s.kind == subscription_kind::webhook || ticket_of(s, e).has_value();
}

std::optional<helpdesk_request> helpdesk_update(const subscription_config& s,
                                                const event_record& e) {
    const auto ticket = ticket_of(s, e);
    if (!ticket) return std::nullopt;
    const auto data = json::parse(e.data, nullptr, false);
    if (data.is_discarded()) return std::nullopt;
    const auto ev = codec::decode(e.type, data, idempotency_key{e.idempotency_key}, e.time);
    if (!ev) return std::nullopt;
    const auto n = notice_of(*ev);
    if (!n) return std::nullopt;
    helpdesk_request r;
    r.headers.emplace_back("content-type", "application/json");
    r.headers.emplace_back("accept", "application/json");
    switch (s.kind) {
        case subscription_kind::zendesk: {
            // API token authentication: "{email}/token:{token}".
            r.method = "PUT";
            r.url = s.url + "/api/v2/tickets/" + *ticket + ".json";
            r.headers.emplace_back("authorization", basic(s.auth_email + "/token", s.auth_token));
            json t{{"comment", {{"body", n->text}, {"public", false}}},
                   {"additional_tags", n->tags}};
            if (n->level >= 1) t["priority"] = n->level >= 2 ? "urgent" : "high";
            r.body = json{{"ticket", t}}.dump();
            break;
        }
        case subscription_kind::zammad: {
            r.method = "PUT";
            r.url = s.url + "/api/v1/tickets/" + *ticket;
            r.headers.emplace_back("authorization", "Token token=" + s.auth_token);
            json t{{"article",
                    {{"subject", "Bounceback"},
                     {"body", n->text},
                     {"type", "note"},
                     {"internal", true},
                     {"content_type", "text/plain"}}}};
            if (n->level >= 1) t["priority"] = "3 high";
            r.body = t.dump();
            break;
        }
        case subscription_kind::jira: {
            // Jira Service Management's request comment: `public: false` makes it internal (the
            // platform API's comments are public on a service project).
            r.method = "POST";
            r.url = s.url + "/rest/servicedeskapi/request/" + *ticket + "/comment";
            r.headers.emplace_back("authorization", basic(s.auth_email, s.auth_token));
            r.body = json{{"body", n->text}, {"public", false}}.dump();
            break;
        }
        case subscription_kind::webhook:
            return std::nullopt;
    }
    return r;
}

}  // namespace bb
