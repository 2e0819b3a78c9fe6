// The helpdesk adapters' mapping rules (docs/integrations.md), one rule per check; the vendors'
// whole payloads over HTTP are in tests/system/helpdesk_test.py.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "handlers/ingress/helpdesk_adapter.hpp"
#include "infra/hash_chain.hpp"
#include "infra/iso8601.hpp"

using namespace bb;
using nlohmann::json;

namespace {

webhook_source source(source_kind k) {
    webhook_source s;
    s.kind = k;
    s.secrets = {"s"};
    return s;
}

const inbound::header_lookup no_headers = [](std::string_view) { return std::string_view{}; };

// The complaint.synced data an adapter makes of a body; REQUIREs success.
json data_of(const webhook_source& src, const json& body) {
    const auto r = inbound::read_helpdesk(src, "desk", no_headers, body.dump(), instant{});
    if (!r) FAIL(r.error().field << " " << r.error().detail);
    return r->event.event.data;
}

inbound::invalid_input error_of(const webhook_source& src, const json& body) {
    const auto r = inbound::read_helpdesk(src, "desk", no_headers, body.dump(), instant{});
    REQUIRE_FALSE(r.has_value());
    return r.error();
}

json zammad_min() {
    return {{"ticket",
             {{"id", 7},
              {"state", "new"},
              {"priority", "1 low"},
              {"customer_id", 12},
              {"created_at", "2026-12-07T10:00:00.000Z"},
              {"updated_at", "2026-12-07T10:00:00.000Z"}}}};
}

json zendesk_min() {
    return {{"type", "zen:event-type:ticket.created"},
            {"id", "ev-1"},
            {"time", "2026-12-07T10:00:00Z"},
            {"detail",
             {{"id", "35"},
              {"status", "NEW"},
              {"priority", nullptr},
              {"requester_id", "9"},
              {"assignee_id", nullptr},
              {"created_at", "2026-12-07T10:00:00Z"},
              {"updated_at", "2026-12-07T10:00:00Z"}}}};
}

}  // namespace

TEST_CASE("Zammad: the ticket's fields, with what a minimal ticket leaves out",
          "[handlers][helpdesk]") {
    const auto d = data_of(source(source_kind::zammad), zammad_min());
    CHECK(d["complaint_id"] == "desk:7");
    CHECK(d["status"] == "open");
    CHECK(d["severity"] == "low");
    CHECK(d["customer"]["id"] == "zammad-user-12");  // no customer object: its id
    CHECK(d["team"] == "support");                   // no group: the source's default team
    CHECK(d["category"] == "uncategorized");
    CHECK(d["channel"] == "other");
    CHECK_FALSE(d.contains("owner"));
    SECTION("a custom `category` attribute names the category") {
        auto body = zammad_min();
        body["ticket"]["category"] = "delivery";
        CHECK(data_of(source(source_kind::zammad), body)["category"] == "delivery");
    }
    SECTION("a missing state is named") {
        auto body = zammad_min();
        body["ticket"].erase("state");
        CHECK(error_of(source(source_kind::zammad), body).field == "ticket.state");
    }
    SECTION("not JSON is a 400") {
        const auto r = inbound::read_helpdesk(source(source_kind::zammad), "desk", no_headers,
                                              "ticket=7", instant{});
        REQUIRE_FALSE(r);
        CHECK(r.error().status == 400);
    }
}

TEST_CASE("Zendesk: tags name the category, the group the team, no priority reads as normal",
          "[handlers][helpdesk]") {
    auto src = source(source_kind::zendesk);
    auto body = zendesk_min();
    CHECK(data_of(src, body)["severity"] == "medium");
    body["detail"]["tags"] = {"VIP", "Delivery", "billing"};
    body["detail"]["group_id"] = "44";
    CHECK(data_of(src, body)["category"] == "vip");  // no list configured: the first tag
    CHECK(data_of(src, body)["team"] == "zendesk-group-44");
    src.categories = {"billing", "delivery"};
    src.teams = {{"44", "logistics"}};
    CHECK(data_of(src, body)["category"] == "delivery");  // the first tag that is a category
    CHECK(data_of(src, body)["team"] == "logistics");
    SECTION("the delivery id is the event's id, so a retry is recognised") {
        const auto r = inbound::read_helpdesk(src, "desk", no_headers, body.dump(), instant{});
        REQUIRE(r);
        CHECK(r->delivery_id == "ev-1");
    }
    SECTION("events about other things than tickets are refused, naming the type") {
        body["type"] = "zen:event-type:user.active_changed";
        CHECK(error_of(src, body).field == "type");
    }
    SECTION("a configured status adds to the kind's own table") {
        body["detail"]["status"] = "Awaiting Vendor";
        CHECK(error_of(src, body).field == "detail.status");
        src.statuses = {{"awaiting vendor", ticket_status::pending}};
        CHECK(data_of(src, body)["status"] == "pending");
    }
}

