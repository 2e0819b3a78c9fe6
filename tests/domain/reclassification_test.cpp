#include <catch2/catch.hpp>

#include "tests/domain/fixtures.hpp"

using namespace bb;
using namespace bb::test;
using namespace std::chrono_literals;

namespace {

// Standard, medium, filed Friday 2026-11-20 16:00 Berlin (office hours 9-17): acknowledge due
// Monday 12:00 Berlin (11:00Z), resolve due Tuesday 16:00 Berlin (15:00Z).
std::vector<complaint_event> standard_filed() {
    return history_of(
        {filing("c1", "cust-1", "standard", severity::medium, at("2026-11-20T15:00:00Z"))});
}

}  // namespace

SCENARIO("reclassifying re-matches the policy and counts the time already elapsed",
         "[complaint][reclassify]") {
    GIVEN("a standard complaint not yet acknowledged on Monday 10:00 Berlin") {
        auto h = standard_filed();
        WHEN("it is found critical") {
            const reclassify_complaint cmd{
                key("rc"),  cid("c1"),    severity::critical, std::nullopt,
                "payments", std::nullopt, "regulator copied", at("2026-11-23T09:00:00Z")};
            const auto got = when(h, cmd);
            THEN("the critical policy applies; each clock has used 2 business hours of it") {
                // Acknowledge: 2h of the old 4h used; the new target (1h) is already exceeded:
                // due (and warned) at once. Resolve: 2h of the old 16h used, 6h left of the new
                // 8h on the always-open calendar: 15:00Z; warning at 80% (6h24m), 4h24m left.
                REQUIRE(got.size() == 2);
                CHECK(got[0] == complaint_event{complaint_reclassified{
                                    key("rc"), cid("c1"), severity::critical, "billing", "card",
                                    "payments", "regulator copied", applied_policy("critical"),
                                    at("2026-11-23T09:00:00Z"), at("2026-11-23T09:00:00Z"),
                                    at("2026-11-23T15:00:00Z"), at("2026-11-23T13:24:00Z"), 2h, 2h,
                                    at("2026-11-23T09:00:00Z")}});
                // The critical policy escalates on intake: level 0 -> 1.
                const auto* up = std::get_if<complaint_escalated>(&got[1]);
                REQUIRE(up != nullptr);
                CHECK(up->from_level == 0);
                CHECK(up->to_level == 1);
            }
            AND_WHEN("the scheduler runs a minute later") {
                for (const auto& e : got) h.push_back(e);
                const auto fired = when(h, tick{at("2026-11-23T09:01:00Z")});
                THEN("the acknowledgement breaches at the reclassification") {
                    bool breached = false;
                    for (const auto& e : fired)
                        if (const auto* b = std::get_if<sla_breached>(&e))
                            breached = breached || (b->target == sla_target::acknowledge &&
                                                    b->at == at("2026-11-23T09:00:00Z"));
                    CHECK(breached);
                }
            }
        }
        WHEN("only the category changes") {
            const auto got = when(h, reclassify_complaint{key("rc"), cid("c1"), std::nullopt,
                                                          "delivery", std::nullopt, std::nullopt,
                                                          "", at("2026-11-23T09:00:00Z")});
            THEN("the same policy stays, and the clocks keep their instants") {
                REQUIRE(got.size() == 1);
                const auto& r = std::get<complaint_reclassified>(got[0]);
                CHECK(r.category == "delivery");
                CHECK(r.policy.id == "standard");
                CHECK(r.acknowledge_due == at("2026-11-23T11:00:00Z"));
                CHECK(r.resolve_due == at("2026-11-24T15:00:00Z"));
                CHECK(given(h).acknowledge.due == r.acknowledge_due);
            }
        }
    }
    GIVEN("a VIP complaint escalated to level 2 by its acknowledgement's breach") {
        auto h = vip_filed();
        for (const auto& e : when(h, tick{at("2026-11-20T10:16:00Z")})) h.push_back(e);
        REQUIRE(given(h).escalation_level == 2);
        REQUIRE(given(h).acknowledge.breached);
        WHEN("it is found to be of medium severity at 10:20 (11:20 Berlin)") {
            const auto got = when(h, reclassify_complaint{key("rc"), cid("c1"), severity::medium,
                                                          std::nullopt, std::nullopt, std::nullopt,
                                                          "", at("2026-11-20T10:20:00Z")});
            for (const auto& e : got) h.push_back(e);
            THEN("the standard policy applies; its level does not go down") {
                REQUIRE(got.size() == 1);
                const auto& r = std::get<complaint_reclassified>(got[0]);
                CHECK(r.policy.id == "standard");
                // Resolve: 20 min of the old 4h used; 15h40m of the new 16h left in office
                // hours from Fri 11:20 Berlin: Fri 5h40m, Mon 8h, Tue 2h -> Tue 11:00 Berlin.
                // Warning: 12h28m left -> Mon 15:48 Berlin.
                CHECK(r.resolve_elapsed == 20min);
                CHECK(r.resolve_due == at("2026-11-24T10:00:00Z"));
                CHECK(r.resolve_warn_at == at("2026-11-23T14:48:00Z"));
                const auto s = given(h);
                CHECK(s.escalation_level == 2);
                CHECK(s.sev == severity::medium);
                CHECK(s.policy->id == "standard");
                // The breached acknowledgement stays breached at its old due instant.
                CHECK(s.acknowledge.breached);
                CHECK(s.acknowledge.due == at("2026-11-20T10:15:00Z"));
                CHECK(s.resolve.due == at("2026-11-24T10:00:00Z"));
            }
        }
    }
    GIVEN("a standard complaint paused for the customer") {
        auto h = history_of(
            {filing("c1", "cust-1", "standard", severity::medium, at("2026-11-20T15:00:00Z")),
             acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-20T15:30:00Z")},
             request_customer_info{key("ask"), cid("c1"), at("2026-11-20T15:30:00Z")}});
        WHEN("it is found critical during the pause, and the customer replies later") {
            for (const auto& e :
                 when(h, reclassify_complaint{key("rc"), cid("c1"), severity::critical,
                                              std::nullopt, std::nullopt, std::nullopt, "",
                                              at("2026-11-23T09:00:00Z")}))
                h.push_back(e);
            const auto r = std::get<complaint_reclassified>(h.at(h.size() - 2));
            THEN("the resolve clock counts from where it stopped, and moves on at the reply") {
                // Stopped Fri 16:30 Berlin after 0.5h of 16h: 7h30m of the new 8h left.
                CHECK(r.resolve_elapsed == 30min);
                CHECK(r.resolve_due == at("2026-11-20T23:00:00Z"));
                const auto replied = when(
                    h, record_customer_reply{key("reply"), cid("c1"), at("2026-11-23T10:00:00Z")});
                REQUIRE(replied.size() == 1);
                CHECK(std::get<customer_replied>(replied[0]).resolve_due ==
                      at("2026-11-23T17:30:00Z"));
            }
        }
    }
    GIVEN("commands that change nothing or cannot apply") {
        auto h = standard_filed();
        THEN("the same classification again decides nothing") {
            CHECK(when(h, reclassify_complaint{key("rc"), cid("c1"), severity::medium, "billing",
                                               std::nullopt, std::nullopt, "",
                                               at("2026-11-23T09:00:00Z")})
                      .empty());
        }
        THEN("an empty category is refused") {
            CHECK(rejected(
                      h, reclassify_complaint{key("rc"), cid("c1"), std::nullopt, "", std::nullopt,
                                              std::nullopt, "", at("2026-11-23T09:00:00Z")})
                      .code == rejection_code::invalid_argument);
        }
        THEN("a withdrawn complaint cannot be reclassified") {
            for (const auto& e : when(
                     h, withdraw_complaint{key("w"), cid("c1"), "dup", at("2026-11-20T15:10:00Z")}))
                h.push_back(e);
            CHECK(rejected(h, reclassify_complaint{key("rc"), cid("c1"), severity::high,
                                                   std::nullopt, std::nullopt, std::nullopt, "",
                                                   at("2026-11-23T09:00:00Z")})
                      .code == rejection_code::invalid_transition);
        }
        THEN("a redelivered reclassification decides nothing the second time") {
            const reclassify_complaint cmd{key("rc"),
                                           cid("c1"),
                                           severity::high,
                                           std::nullopt,
                                           std::nullopt,
                                           std::nullopt,
                                           "",
                                           at("2026-11-20T15:05:00Z")};
            for (const auto& e : when(h, cmd)) h.push_back(e);
            CHECK(when(h, cmd).empty());
        }
    }
}
