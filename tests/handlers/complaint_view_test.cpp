#include "handlers/complaint_view.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/domain/fixtures.hpp"

using json = nlohmann::json;

namespace bb {

SCENARIO("a complaint's view is the documented shape, written as nlohmann would write it",
         "[view]") {
    GIVEN("a VIP complaint filed 10:00, acknowledged 10:05 and resolved 11:00") {
        auto filed = test::filing("c1", "cust-1", "vip", severity::high,
                                  test::at("2026-11-20T10:00:00Z"), 250.5);
        filed.category = "billing \"quoted\" \xff";  // bad UTF-8 from a helpdesk: replaced
        const auto s = test::given(test::history_of(
            {filed,
             acknowledge_complaint{test::key("a"), test::cid("c1"), test::emp("e-7"),
                                   test::at("2026-11-20T10:05:00Z")},
             resolve_complaint{test::key("r"), test::cid("c1"), test::emp("e-7"),
                               test::at("2026-11-20T11:00:00Z")}}));
        const auto text = complaint_view(s);
        THEN("every field is there with its value") {
            const auto v = json::parse(text);
            CHECK(v["complaint_id"] == "c1");
            CHECK(v["status"] == "resolved");
            // Money as an exact decimal string with its currency, never a binary float.
            CHECK(v["customer"] == json{{"currency", "USD"},
                                        {"id", "cust-1"},
                                        {"segment", "vip"},
                                        {"value", "250.50"}});
            CHECK(v["root_cause"].is_null());  // none found, or no read-side row given
            CHECK(v["severity"] == "high");
            CHECK(v["channel"] == "email");
            CHECK(v["category"] == "billing \"quoted\" \xEF\xBF\xBD");
            CHECK(v["product"] == "card");
            CHECK(v["team"] == "support-emea");
            CHECK(v["owner"] == "e-7");
            CHECK(v["policy"] == json{{"id", "vip-urgent"}, {"version", 3}});
            CHECK(v["filed_at"] == "2026-11-20T10:00:00Z");
            CHECK(v["acknowledged_at"] == "2026-11-20T10:05:00Z");
            CHECK(v["resolved_at"] == "2026-11-20T11:00:00Z");
            CHECK(v["escalation_level"] == 0);
            CHECK(v["reopen_count"] == 0);
            CHECK(v["sla"]["acknowledge"] == json{{"due", "2026-11-20T10:15:00Z"},
                                                  {"warn_at", "2026-11-20T10:12:00Z"},
                                                  {"warned", false},
                                                  {"breached", false},
                                                  {"running", false}});
            CHECK(v["sla"]["resolve"]["due"] == "2026-11-20T14:00:00Z");
            CHECK(v["sla"]["resolve"]["running"] == false);
            CHECK(v["sla"]["bounce_back"]["due"] == "2026-12-04T11:00:00Z");
            CHECK(v["sla"]["bounce_back"]["running"] == true);
            CHECK(v["next_deadline"] == v["sla"]["bounce_back"]["warn_at"]);
            CHECK(v.size() == 18);
        }
        THEN("the text is nlohmann's compact dump of the same document") {
            CHECK(text == json::parse(text).dump());
        }
    }
    GIVEN("a complaint whose root cause was found, recorded before amounts had a currency") {
        auto s = test::given(test::vip_filed());
        s.customer.value = test::amount("0.1");
        projection::complaint_progress p;
        p.root_cause = "payment-gateway";
        p.root_cause_detail = "timeout at the acquirer";
        p.attributed_to = test::emp("bo");
        const auto text = complaint_view(s, &p, *currency::parse("EUR"));
        const auto v = json::parse(text);
        THEN("the view shows the root cause found and the amount in the default currency") {
            CHECK(v["root_cause"] == json{{"category", "payment-gateway"},
                                          {"detail", "timeout at the acquirer"},
                                          {"employee", "bo"}});
            CHECK(v["customer"]["value"] == "0.10");
            CHECK(v["customer"]["currency"] == "EUR");
            CHECK(text == v.dump());
        }
    }
    GIVEN("a complaint just filed") {
        const auto s = test::given(test::vip_filed());
        const auto v = json::parse(complaint_view(s));
        THEN("what has not happened is null, and bounce-back has no clock yet") {
            CHECK(v["owner"].is_null());
            CHECK(v["acknowledged_at"].is_null());
            CHECK(v["resolved_at"].is_null());
            CHECK_FALSE(v["sla"].contains("bounce_back"));
            CHECK(v["sla"]["acknowledge"]["running"] == true);
            CHECK(v["next_deadline"] == "2026-11-20T10:12:00Z");
        }
    }
}

}  // namespace bb
