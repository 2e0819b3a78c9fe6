#include "domain/compliment.hpp"
#include "domain/prevention.hpp"
#include "tests/domain/fixtures.hpp"

using namespace bb;
using namespace bb::test;

SCENARIO("compliments are recorded once", "[compliment]") {
    const receive_compliment cmd{key("survey:9"),
                                 compliment_id{"k1"},
                                 customer_id{"cust-1"},
                                 {emp("ana"), emp("bo")},
                                 "survey",
                                 "Ana fixed it in an hour",
                                 cid("c1"),
                                 at("2026-11-21T09:00:00Z")};
    const compliment_received recorded{key("survey:9"),
                                       compliment_id{"k1"},
                                       customer_id{"cust-1"},
                                       {emp("ana"), emp("bo")},
                                       "survey",
                                       "Ana fixed it in an hour",
                                       cid("c1"),
                                       at("2026-11-21T09:00:00Z")};
    GIVEN("no compliment yet") {
        THEN("it is received") {
            CHECK(decide(initial_compliment_state(), cmd).value() == std::vector{recorded});
        }
        THEN("a compliment without customer is an invalid argument") {
            auto bad = cmd;
            bad.customer = customer_id{};
            CHECK(decide(initial_compliment_state(), bad).error().code ==
                  rejection_code::invalid_argument);
        }
    }
    GIVEN("the compliment was received") {
        const auto s = evolve(initial_compliment_state(), recorded);
        THEN("a redelivery changes nothing") {
            CHECK(decide(s, cmd).value().empty());
        }
        THEN("another message reusing the id is rejected") {
            auto other = cmd;
            other.key = key("crm:1");
            CHECK(decide(s, other).error().code == rejection_code::already_recorded);
        }
    }
}

SCENARIO("prevention actions are recorded once", "[prevention]") {
    const record_prevention_action cmd{key("ops:1"),       action_id{"p1"},
                                       "duplicate-charge", "idempotent payment retries",
                                       "payments-team",    at("2026-11-01T00:00:00Z")};
    const prevention_action_recorded recorded{key("ops:1"),       action_id{"p1"},
                                              "duplicate-charge", "idempotent payment retries",
                                              "payments-team",    at("2026-11-01T00:00:00Z")};
    GIVEN("no action yet") {
        THEN("it is recorded") {
            CHECK(decide(initial_prevention_state(), cmd).value() == std::vector{recorded});
        }
        THEN("an action without category is an invalid argument") {
            auto bad = cmd;
            bad.category.clear();
            CHECK(decide(initial_prevention_state(), bad).error().code ==
                  rejection_code::invalid_argument);
        }
    }
    GIVEN("the action was recorded") {
        const auto s = evolve(initial_prevention_state(), recorded);
        THEN("a redelivery changes nothing") {
            CHECK(decide(s, cmd).value().empty());
        }
        THEN("another message reusing the id is rejected") {
            auto other = cmd;
            other.key = key("ops:2");
            CHECK(decide(s, other).error().code == rejection_code::already_recorded);
        }
    }
}
