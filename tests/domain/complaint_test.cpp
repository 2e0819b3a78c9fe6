// One scenario per command and per rejection: GIVEN prior events, WHEN a command, THEN the
// exact events or the exact rejection.
#include "tests/domain/fixtures.hpp"

using namespace bb;
using namespace bb::test;
using namespace std::chrono_literals;

namespace {

sla_policy policy(std::string_view id) {
    return applied_policy(id);
}

std::vector<complaint_event> vip_acknowledged() {
    return history_of(
        {filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z")),
         acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-20T10:05:00Z")}});
}

// ... resolved at 11:00: bounce-back due 2026-12-04 11:00, warning at 80% = 11d 4h48m later.
std::vector<complaint_event> vip_resolved() {
    return history_of(
        {filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z")),
         acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-20T10:05:00Z")},
         resolve_complaint{key("res"), cid("c1"), emp("ana"), at("2026-11-20T11:00:00Z")}});
}

}  // namespace

SCENARIO("filing a complaint applies the first matching policy and records its due instants",
         "[complaint]") {
    GIVEN("no history") {
        WHEN("a standard customer complains on Friday 16:00 Berlin") {
            const auto cmd =
                filing("c1", "cust-1", "standard", severity::medium, at("2026-11-20T15:00:00Z"));
            THEN("the berlin-office policy applies: ack 4 business hours, resolve 16") {
                // ack: Fri 16-17 (1h) + Mon 09-12 (3h) -> Mon 12:00 Berlin; warning 80% = 3h12m ->
                // Mon 11:12 resolve: 1h Fri + 8h Mon + 7h Tue -> Tue 16:00; warning 12h48m -> Tue
                // 12:48
                CHECK(when({}, cmd) ==
                      std::vector<complaint_event>{complaint_filed{
                          key("helpdesk:c1"), cid("c1"),
                          customer_ref{customer_id{"cust-1"}, "standard", usd("100")},
                          severity::medium, "email", "billing", "card", "support-emea",
                          "charged twice", policy("standard"), at("2026-11-23T11:00:00Z"),
                          at("2026-11-24T15:00:00Z"), at("2026-11-23T10:12:00Z"),
                          at("2026-11-24T11:48:00Z"), at("2026-11-20T15:00:00Z")}});
            }
        }
        WHEN("a high-value customer complains") {
            const auto cmd =
                filing("c1", "cust-1", "standard", severity::low, at("2026-11-20T15:00:00Z"), 8000);
            THEN("the intake rule for customers worth >= 5000 escalates to level 1") {
                const auto events = when({}, cmd);
                REQUIRE(events.size() == 2);
                CHECK(event_type_name(events[0]) == "ComplaintFiled");
                CHECK(events[1] ==
                      complaint_event{complaint_escalated{key("helpdesk:c1"), cid("c1"), 0, 1,
                                                          "intake", at("2026-11-20T15:00:00Z")}});
            }
        }
        WHEN("a critical complaint arrives") {
            const auto cmd =
                filing("c1", "cust-1", "standard", severity::critical, at("2026-11-20T15:00:00Z"));
            THEN("the critical policy applies and escalates at intake") {
                const auto events = when({}, cmd);
                REQUIRE(events.size() == 2);
                CHECK(std::get<complaint_filed>(events[0]).policy.id == "critical");
                CHECK(std::get<complaint_filed>(events[0]).resolve_due ==
                      at("2026-11-20T23:00:00Z"));
                CHECK(events[1] ==
                      complaint_event{complaint_escalated{key("helpdesk:c1"), cid("c1"), 0, 1,
                                                          "intake", at("2026-11-20T15:00:00Z")}});
            }
        }
    }
    GIVEN("the complaint was filed") {
        const auto history = vip_filed();
        WHEN("the same filing is redelivered") {
            THEN("nothing new happens") {
                CHECK(when(history, filing("c1", "cust-1", "vip", severity::high,
                                           at("2026-11-20T10:00:00Z")))
                          .empty());
            }
        }
        WHEN("another message files the same complaint id") {
            auto cmd = filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z"));
            cmd.key = key("other-system:77");
            THEN("it is rejected as already filed") {
                CHECK(rejected(history, cmd).code == rejection_code::already_filed);
            }
        }
    }
}

SCENARIO("filing is rejected when no policy or calendar fits", "[complaint][rejection]") {
    const auto cmd = filing("c1", "cust-1", "standard", severity::low, at("2026-11-20T15:00:00Z"));
    GIVEN("a policy book with only the VIP policy") {
        auto b = book();
        b.policies.resize(1);
        THEN("a standard customer's complaint has no matching policy") {
            const auto r = decide(b, initial_complaint_state(), cmd);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().code == rejection_code::no_matching_policy);
        }
    }
    GIVEN("a policy whose calendar does not exist") {
        auto b = book();
        b.calendars.erase("berlin-office");
        THEN("the filing names the missing calendar") {
            const auto r = decide(b, initial_complaint_state(), cmd);
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error() == rejection{rejection_code::unknown_calendar,
                                         "policy standard uses unknown calendar berlin-office"});
        }
    }
    GIVEN("a negative customer value") {
        auto bad = cmd;
        bad.customer.value = amount("-1");
        THEN("the filing is an invalid argument") {
            CHECK(rejected({}, bad).code == rejection_code::invalid_argument);
        }
    }
}

