// Facts that arrive after a deadline event they contradict (issue 23, "time is checked"): the
// fact is accepted, the breach stays in the log, and an SlaReconciled event says the SLA was met.
#include <catch2/catch.hpp>

#include "tests/domain/fixtures.hpp"

using namespace bb;
using namespace bb::test;

namespace {

// vip-urgent (always open): filed 10:00, acknowledge due 10:15 (warning 10:12), resolve due
// 14:00 (warning 13:12); a warning escalates to 1, a breach to 2.
std::vector<complaint_event> ack_breached() {
    return history_of({filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z")),
                       tick{at("2026-11-20T10:30:00Z")}});
}

std::vector<complaint_event> plus(std::vector<complaint_event> a,
                                  const std::vector<complaint_event>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace

SCENARIO("an acknowledgement stamped before a breach already recorded reconciles it",
         "[complaint][time][late]") {
    GIVEN("the acknowledge breach recorded at its due instant 10:15") {
        const auto h = ack_breached();
        REQUIRE(given(h).acknowledge.breached);
        WHEN("an acknowledgement of 10:10 arrives at 10:30") {
            const auto out = when(h, acknowledge_complaint{key("ack"), cid("c1"), emp("ana"),
                                                           at("2026-11-20T10:10:00Z")});
            THEN("it is applied and a reconciliation says the SLA was met after all") {
                CHECK(out ==
                      std::vector<complaint_event>{
                          complaint_acknowledged{key("ack"), cid("c1"), emp("ana"),
                                                 at("2026-11-20T10:10:00Z")},
                          sla_reconciled{key("ack"), cid("c1"), sla_target::acknowledge,
                                         at("2026-11-20T10:15:00Z"), at("2026-11-20T10:10:00Z")}});
                const auto s = given(plus(h, out));
                CHECK_FALSE(s.acknowledge.breached);
                // History is not rewritten: the breach's escalation stays.
                CHECK(s.escalation_level == 2);
            }
        }
        WHEN("an acknowledgement of 10:20 (after the due instant) arrives") {
            THEN("the breach stands: nothing to reconcile") {
                CHECK(when(h, acknowledge_complaint{key("ack"), cid("c1"), emp("ana"),
                                                    at("2026-11-20T10:20:00Z")}) ==
                      std::vector<complaint_event>{complaint_acknowledged{
                          key("ack"), cid("c1"), emp("ana"), at("2026-11-20T10:20:00Z")}});
            }
        }
        WHEN("an acknowledgement stamped exactly at the due instant arrives") {
            THEN("it is late, as it is when it arrives in time (the breach fires first)") {
                CHECK(when(h, acknowledge_complaint{key("ack"), cid("c1"), emp("ana"),
                                                    at("2026-11-20T10:15:00Z")})
                          .size() == 1);
            }
        }
    }
}

SCENARIO("a resolution stamped before a resolve breach already recorded reconciles it",
         "[complaint][time][late]") {
    GIVEN("acknowledged in time, the resolve breach recorded at 14:00") {
        const auto h = history_of(
            {filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z")),
             acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-20T10:05:00Z")},
             tick{at("2026-11-20T15:00:00Z")}});
        REQUIRE(given(h).resolve.breached);
        THEN("a resolution of 13:30 is applied and reconciled; one of 14:30 is not") {
            const auto out = when(h, resolve_complaint{key("res"), cid("c1"), emp("ana"),
                                                       at("2026-11-20T13:30:00Z")});
            REQUIRE(out.size() == 2);
            CHECK(out[1] == complaint_event{sla_reconciled{
                                key("res"), cid("c1"), sla_target::resolve,
                                at("2026-11-20T14:00:00Z"), at("2026-11-20T13:30:00Z")}});
            CHECK_FALSE(given(plus(h, out)).resolve.breached);
            CHECK(when(h, resolve_complaint{key("res"), cid("c1"), emp("ana"),
                                            at("2026-11-20T14:30:00Z")})
                      .size() == 1);
        }
    }
}

SCENARIO("a purchase from within the bounce-back window, reported after the window was missed",
         "[complaint][time][late][bounce-back]") {
    GIVEN("resolved 2026-11-20 11:00, the window declared missed on 2026-12-04 11:00") {
        const auto h = history_of(
            {filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z")),
             acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-20T10:05:00Z")},
             resolve_complaint{key("res"), cid("c1"), emp("ana"), at("2026-11-20T11:00:00Z")},
             tick{at("2026-12-05T00:00:00Z")}});
        REQUIRE(given(h).status == complaint_status::lost);
        THEN("a purchase of 2026-11-30 recovers it, with a reconciliation and what was spent") {
            const auto out =
                when(h, record_customer_activity{key("buy"), cid("c1"), activity_kind::purchase,
                                                 amount("30"), at("2026-11-30T09:00:00Z")});
            CHECK(out == std::vector<complaint_event>{
                             sla_reconciled{key("buy"), cid("c1"), sla_target::bounce_back,
                                            at("2026-12-04T11:00:00Z"), at("2026-11-30T09:00:00Z")},
                             customer_bounced_back{key("buy"), cid("c1"), "purchase", std::nullopt,
                                                   at("2026-11-30T09:00:00Z"), usd("30")}});
            const auto s = given(plus(h, out));
            CHECK(s.status == complaint_status::recovered);
            CHECK_FALSE(s.bounce_back.breached);
        }
        THEN("a good survey from within the window does the same; a bad one changes nothing") {
            const auto good =
                when(h, record_survey{key("sv"), cid("c1"), 9, at("2026-11-30T09:00:00Z")});
            REQUIRE(good.size() == 2);
            CHECK(std::holds_alternative<sla_reconciled>(good[0]));
            CHECK(when(h, record_survey{key("sv"), cid("c1"), 2, at("2026-11-30T09:00:00Z")})
                      .empty());
        }
        THEN("activity after the window, or before the resolution, changes nothing") {
            CHECK(when(h, record_customer_activity{key("buy"), cid("c1"), activity_kind::purchase,
                                                   amount("30"), at("2026-12-04T12:00:00Z")})
                      .empty());
            CHECK(when(h, record_customer_activity{key("buy"), cid("c1"), activity_kind::purchase,
                                                   amount("30"), at("2026-11-20T10:30:00Z")})
                      .empty());
        }
    }
    GIVEN("lost because the customer closed the account on 2026-11-25") {
        const auto h = history_of(
            {filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z")),
             acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-20T10:05:00Z")},
             resolve_complaint{key("res"), cid("c1"), emp("ana"), at("2026-11-20T11:00:00Z")},
             record_customer_activity{key("closed"), cid("c1"), activity_kind::account_closed,
                                      std::nullopt, at("2026-11-25T09:00:00Z")}});
        REQUIRE(given(h).status == complaint_status::lost);
        THEN("a late purchase from within the window does not undo a closed account") {
            CHECK(when(h, record_customer_activity{key("buy"), cid("c1"), activity_kind::purchase,
                                                   amount("30"), at("2026-11-24T09:00:00Z")})
                      .empty());
        }
    }
}
