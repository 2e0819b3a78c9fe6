#include "tests/domain/fixtures.hpp"

using namespace bb;
using namespace bb::test;

SCENARIO("ticks decide every deadline that fell due, stamped with its due instant",
         "[complaint][tick]") {
    GIVEN("a VIP complaint filed at 10:00 (ack warning 10:12, due 10:15)") {
        auto h = vip_filed();
        WHEN("the scheduler ticks at 10:11") {
            THEN("nothing is due yet") {
                CHECK(when(h, tick{at("2026-11-20T10:11:59Z")}).empty());
            }
        }
        WHEN("the scheduler ticks late, at 10:40") {
            const auto events = when(h, tick{at("2026-11-20T10:40:00Z")});
            THEN("warning and breach carry 10:12 and 10:15, and the ladder climbs per the policy") {
                CHECK(
                    events ==
                    std::vector<complaint_event>{
                        sla_warning_raised{{},
                                           cid("c1"),
                                           sla_target::acknowledge,
                                           at("2026-11-20T10:15:00Z"),
                                           at("2026-11-20T10:12:00Z")},
                        complaint_escalated{
                            {}, cid("c1"), 0, 1, "warning:acknowledge", at("2026-11-20T10:12:00Z")},
                        sla_breached{{},
                                     cid("c1"),
                                     sla_target::acknowledge,
                                     at("2026-11-20T10:15:00Z"),
                                     at("2026-11-20T10:15:00Z")},
                        complaint_escalated{{},
                                            cid("c1"),
                                            1,
                                            2,
                                            "breach:acknowledge",
                                            at("2026-11-20T10:15:00Z")}});
            }
            AND_WHEN("the same tick comes again") {
                for (auto& e : events) h.push_back(e);
                THEN("nothing new happens") {
                    CHECK(when(h, tick{at("2026-11-20T10:40:00Z")}).empty());
                }
            }
            AND_WHEN("the resolve deadline passes too") {
                for (auto& e : events) h.push_back(e);
                THEN(
                    "the resolve warning and breach fire without lowering or repeating "
                    "escalations") {
                    CHECK(
                        when(h, tick{at("2026-11-20T15:00:00Z")}) ==
                        std::vector<complaint_event>{sla_warning_raised{{},
                                                                        cid("c1"),
                                                                        sla_target::resolve,
                                                                        at("2026-11-20T14:00:00Z"),
                                                                        at("2026-11-20T13:12:00Z")},
                                                     sla_breached{{},
                                                                  cid("c1"),
                                                                  sla_target::resolve,
                                                                  at("2026-11-20T14:00:00Z"),
                                                                  at("2026-11-20T14:00:00Z")}});
                }
            }
        }
    }
    GIVEN("a standard complaint filed Friday 16:00 Berlin") {
        const auto h = history_of(
            {filing("c1", "cust-1", "standard", severity::medium, at("2026-11-20T15:00:00Z"))});
        THEN("a tick over the weekend finds nothing due, business time is not running") {
            CHECK(when(h, tick{at("2026-11-23T07:59:59Z")}).empty());
        }
        THEN("the resolve breach on Tuesday escalates per the breach:resolve rule only") {
            const auto events = when(h, tick{at("2026-11-24T15:00:00Z")});
            REQUIRE(events.size() == 5);
            CHECK(events[3] == complaint_event{sla_breached{{},
                                                            cid("c1"),
                                                            sla_target::resolve,
                                                            at("2026-11-24T15:00:00Z"),
                                                            at("2026-11-24T15:00:00Z")}});
            CHECK(events[4] ==
                  complaint_event{complaint_escalated{
                      {}, cid("c1"), 0, 1, "breach:resolve", at("2026-11-24T15:00:00Z")}});
        }
    }
    GIVEN("no complaint") {
        THEN("a tick is harmless") {
            CHECK(when({}, tick{at("2026-11-20T10:40:00Z")}).empty());
        }
    }
}

SCENARIO("the next deadline is what the scheduler waits for", "[complaint][tick]") {
    GIVEN("a VIP complaint filed at 10:00") {
        const auto s = given(vip_filed());
        THEN("the first deadline is the acknowledge warning") {
            CHECK(next_deadline(s) == at("2026-11-20T10:12:00Z"));
            CHECK(pending_deadlines(s).size() == 4);
        }
    }
    GIVEN("a recovered complaint") {
        auto h = history_of(
            {filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z")),
             acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-20T10:05:00Z")},
             resolve_complaint{key("res"), cid("c1"), emp("ana"), at("2026-11-20T11:00:00Z")},
             record_survey{key("sv"), cid("c1"), 10, at("2026-11-21T11:00:00Z")}});
        THEN("nothing is pending") {
            CHECK_FALSE(next_deadline(given(h)).has_value());
        }
    }
}