SCENARIO("acknowledging", "[complaint]") {
    GIVEN("a filed complaint") {
        WHEN("an agent acknowledges in time") {
            const acknowledge_complaint cmd{key("ack"), cid("c1"), emp("ana"),
                                            at("2026-11-20T10:05:00Z")};
            THEN("it is acknowledged") {
                CHECK(when(vip_filed(), cmd) ==
                      std::vector<complaint_event>{complaint_acknowledged{
                          key("ack"), cid("c1"), emp("ana"), at("2026-11-20T10:05:00Z")}});
            }
        }
        WHEN("an agent acknowledges after the due instant and no tick ran in between") {
            const acknowledge_complaint cmd{key("ack"), cid("c1"), emp("ana"),
                                            at("2026-11-20T10:20:00Z")};
            THEN("the warning and breach are recorded first, stamped with their own instants") {
                CHECK(
                    when(vip_filed(), cmd) ==
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
                        complaint_escalated{
                            {}, cid("c1"), 1, 2, "breach:acknowledge", at("2026-11-20T10:15:00Z")},
                        complaint_acknowledged{key("ack"), cid("c1"), emp("ana"),
                                               at("2026-11-20T10:20:00Z")}});
            }
        }
    }
    GIVEN("an acknowledged complaint") {
        WHEN("the acknowledgement is redelivered") {
            THEN("nothing new happens") {
                CHECK(when(vip_acknowledged(),
                           acknowledge_complaint{key("ack"), cid("c1"), emp("ana"),
                                                 at("2026-11-20T10:05:00Z")})
                          .empty());
            }
        }
        WHEN("another message acknowledges again") {
            THEN("it does not fit the state") {
                CHECK(rejected(vip_acknowledged(),
                               acknowledge_complaint{key("ack2"), cid("c1"), emp("bo"),
                                                     at("2026-11-20T10:06:00Z")}) ==
                      rejection{rejection_code::invalid_transition,
                                "acknowledge is not allowed while the complaint is acknowledged"});
            }
        }
    }
    GIVEN("no filing") {
        THEN("acknowledging an unknown complaint is rejected") {
            CHECK(rejected({}, acknowledge_complaint{key("ack"), cid("c9"), emp("ana"),
                                                     at("2026-11-20T10:05:00Z")})
                      .code == rejection_code::unknown_complaint);
        }
    }
}

SCENARIO("assigning", "[complaint]") {
    GIVEN("an acknowledged complaint") {
        WHEN("it is assigned") {
            const assign_complaint cmd{key("as"), cid("c1"), emp("bo"), at("2026-11-20T10:06:00Z")};
            THEN("the owner changes and investigation starts") {
                const auto h = vip_acknowledged();
                CHECK(when(h, cmd) ==
                      std::vector<complaint_event>{complaint_assigned{
                          key("as"), cid("c1"), emp("bo"), at("2026-11-20T10:06:00Z")}});
                auto s = given(h);
                s = evolve(s, when(h, cmd).front());
                CHECK(s.status == complaint_status::investigating);
                CHECK(s.owner == emp("bo"));
            }
        }
    }
    GIVEN("a resolved complaint") {
        THEN("assigning is rejected") {
            CHECK(rejected(vip_resolved(), assign_complaint{key("as"), cid("c1"), emp("bo"),
                                                            at("2026-11-20T12:00:00Z")})
                      .code == rejection_code::invalid_transition);
        }
    }
}

