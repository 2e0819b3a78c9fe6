// Helpdesk snapshots: a ticket as it is now becomes the steps that happened since the last one.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include "tests/domain/fixtures.hpp"

using namespace bb;
using namespace bb::test;
using namespace std::chrono_literals;

namespace {

// Ticket c1 of VIP customer cust-1, high severity: the vip-urgent policy (24x7, acknowledge
// PT15M with a warning at 10:12, resolve PT4H, reopen within P30D), created 2026-11-20 10:00.
sync_ticket snapshot(std::string k, ticket_status status, std::optional<std::string> owner,
                     std::string_view when) {
    auto filing = test::filing("c1", "cust-1", "vip", severity::high, at("2026-11-20T10:00:00Z"));
    return sync_ticket{key(std::move(k)),
                       cid("c1"),
                       filing,
                       status,
                       owner ? std::optional{emp(*owner)} : std::nullopt,
                       at(when)};
}

std::vector<std::string_view> types(const std::vector<complaint_event>& events) {
    std::vector<std::string_view> out;
    for (const auto& e : events) out.push_back(event_type_name(e));
    return out;
}

// The log after each snapshot in turn; every one must be accepted.
std::vector<complaint_event> synced(const std::vector<sync_ticket>& snapshots) {
    std::vector<complaint_event> log;
    for (const auto& s : snapshots) {
        const auto more = when(log, s);
        log.insert(log.end(), more.begin(), more.end());
    }
    return log;
}

using v = std::vector<std::string_view>;

}  // namespace

SCENARIO("the first snapshot of a ticket files the complaint", "[complaint][sync]") {
    GIVEN("no complaint c1") {
        WHEN("an open, unassigned ticket arrives") {
            const auto events =
                when({}, snapshot("d1", ticket_status::open, std::nullopt, "2026-11-20T10:00:00Z"));
            THEN("the complaint is filed at the ticket's creation, and nothing else happens") {
                REQUIRE(types(events) == v{"ComplaintFiled"});
                const auto& filed = std::get<complaint_filed>(events[0]);
                CHECK(filed.at == at("2026-11-20T10:00:00Z"));
                CHECK(filed.key == key("d1"));
                CHECK(filed.policy.id == "vip-urgent");
            }
        }
        WHEN("the ticket already has an agent") {
            const auto events =
                when({}, snapshot("d1", ticket_status::open, "ana", "2026-11-20T10:05:00Z"));
            THEN("the agent acknowledged it when the helpdesk says it changed") {
                REQUIRE(types(events) == v{"ComplaintFiled", "ComplaintAcknowledged"});
                const auto& ack = std::get<complaint_acknowledged>(events[1]);
                CHECK(ack.employee == emp("ana"));
                CHECK(ack.at == at("2026-11-20T10:05:00Z"));
            }
        }
        WHEN("the ticket arrives already solved, never assigned, two hours after its creation") {
            const auto events = when(
                {}, snapshot("d1", ticket_status::solved, std::nullopt, "2026-11-20T12:00:00Z"));
            THEN("the implied steps are issued, and the deadlines that fell due on the way fire") {
                CHECK(types(events) == v{"ComplaintFiled", "SlaWarningRaised", "ComplaintEscalated",
                                         "SlaBreached", "ComplaintEscalated",
                                         "ComplaintAcknowledged", "ComplaintResolved"});
                const auto& resolved = std::get<complaint_resolved>(events.back());
                CHECK(resolved.employee == unassigned_agent());
                CHECK(resolved.at == at("2026-11-20T12:00:00Z"));
                CHECK(given(events).status == complaint_status::resolved);
            }
        }
        WHEN("the ticket says it changed before it was created") {
            const auto r = rejected(
                {}, snapshot("d1", ticket_status::open, std::nullopt, "2026-11-20T09:00:00Z"));
            THEN("it is refused, naming why") {
                CHECK(r.code == rejection_code::invalid_argument);
                CHECK(r.detail == "the ticket's update is before its creation");
            }
        }
    }
}

