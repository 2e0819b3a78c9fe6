// whatif: the stored facts decided again under other policies.
#include <catch2/catch.hpp>

#include "handlers/whatif.hpp"
#include "tests/domain/fixtures.hpp"

using namespace bb;
using namespace bb::test;

namespace {

// A standard customer's complaint, Friday 2026-11-20 16:00 Berlin (berlin-office: ack PT4H,
// due Monday 12:00 Berlin), acknowledged Monday 14:00 Berlin (breached), a customer reply, a
// manual escalation, resolved Tuesday, a purchase after.
std::vector<complaint_event> late_ack() {
    return history_of(
        {filing("c1", "cust-1", "standard", severity::medium, at("2026-11-20T15:00:00Z")),
         tick{at("2026-11-23T12:00:00Z")},
         acknowledge_complaint{key("ack"), cid("c1"), emp("ana"), at("2026-11-23T13:00:00Z")},
         request_customer_info{key("ask"), cid("c1"), at("2026-11-23T13:30:00Z")},
         record_customer_reply{key("rep"), cid("c1"), at("2026-11-23T14:00:00Z")},
         request_escalation{key("esc"), cid("c1"), "angry", at("2026-11-23T14:30:00Z")},
         resolve_complaint{key("res"), cid("c1"), emp("ana"), at("2026-11-24T10:00:00Z")},
         record_customer_activity{key("buy"), cid("c1"), activity_kind::purchase, amount("40"),
                                  at("2026-11-26T10:00:00Z"), customer_id{"cust-1"}}});
}

const auto horizon = at("2026-12-01T00:00:00Z");

}  // namespace

TEST_CASE("the facts of a stream are the commands people gave, not the deadlines",
          "[handlers][whatif]") {
    const auto facts = whatif::facts_of(late_ack());
    REQUIRE(facts.size() == 7);  // the tick's breach is not among them
    CHECK(std::holds_alternative<file_complaint>(facts[0]));
    CHECK(std::holds_alternative<acknowledge_complaint>(facts[1]));
    const auto* esc = std::get_if<request_escalation>(&facts[4]);
    REQUIRE(esc != nullptr);
    CHECK(esc->reason == "angry");
    CHECK(std::holds_alternative<record_customer_activity>(facts[6]));
}

TEST_CASE("under the same policies nothing changes", "[handlers][whatif]") {
    const auto c = whatif::rerun(book(), late_ack(), horizon);
    CHECK_FALSE(c.changed());
    CHECK(c.before.acknowledge == "breached");
    CHECK(c.before.resolve == "met");
    CHECK(c.before.status == "recovered");
}

TEST_CASE("a longer acknowledgement target turns the breach into a met target",
          "[handlers][whatif]") {
    auto longer = book();
    for (auto& p : longer.policies)
        if (p.id == "standard") {
            p.acknowledge = std::chrono::hours{8};
            p.version = 2;
        }
    const auto c = whatif::rerun(longer, late_ack(), horizon);
    CHECK(c.changed());
    CHECK(c.before.acknowledge == "breached");
    CHECK(c.after.acknowledge == "met");
    CHECK(c.after.policy == "standard@2");
    CHECK(c.before.policy == "standard@1");
    // The manual escalation is a fact and is kept; the breach's escalation is not decided again.
    CHECK(c.after.escalation_level >= 1);

    whatif::totals t;
    whatif::add(t, c);
    whatif::add(t, whatif::rerun(book(), late_ack(), horizon));
    CHECK(t.complaints == 2);
    CHECK(t.changed == 1);
    CHECK(t.before.at("acknowledge:breached") == 2);
    CHECK(t.after.at("acknowledge:breached") == 1);
    CHECK(t.after.at("acknowledge:met") == 1);
}

TEST_CASE("facts the new policies refuse are named", "[handlers][whatif]") {
    policy_book none = book();
    none.policies.clear();
    const auto c = whatif::rerun(none, late_ack(), horizon);
    REQUIRE(c.refused.has_value());
    CHECK(c.refused->code == rejection_code::no_matching_policy);
    CHECK(c.after.status == "unfiled");
}

TEST_CASE("a helpdesk snapshot's steps are facts each, under keys of their own",
          "[handlers][whatif]") {
    auto filing_cmd =
        test::filing("t1", "cust-2", "vip", severity::high, at("2026-11-20T10:00:00Z"));
    const auto log =
        history_of({sync_ticket{key("desk/d1"), cid("t1"), filing_cmd, ticket_status::solved,
                                std::nullopt, at("2026-11-20T12:00:00Z")}});
    const auto facts = whatif::facts_of(log);
    REQUIRE(facts.size() == 3);  // filed, acknowledged, resolved
    CHECK(command_key(facts[0]) == key("desk/d1"));
    CHECK(command_key(facts[1]) == key("desk/d1#1"));
    CHECK(command_key(facts[2]) == key("desk/d1#2"));
    const auto c = whatif::rerun(book(), log, horizon);
    CHECK_FALSE(c.changed());
    CHECK(c.after.status == "resolved");
    CHECK(c.after.acknowledge == "breached");  // acknowledged two hours after, on a PT15M target
}