SCENARIO("asking the customer for information pauses the resolve clock", "[complaint]") {
    GIVEN("an acknowledged VIP complaint (resolve due 14:00, warning 13:12)") {
        auto h = vip_acknowledged();
        WHEN("the agent asks the customer at 11:00") {
            const request_customer_info cmd{key("ask"), cid("c1"), at("2026-11-20T11:00:00Z")};
            THEN("the request is recorded") {
                CHECK(when(h, cmd) == std::vector<complaint_event>{customer_info_requested{
                                          key("ask"), cid("c1"), at("2026-11-20T11:00:00Z")}});
            }
            AND_WHEN("the customer replies at 12:00") {
                for (auto& e : when(h, cmd)) h.push_back(e);
                THEN("no deadline fired during the pause") {
                    CHECK(when(h, tick{at("2026-11-20T13:59:00Z")}).empty());
                }
                THEN("the hour of pause moves both instants by an hour") {
                    CHECK(when(h, record_customer_reply{key("reply"), cid("c1"),
                                                        at("2026-11-20T12:00:00Z")}) ==
                          std::vector<complaint_event>{customer_replied{
                              key("reply"), cid("c1"), at("2026-11-20T12:00:00Z"),
                              at("2026-11-20T15:00:00Z"), at("2026-11-20T14:12:00Z")}});
                }
            }
        }
    }
    GIVEN(
        "a standard complaint filed Friday 16:00 Berlin, paused Friday 16:30, answered Monday "
        "10:00") {
        auto h = history_of(
            {filing("c1", "cust-1", "standard", severity::medium, at("2026-11-20T15:00:00Z")),
             acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-20T15:30:00Z")},
             request_customer_info{key("ask"), cid("c1"), at("2026-11-20T15:30:00Z")}});
        THEN("the business time left at the pause is counted from the reply") {
            // left at 16:30 Fri: 0.5h Fri + 8h Mon + 7h Tue = 15.5h -> from Mon 10:00: 7h Mon,
            // 8h Tue, 0.5h Wed = Wed 09:30 Berlin. Warning: 12h18m left -> Tue 14:18 Berlin.
            CHECK(when(h, record_customer_reply{key("reply"), cid("c1"),
                                                at("2026-11-23T09:00:00Z")}) ==
                  std::vector<complaint_event>{
                      customer_replied{key("reply"), cid("c1"), at("2026-11-23T09:00:00Z"),
                                       at("2026-11-25T08:30:00Z"), at("2026-11-24T13:18:00Z")}});
        }
    }
    GIVEN("a complaint still waiting for acknowledgement") {
        THEN("asking the customer is rejected") {
            CHECK(rejected(vip_filed(),
                           request_customer_info{key("ask"), cid("c1"), at("2026-11-20T10:01:00Z")})
                      .code == rejection_code::invalid_transition);
        }
    }
    GIVEN("a complaint nobody asked the customer about") {
        THEN("a customer reply is rejected") {
            CHECK(rejected(vip_acknowledged(), record_customer_reply{key("reply"), cid("c1"),
                                                                     at("2026-11-20T10:10:00Z")})
                      .code == rejection_code::invalid_transition);
        }
    }
}