SCENARIO("later snapshots become the steps that happened", "[complaint][sync]") {
    GIVEN("a ticket filed and assigned to ana") {
        const auto log =
            synced({snapshot("d1", ticket_status::open, "ana", "2026-11-20T10:05:00Z")});
        WHEN("the agent waits for the customer, the customer answers, the agent solves it") {
            const auto pending =
                when(log, snapshot("d2", ticket_status::pending, "ana", "2026-11-20T10:30:00Z"));
            auto after = log;
            after.insert(after.end(), pending.begin(), pending.end());
            const auto replied =
                when(after, snapshot("d3", ticket_status::open, "ana", "2026-11-20T11:30:00Z"));
            after.insert(after.end(), replied.begin(), replied.end());
            const auto solved =
                when(after, snapshot("d4", ticket_status::solved, "ana", "2026-11-20T12:00:00Z"));
            after.insert(after.end(), solved.begin(), solved.end());
            THEN("the resolve clock pauses and resumes, and ana resolves it") {
                CHECK(types(pending) == v{"CustomerInfoRequested"});
                REQUIRE(types(replied) == v{"CustomerReplied"});
                // An hour paused: resolve due 14:00 moves to 15:00.
                CHECK(std::get<customer_replied>(replied[0]).resolve_due ==
                      at("2026-11-20T15:00:00Z"));
                REQUIRE(types(solved) == v{"ComplaintResolved"});
                CHECK(std::get<complaint_resolved>(solved[0]).employee == emp("ana"));
                CHECK(given(after).status == complaint_status::resolved);
            }
        }
        WHEN("the ticket moves to another agent") {
            const auto events =
                when(log, snapshot("d2", ticket_status::open, "bo", "2026-11-20T10:40:00Z"));
            THEN("it is assigned to them") {
                REQUIRE(types(events) == v{"ComplaintAssigned"});
                CHECK(std::get<complaint_assigned>(events[0]).employee == emp("bo"));
            }
        }
        WHEN("the same snapshot comes again under another delivery id") {
            const auto events =
                when(log, snapshot("d9", ticket_status::open, "ana", "2026-11-20T10:05:00Z"));
            THEN("nothing changed, so nothing happens") {
                CHECK(events.empty());
            }
        }
        WHEN("the same delivery is redelivered") {
            const auto events =
                when(log, snapshot("d1", ticket_status::solved, "ana", "2026-11-20T11:00:00Z"));
            THEN("its idempotency key already took effect") {
                CHECK(events.empty());
            }
        }
        WHEN("the helpdesk deletes the ticket") {
            const auto events =
                when(log, snapshot("d2", ticket_status::withdrawn, "ana", "2026-11-20T10:40:00Z"));
            THEN("the complaint is withdrawn") {
                CHECK(types(events) == v{"ComplaintWithdrawn"});
            }
        }
    }
    GIVEN("a ticket solved at 12:00") {
        const auto log =
            synced({snapshot("d1", ticket_status::open, "ana", "2026-11-20T10:05:00Z"),
                    snapshot("d2", ticket_status::solved, "ana", "2026-11-20T12:00:00Z")});
        WHEN("a snapshot from 11:00 (open) arrives late, out of order") {
            const auto events =
                when(log, snapshot("d0", ticket_status::open, "ana", "2026-11-20T11:00:00Z"));
            THEN("it is stale and changes nothing") {
                CHECK(events.empty());
            }
        }
        WHEN("the customer writes again and the ticket is open a day later") {
            const auto events =
                when(log, snapshot("d3", ticket_status::open, "ana", "2026-11-21T12:00:00Z"));
            THEN("the complaint is reopened") {
                REQUIRE(types(events) == v{"ComplaintReopened"});
                CHECK(std::get<complaint_reopened>(events[0]).reason == "reopened in the helpdesk");
            }
        }
        WHEN("another agent takes the ticket up again a day later") {
            const auto events =
                when(log, snapshot("d3", ticket_status::open, "bo", "2026-11-21T12:00:00Z"));
            THEN("it is reopened, then assigned to them") {
                REQUIRE(types(events) == v{"ComplaintReopened", "ComplaintAssigned"});
                CHECK(std::get<complaint_assigned>(events[1]).employee == emp("bo"));
            }
        }
        WHEN("the ticket is set pending a day later") {
            const auto events =
                when(log, snapshot("d3", ticket_status::pending, "ana", "2026-11-21T12:00:00Z"));
            THEN("it is reopened, then waits for the customer") {
                CHECK(types(events) == v{"ComplaintReopened", "CustomerInfoRequested"});
            }
        }
        WHEN("the ticket is reopened after the policy's reopen window (P30D)") {
            const auto r =
                rejected(log, snapshot("d3", ticket_status::open, "ana", "2026-12-21T13:00:00Z"));
            THEN("the sender is told the window closed") {
                CHECK(r.code == rejection_code::reopen_window_closed);
            }
        }
    }
}

// Whatever order of snapshots a helpdesk sends (each later than the one before, minutes apart),
// the complaint ends where the last snapshot says the ticket is, unless it was withdrawn before.
TEST_CASE("a complaint follows its ticket's last snapshot", "[complaint][sync][property]") {
    rc::prop("the complaint's status matches the last snapshot", [] {
        const auto steps = *rc::gen::container<std::vector<std::pair<int, int>>>(
            rc::gen::pair(rc::gen::inRange(0, 4), rc::gen::inRange(1, 180)));
        const auto owners = std::vector<std::optional<std::string>>{std::nullopt, "ana", "bo"};
        std::vector<complaint_event> log;
        auto now = at("2026-11-20T10:00:00Z");
        bool withdrawn = false;
        std::optional<ticket_status> last;
        for (std::size_t i = 0; i < steps.size(); ++i) {
            const auto [status, minutes] = steps[i];
            now += std::chrono::minutes{minutes};
            auto snap = snapshot("d" + std::to_string(i), static_cast<ticket_status>(status),
                                 owners[(i + static_cast<std::size_t>(minutes)) % 3],
                                 "2026-11-20T10:00:00Z");
            snap.at = now;
            const auto decided = decide(book(), given(log), complaint_command{snap});
            RC_ASSERT(decided.has_value());
            log.insert(log.end(), decided->begin(), decided->end());
            last = snap.status;
            withdrawn = withdrawn || snap.status == ticket_status::withdrawn;
        }
        RC_PRE(last.has_value());
        const auto s = given(log).status;
        if (withdrawn) {
            RC_ASSERT(s == complaint_status::withdrawn);
            return;
        }
        switch (*last) {
            case ticket_status::open:
                RC_ASSERT(is_open(s));
                RC_ASSERT(s != complaint_status::awaiting_customer);
                break;
            case ticket_status::pending:
                RC_ASSERT(s == complaint_status::awaiting_customer);
                break;
            case ticket_status::solved:
                RC_ASSERT(s == complaint_status::resolved);
                break;
            case ticket_status::withdrawn:
                break;
        }
    });
}
