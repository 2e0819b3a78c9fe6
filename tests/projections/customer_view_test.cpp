#include <algorithm>

#include <catch2/catch.hpp>

#include "projections/customer_view.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/projections/scenario.hpp"

using namespace bb;
using namespace bb::test;
using namespace bb::projection;

namespace {

std::vector<std::string> ids(const customer_view& v) {
    std::vector<std::string> out;
    for (const auto& c : v.complaints) out.push_back(c.id);
    return out;
}

std::vector<std::string> codes(const customer_view& v) {
    std::vector<std::string> out;
    for (const auto& r : v.reasons) out.push_back(r.code);
    return out;
}

}  // namespace

SCENARIO("a customer's page: complaints, compliments, bounce-backs and churn risk",
         "[projections][customer]") {
    // See tests/projections/scenario.cpp: cust-1 has c1 (recovered, frozen) and c3 (open, its
    // acknowledgement warned); cust-2 has c2 (both targets breached, then lost); cust-3 has c4
    // (resolved, waiting for the bounce-back) and compliment k2.
    const auto m = scenario();
    const auto now = at("2026-11-23T12:00:00Z");
    GIVEN("a customer with a recovered complaint, an open one and a compliment") {
        const auto v = view_customer(m, "cust-1", now);
        REQUIRE(v);
        THEN("the newest complaint comes first, each with its clocks and bounce-back") {
            CHECK(ids(*v) == std::vector<std::string>{"c3", "c1"});
            const auto& c3 = v->complaints[0];
            CHECK(c3.state.status == complaint_status::received);
            CHECK(c3.acknowledge == clock_state::at_risk);
            CHECK(c3.resolve == clock_state::pending);
            CHECK_FALSE(c3.open_breach);
            CHECK(c3.bounce_back == bounce_back_state::not_yet);
            const auto& c1 = v->complaints[1];  // thawed from its frozen row
            CHECK(c1.state.status == complaint_status::recovered);
            CHECK(c1.acknowledge == clock_state::met);
            CHECK(c1.resolve == clock_state::met);
            CHECK(c1.bounce_back == bounce_back_state::recovered);
            CHECK(c1.state.owner == emp("ana"));
        }
        THEN("the segment and value are the newest complaint's; the counts add up") {
            CHECK(v->segment == "standard");
            CHECK(v->lifetime_value.amount == 4000 * 10000);
            CHECK(v->open == 1);
            CHECK(v->recovered == 1);
            CHECK(v->lost == 0);
            REQUIRE(v->compliments.size() == 1);
            CHECK(v->compliments[0].id == compliment_id{"k1"});
        }
        THEN("coming back and a recent compliment make the risk none") {
            CHECK(codes(*v) == std::vector<std::string>{"compliment", "came_back"});
            CHECK(v->churn_score == -3);
            CHECK(v->churn == churn_level::none);
        }
    }
    GIVEN("a customer lost after two breaches") {
        const auto v = view_customer(m, "cust-2", now);
        REQUIRE(v);
        THEN("the breaches and the loss show, and the risk is medium") {
            REQUIRE(ids(*v) == std::vector<std::string>{"c2"});
            CHECK(v->complaints[0].acknowledge == clock_state::breached);
            CHECK(v->complaints[0].resolve == clock_state::breached);
            CHECK_FALSE(v->complaints[0].open_breach);  // settled: nothing open
            CHECK(v->complaints[0].bounce_back == bounce_back_state::lost);
            CHECK(v->lost == 1);
            CHECK(codes(*v) == std::vector<std::string>{"lost"});
            CHECK(v->churn_score == 2);
            CHECK(v->churn == churn_level::medium);
        }
    }
    GIVEN("a customer whose resolved complaint waits for the bounce-back") {
        const auto v = view_customer(m, "cust-3", now);
        REQUIRE(v);
        THEN("it is waiting, due when the window closes") {
            REQUIRE(ids(*v) == std::vector<std::string>{"c4"});
            CHECK(v->complaints[0].bounce_back == bounce_back_state::waiting);
            CHECK(v->complaints[0].bounce_back_due == at("2026-12-01T14:00:00Z"));
            CHECK(v->complaints[0].root_cause == "billing");
            CHECK(v->waiting == 1);
        }
        THEN("a compliment older than 90 days no longer counts") {
            const auto later = view_customer(m, "cust-3", at("2027-03-01T00:00:00Z"));
            REQUIRE(later);
            CHECK(codes(*later).empty());
            CHECK(later->churn == churn_level::none);
        }
    }
    GIVEN("a customer with an open complaint past its target, after a loss") {
        auto more = m;
        std::int64_t pos = more.position;
        for (const auto& e : history_of(
                 {filing("c5", "cust-2", "vip", severity::high, at("2026-11-23T09:00:00Z"), 3000),
                  tick{at("2026-11-23T10:00:00Z")}}))
            apply_in_place(more, {++pos, event_time(e), e});
        const auto v = view_customer(more, "cust-2", now);
        REQUIRE(v);
        THEN("the open breach comes first and the risk is high") {
            CHECK(ids(*v) == std::vector<std::string>{"c5", "c2"});
            CHECK(v->complaints[0].open_breach);
            CHECK(v->complaints[0].acknowledge == clock_state::breached);
            CHECK(v->open_breaches == 1);
            REQUIRE(v->reasons.size() >= 2);
            CHECK(v->reasons[0].weight == 2);
            CHECK(std::ranges::count(codes(*v), "open_breach") == 1);
            CHECK(std::ranges::count(codes(*v), "lost") == 1);
            CHECK(v->churn_score >= 4);
            CHECK(v->churn == churn_level::high);
        }
    }
    GIVEN("ids that are not customers") {
        THEN("an unknown one has no page, and an employee's name in the pool matches no row") {
            CHECK_FALSE(view_customer(m, "nobody", now));
            CHECK_FALSE(view_customer(m, "ana", now));
            CHECK_FALSE(view_customer(m, "billing", now));
        }
    }
}