SCENARIO("root cause and recovery offers", "[complaint]") {
    GIVEN("an acknowledged complaint") {
        const auto h = vip_acknowledged();
        THEN("a root cause is recorded") {
            CHECK(when(h, record_root_cause{key("rc"), cid("c1"), "duplicate-charge", emp("ana"),
                                            at("2026-11-20T10:30:00Z"), "charged twice"}) ==
                  std::vector<complaint_event>{
                      root_cause_found{key("rc"), cid("c1"), "duplicate-charge", emp("ana"),
                                       at("2026-11-20T10:30:00Z"), "charged twice"}});
        }
        THEN("a root cause without category is an invalid argument") {
            CHECK(rejected(h, record_root_cause{key("rc"), cid("c1"), "", std::nullopt,
                                                at("2026-11-20T10:30:00Z"), std::nullopt})
                      .code == rejection_code::invalid_argument);
        }
        THEN("a recovery offer is recorded, in the book's default currency when it names none") {
            CHECK(when(h, offer_recovery{key("ro"), cid("c1"), "refund", amount("25.5"),
                                         at("2026-11-20T10:40:00Z")}) ==
                  std::vector<complaint_event>{recovery_offered{
                      key("ro"), cid("c1"), "refund", usd("25.5"), at("2026-11-20T10:40:00Z")}});
        }
        THEN("an offer in another currency keeps it") {
            CHECK(when(h, offer_recovery{key("ro"), cid("c1"), "refund", amount("25.50 EUR"),
                                         at("2026-11-20T10:40:00Z")}) ==
                  std::vector<complaint_event>{recovery_offered{key("ro"), cid("c1"), "refund",
                                                                amount("25.5 EUR"),
                                                                at("2026-11-20T10:40:00Z")}});
        }
        THEN("a negative recovery value is an invalid argument") {
            CHECK(rejected(h, offer_recovery{key("ro"), cid("c1"), "refund", amount("-1"),
                                             at("2026-11-20T10:40:00Z")})
                      .code == rejection_code::invalid_argument);
        }
    }
    GIVEN("an unacknowledged complaint") {
        THEN("offering recovery is rejected") {
            CHECK(rejected(vip_filed(), offer_recovery{key("ro"), cid("c1"), "refund", amount("10"),
                                                       at("2026-11-20T10:01:00Z")})
                      .code == rejection_code::invalid_transition);
        }
    }
    GIVEN("a withdrawn complaint") {
        auto h = vip_filed();
        h.push_back(
            complaint_withdrawn{key("w"), cid("c1"), "duplicate", at("2026-11-20T10:01:00Z")});
        THEN("a root cause is rejected") {
            CHECK(rejected(h, record_root_cause{key("rc"), cid("c1"), "x", std::nullopt,
                                                at("2026-11-20T10:30:00Z"), std::nullopt})
                      .code == rejection_code::invalid_transition);
        }
    }
}

SCENARIO("resolving starts the bounce-back window", "[complaint]") {
    GIVEN("an acknowledged complaint") {
        THEN("resolving records the bounce-back due instant in calendar time") {
            CHECK(when(vip_acknowledged(), resolve_complaint{key("res"), cid("c1"), emp("ana"),
                                                             at("2026-11-20T11:00:00Z")}) ==
                  std::vector<complaint_event>{complaint_resolved{
                      key("res"), cid("c1"), emp("ana"), at("2026-11-20T11:00:00Z"),
                      at("2026-12-04T11:00:00Z"), at("2026-12-01T15:48:00Z")}});
        }
    }
    GIVEN("an unacknowledged complaint") {
        THEN("resolving is rejected") {
            CHECK(rejected(vip_filed(), resolve_complaint{key("res"), cid("c1"), emp("ana"),
                                                          at("2026-11-20T10:01:00Z")})
                      .code == rejection_code::invalid_transition);
        }
    }
}

SCENARIO("reopening", "[complaint]") {
    GIVEN("a complaint resolved on 2026-11-20 11:00") {
        auto h = vip_resolved();
        WHEN("the customer reopens it two days later") {
            const reopen_complaint cmd{key("re1"), cid("c1"), "still charged",
                                       at("2026-11-22T10:00:00Z")};
            THEN("the resolve clock starts again") {
                CHECK(when(h, cmd) ==
                      std::vector<complaint_event>{complaint_reopened{
                          key("re1"), cid("c1"), "still charged", 1, at("2026-11-22T10:00:00Z"),
                          at("2026-11-22T14:00:00Z"), at("2026-11-22T13:12:00Z")}});
            }
            AND_WHEN("it is resolved and reopened a second time") {
                for (auto& e : when(h, cmd)) h.push_back(e);
                for (auto& e : when(h, resolve_complaint{key("res2"), cid("c1"), emp("ana"),
                                                         at("2026-11-22T11:00:00Z")}))
                    h.push_back(e);
                THEN("the second reopen escalates per the policy") {
                    CHECK(when(h, reopen_complaint{key("re2"), cid("c1"), "again",
                                                   at("2026-11-22T12:00:00Z")}) ==
                          std::vector<complaint_event>{
                              complaint_reopened{
                                  key("re2"), cid("c1"), "again", 2, at("2026-11-22T12:00:00Z"),
                                  at("2026-11-22T16:00:00Z"), at("2026-11-22T15:12:00Z")},
                              complaint_escalated{key("re2"), cid("c1"), 0, 3, "reopen",
                                                  at("2026-11-22T12:00:00Z")}});
                }
            }
        }
        WHEN("the customer tries to reopen after the 30-day window") {
            THEN("the reopen is rejected") {
                CHECK(rejected(h, reopen_complaint{key("re1"), cid("c1"), "late",
                                                   at("2026-12-21T11:00:01Z")})
                          .code == rejection_code::reopen_window_closed);
            }
        }
    }
    GIVEN("an open complaint") {
        THEN("reopening is rejected") {
            CHECK(rejected(vip_acknowledged(),
                           reopen_complaint{key("re"), cid("c1"), "?", at("2026-11-20T10:30:00Z")})
                      .code == rejection_code::invalid_transition);
        }
    }
}

