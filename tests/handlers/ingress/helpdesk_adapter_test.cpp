// The helpdesk adapters' mapping rules (docs/integrations.md), one rule per check; the vendors'
// whole payloads over HTTP are in tests/system/helpdesk_test.py.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "handlers/ingress/helpdesk_adapter.hpp"
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
    const auto r = inbound::read_helpdesk(src, "desk", no_headers, body.dump());
    if (!r) FAIL(r.error().field << " " << r.error().detail);
    return r->event.event.data;
}

inbound::invalid_input error_of(const webhook_source& src, const json& body) {
    const auto r = inbound::read_helpdesk(src, "desk", no_headers, body.dump());
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
        const auto r =
            inbound::read_helpdesk(source(source_kind::zammad), "desk", no_headers, "ticket=7");
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
        const auto r = inbound::read_helpdesk(src, "desk", no_headers, body.dump());
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
    const auto r = inbound::read_helpdesk(src, "desk", no_headers, body.dump());
    REQUIRE(r);
    CHECK(r->event.event.time == *iso8601::parse_instant("2026-12-07T10:30:00Z"));
    const auto& d = r->event.event.data;
    CHECK(d["owner"] == "jo@example.com");
    CHECK(d["customer"]["id"] == "jira-user-c-9");
    CHECK(d["severity"] == "critical");
    CHECK(d["created_at"] == "2026-12-07T10:00:00Z");
    CHECK(r->delivery_id == "10002@2026-12-07T10:30:00Z");  // no webhook identifier header
    body["issue"]["fields"]["reporter"] = nullptr;
    CHECK(error_of(src, body).field == "issue.fields.reporter");
}