TEST_CASE("Jira: people by e-mail when Jira shares it, else by account id; offsets without a colon",
          "[handlers][helpdesk]") {
    json body{{"webhookEvent", "jira:issue_updated"},
              {"issue",
               {{"id", "10002"},
                {"fields",
                 {{"status", {{"name", "In Progress"}}},
                  {"priority", {{"name", "Highest"}}},
                  {"assignee", {{"accountId", "a-1"}, {"emailAddress", "Jo@Example.com"}}},
                  {"reporter", {{"accountId", "c-9"}}},
                  {"created", "2026-12-07T11:00:00.000+0100"},
                  {"updated", "2026-12-07T11:30:00.000+0100"}}}}}};
    const auto src = source(source_kind::jira);
    const auto r = inbound::read_helpdesk(src, "desk", no_headers, body.dump(), instant{});
    REQUIRE(r);
    CHECK(r->event.event.time == *iso8601::parse_instant("2026-12-07T10:30:00Z"));
    const auto& d = r->event.event.data;
    CHECK(d["owner"] == "jo@example.com");
    CHECK(d["customer"]["id"] == "jira-user-c-9");
    // A select-list custom field named as the category field.
    auto with_field = body;
    with_field["issue"]["fields"]["customfield_10042"] = {{"value", "Billing"}, {"id", "10101"}};
    auto by_field = src;
    by_field.category_field = "customfield_10042";
    CHECK(inbound::read_helpdesk(by_field, "desk", no_headers, with_field.dump(), instant{})
              ->event.event.data["category"] == "Billing");
    CHECK(d["severity"] == "critical");
    CHECK(d["created_at"] == "2026-12-07T10:00:00Z");
    // No webhook identifier header: the body names the delivery.
    CHECK(r->delivery_id == "10002@" + sha256_hex(body.dump()).substr(0, 32));
    body["issue"]["fields"]["reporter"] = nullptr;
    CHECK(error_of(src, body).field == "issue.fields.reporter");
}

TEST_CASE("mapped: any JSON through JSON Pointers, authenticated by a token or an HMAC",
          "[handlers][helpdesk]") {
    auto src = source(source_kind::mapped);
    src.secrets = {"tok-1"};
    src.auth_header = "x-bounceback-token";
    src.map = {{"complaint_id", "/freshdesk_webhook/ticket_id"},
               {"status", "/freshdesk_webhook/ticket_status"},
               {"severity", "/freshdesk_webhook/ticket_priority"},
               {"customer", "/freshdesk_webhook/ticket_contact_email"},
               {"value", "/freshdesk_webhook/contact_ltv"},
               {"owner", "/freshdesk_webhook/ticket_agent_email"},
               {"team", "/freshdesk_webhook/ticket_group_name"},
               {"category", "/freshdesk_webhook/ticket_type"},
               {"updated_at", "/freshdesk_webhook/updated"},
               {"delivery_id", "/freshdesk_webhook/event_id"}};
    const json body{{"freshdesk_webhook",
                     {{"ticket_id", 4711},
                      {"ticket_status", "Resolved"},
                      {"ticket_priority", "Urgent"},
                      {"ticket_contact_email", "ann@example.com"},
                      {"contact_ltv", 1200.5},
                      {"ticket_agent_email", ""},
                      {"ticket_group_name", "Billing"},
                      {"ticket_type", "Refund"},
                      {"updated", "2026-12-07T10:00:00Z"},
                      {"event_id", "fd-ev-9"}}}};
    const auto r = inbound::read_helpdesk(src, "desk", no_headers, body.dump(), instant{});
    REQUIRE(r);
    CHECK(r->delivery_id == "fd-ev-9");
    const auto& d = r->event.event.data;
    CHECK(d["complaint_id"] == "desk:4711");
    CHECK(d["status"] == "solved");              // the kind's own table: Resolved
    CHECK(d["severity"] == "critical");          // Urgent
    CHECK(d["customer"]["value"] == "1200.50");  // exact decimal text (docs/api.md, "Money")
    CHECK_FALSE(d.contains("owner"));            // an empty agent is no agent
    CHECK(d["team"] == "Billing");
    CHECK(d["category"] == "Refund");
    SECTION("without the tool's time, the time it reached us") {
        auto no_time = body;
        no_time["freshdesk_webhook"].erase("updated");
        const auto now = *iso8601::parse_instant("2026-12-07T11:00:00Z");
        const auto t = inbound::read_helpdesk(src, "desk", no_headers, no_time.dump(), now);
        REQUIRE(t);
        CHECK(t->event.event.time == now);
    }
    SECTION("a missing required field names its pointer") {
        auto missing = body;
        missing["freshdesk_webhook"].erase("ticket_status");
        const auto e = error_of(src, missing);
        CHECK(e.field == "/freshdesk_webhook/ticket_status");
    }
    SECTION("authentication") {
        const auto with = [&](std::string_view name, std::string_view value) {
            return inbound::header_lookup([name, value](std::string_view n) {
                return n == name ? value : std::string_view{};
            });
        };
        CHECK(inbound::verify_helpdesk(src, with("x-bounceback-token", "tok-1"), "{}", {}));
        CHECK_FALSE(inbound::verify_helpdesk(src, with("x-bounceback-token", "tok-2"), "{}", {}));
        CHECK(inbound::verify_helpdesk(src, no_headers, "{}", {}).error().detail ==
              "x-bounceback-token is required");
        src.auth_hmac = "sha256";
        src.auth_prefix = "sha256=";
        src.auth_header = "x-signature";
        // RFC 4231 test case 2.
        src.secrets = {"Jefe"};
        const std::string sig =
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        CHECK(inbound::verify_helpdesk(src, with("x-signature", sig),
                                       "what do ya want for nothing?", {}));
        CHECK_FALSE(inbound::verify_helpdesk(src, with("x-signature", sig),
                                             "what do ya want for nothing!", {}));
    }
}