SCENARIO("manual escalation", "[complaint]") {
    GIVEN("a filed complaint at level 0") {
        THEN("a manual escalation climbs one level when the policy has no manual rule") {
            CHECK(
                when(vip_filed(), request_escalation{key("esc"), cid("c1"), "customer on the phone",
                                                     at("2026-11-20T10:01:00Z")}) ==
                std::vector<complaint_event>{complaint_escalated{key("esc"), cid("c1"), 0, 1,
                                                                 "manual: customer on the phone",
                                                                 at("2026-11-20T10:01:00Z")}});
        }
    }
    GIVEN("a complaint already at the highest level") {
        auto h = vip_filed();
        h.push_back(
            complaint_escalated{key("x"), cid("c1"), 0, 3, "manual", at("2026-11-20T10:01:00Z")});
        THEN("another escalation is rejected, the level never goes down") {
            CHECK(rejected(h, request_escalation{key("esc"), cid("c1"), "again",
                                                 at("2026-11-20T10:02:00Z")}) ==
                  rejection{rejection_code::invalid_transition, "escalation level is already 3"});
        }
    }
}

SCENARIO("withdrawing", "[complaint]") {
    GIVEN("a filed complaint") {
        THEN("withdrawing ends it") {
            CHECK(when(vip_filed(), withdraw_complaint{key("w"), cid("c1"), "filed twice",
                                                       at("2026-11-20T10:01:00Z")}) ==
                  std::vector<complaint_event>{complaint_withdrawn{
                      key("w"), cid("c1"), "filed twice", at("2026-11-20T10:01:00Z")}});
        }
    }
    GIVEN("a withdrawn complaint") {
        auto h = vip_filed();
        h.push_back(
            complaint_withdrawn{key("w"), cid("c1"), "filed twice", at("2026-11-20T10:01:00Z")});
        THEN("withdrawing again is rejected") {
            CHECK(rejected(
                      h, withdraw_complaint{key("w2"), cid("c1"), "?", at("2026-11-20T10:02:00Z")})
                      .code == rejection_code::invalid_transition);
        }
        THEN("no deadline fires any more") {
            CHECK(when(h, tick{at("2026-12-31T00:00:00Z")}).empty());
        }
    }
}

SCENARIO("nothing happens to a complaint before it was filed", "[complaint][time]") {
    GIVEN("a complaint filed on 2026-11-20 10:00") {
        const auto h =
            history_of({filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z"))});
        THEN("an acknowledgement stamped an hour earlier is refused with the reason") {
            const auto r = rejected(h, acknowledge_complaint{key("ack"), cid("c1"), emp("ana"),
                                                             at("2026-11-20T09:00:00Z")});
            CHECK(r.code == rejection_code::invalid_argument);
            CHECK(r.detail == "time is before the complaint was filed");
        }
        THEN("so are a resolution and a withdrawal") {
            CHECK(rejected(h, resolve_complaint{key("r"), cid("c1"), emp("ana"),
                                                at("2026-11-19T10:00:00Z")})
                      .code == rejection_code::invalid_argument);
            CHECK(rejected(h,
                           withdraw_complaint{key("w"), cid("c1"), "?", at("2026-11-20T09:59:59Z")})
                      .code == rejection_code::invalid_argument);
        }
        THEN("at the filing instant itself it is accepted") {
            CHECK(when(h, acknowledge_complaint{key("ack"), cid("c1"), emp("ana"),
                                                at("2026-11-20T10:00:00Z")})
                      .size() == 1);
        }
        THEN("a customer's earlier activity is not about this complaint: no effect, no refusal") {
            CHECK(when(h, record_customer_activity{key("buy"), cid("c1"), activity_kind::purchase,
                                                   std::nullopt, at("2026-11-19T10:00:00Z")})
                      .empty());
        }
    }
}

SCENARIO("the customer bounces back, or does not", "[complaint][bounce-back]") {
    GIVEN("a complaint resolved on 2026-11-20 11:00 (window until 2026-12-04 11:00)") {
        const auto h = vip_resolved();
        THEN("a purchase within the window is a bounce-back, with what was spent") {
            CHECK(when(h, record_customer_activity{key("buy"), cid("c1"), activity_kind::purchase,
                                                   amount("30"), at("2026-11-25T09:00:00Z")}) ==
                  std::vector<complaint_event>{
                      customer_bounced_back{key("buy"), cid("c1"), "purchase", std::nullopt,
                                            at("2026-11-25T09:00:00Z"), usd("30")}});
        }
        THEN("a survey of 7 or more is a bounce-back") {
            CHECK(
                when(h, record_survey{key("sv"), cid("c1"), 9, at("2026-11-21T09:00:00Z")}) ==
                std::vector<complaint_event>{customer_bounced_back{
                    key("sv"), cid("c1"), "survey", 9, at("2026-11-21T09:00:00Z"), std::nullopt}});
        }
        THEN("a survey of 4 or less is lost and escalates to win-back") {
            CHECK(when(h, record_survey{key("sv"), cid("c1"), 2, at("2026-11-21T09:00:00Z")}) ==
                  std::vector<complaint_event>{
                      bounce_back_missed{key("sv"), cid("c1"), "negative_survey", 2,
                                         at("2026-11-21T09:00:00Z")},
                      complaint_escalated{key("sv"), cid("c1"), 0, 1, "bounce_back_missed",
                                          at("2026-11-21T09:00:00Z")}});
        }
        THEN("activity or a survey from before the resolution, arriving late, is no bounce-back") {
            CHECK(when(h, record_customer_activity{key("buy"), cid("c1"), activity_kind::purchase,
                                                   amount("30"), at("2026-11-20T10:30:00Z")})
                      .empty());
            CHECK(when(h, record_survey{key("sv"), cid("c1"), 9, at("2026-11-20T10:59:00Z")})
                      .empty());
        }
        THEN("a signal of another customer naming this complaint is refused, the owner's taken") {
            record_survey theirs{key("sv"), cid("c1"), 9, at("2026-11-21T09:00:00Z")};
            theirs.customer = customer_id{"cust-2"};
            CHECK(rejected(h, theirs) ==
                  rejection{rejection_code::invalid_argument,
                            "complaint c1 is not a complaint of customer cust-2"});
            record_customer_activity bought{key("buy"), cid("c1"), activity_kind::purchase,
                                            amount("30"), at("2026-11-25T09:00:00Z")};
            bought.customer = customer_id{"cust-2"};
            CHECK(rejected(h, bought).code == rejection_code::invalid_argument);
            bought.customer = customer_id{"cust-1"};
            CHECK(when(h, bought).size() == 1);
        }
        THEN("a neutral survey changes nothing") {
            CHECK(when(h, record_survey{key("sv"), cid("c1"), 5, at("2026-11-21T09:00:00Z")})
                      .empty());
        }
        THEN("a survey score outside 0..10 is an invalid argument") {
            CHECK(rejected(h, record_survey{key("sv"), cid("c1"), 11, at("2026-11-21T09:00:00Z")})
                      .code == rejection_code::invalid_argument);
        }
        THEN("closing the account is lost and escalates") {
            CHECK(when(h, record_customer_activity{key("close"), cid("c1"),
                                                   activity_kind::account_closed, std::nullopt,
                                                   at("2026-11-22T09:00:00Z")}) ==
                  std::vector<complaint_event>{
                      bounce_back_missed{key("close"), cid("c1"), "account_closed", std::nullopt,
                                         at("2026-11-22T09:00:00Z")},
                      complaint_escalated{key("close"), cid("c1"), 0, 1, "bounce_back_missed",
                                          at("2026-11-22T09:00:00Z")}});
        }
        THEN("a purchase after the window is too late: the miss is recorded at the window's end") {
            CHECK(
                when(h, record_customer_activity{key("buy"), cid("c1"), activity_kind::purchase,
                                                 std::nullopt, at("2026-12-05T09:00:00Z")}) ==
                std::vector<complaint_event>{
                    sla_warning_raised{{},
                                       cid("c1"),
                                       sla_target::bounce_back,
                                       at("2026-12-04T11:00:00Z"),
                                       at("2026-12-01T15:48:00Z")},
                    complaint_escalated{
                        {}, cid("c1"), 0, 1, "warning:bounce_back", at("2026-12-01T15:48:00Z")},
                    bounce_back_missed{
                        {}, cid("c1"), "window_elapsed", std::nullopt, at("2026-12-04T11:00:00Z")},
                    complaint_escalated{
                        {}, cid("c1"), 1, 2, "bounce_back_missed", at("2026-12-04T11:00:00Z")}});
        }
    }
    GIVEN("an open complaint") {
        THEN("customer activity means nothing yet") {
            CHECK(when(vip_acknowledged(),
                       record_customer_activity{key("buy"), cid("c1"), activity_kind::visit,
                                                std::nullopt, at("2026-11-20T10:30:00Z")})
                      .empty());
        }
    }
    GIVEN("a recovered complaint") {
        auto h = vip_resolved();
        h.push_back(customer_bounced_back{key("buy"), cid("c1"), "purchase", std::nullopt,
                                          at("2026-11-25T09:00:00Z"), std::nullopt});
        THEN("it cannot be reopened") {
            CHECK(
                rejected(h, reopen_complaint{key("re"), cid("c1"), "?", at("2026-11-26T09:00:00Z")})
                    .code == rejection_code::invalid_transition);
        }
    }
}

SCENARIO("a complaint keeps the calendar it was filed under", "[complaint][calendar]") {
    // Filed Friday 2026-11-20 16:00 Berlin under berlin-office (Mon-Fri 09-17); waiting for the
    // customer from Monday 10:00 to Monday 12:00.
    const auto log = history_of(
        {filing("c1", "cust-1", "standard", severity::medium, at("2026-11-20T15:00:00Z")),
         acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-23T08:30:00Z")},
         request_customer_info{key("info"), cid("c1"), at("2026-11-23T09:00:00Z")}});
    const record_customer_reply reply{key("reply"), cid("c1"), at("2026-11-23T11:00:00Z")};
    const auto as_filed = when(log, reply);
    REQUIRE(as_filed.size() == 1);
    GIVEN("the configured calendar loses its Monday and gains a holiday after the filing") {
        auto edited = book();
        for (auto& [id, cal] : edited.calendars) {
            cal.weekly[1].clear();
            cal.holidays.insert(date::local_days{date::year{2026} / 11 / 24});
        }
        THEN("the reply moves the due instants as the calendar it was filed under says") {
            const auto d = decide(edited, given(log), complaint_command{reply});
            REQUIRE(d.has_value());
            CHECK(*d == as_filed);
        }
    }
    GIVEN("the calendar is deleted from the configuration") {
        auto without = book();
        without.calendars.clear();
        THEN("a reply and a reopen still work: the calendar is in the filing") {
            const auto d = decide(without, given(log), complaint_command{reply});
            REQUIRE(d.has_value());
            CHECK(*d == as_filed);
        }
    }
    GIVEN("a filing stored before calendars were recorded") {
        auto old = log;
        std::get<complaint_filed>(old[0]).policy.calendar_as_applied.reset();
        THEN("the configured calendar of that name is used, as before") {
            auto edited = book();
            edited.calendars.at("berlin-office").weekly[1].clear();
            const auto d = decide(edited, given(old), complaint_command{reply});
            REQUIRE(d.has_value());
            CHECK(*d != as_filed);
            auto none = book();
            none.calendars.clear();
            CHECK(decide(none, given(old), complaint_command{reply}).error().code ==
                  rejection_code::unknown_calendar);
        }
    }
}
