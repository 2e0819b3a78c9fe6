// Properties over random command sequences: the laws replay and the scheduler rely on.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <optional>

#include "tests/domain/fixtures.hpp"

using namespace bb;
using namespace bb::test;
using namespace std::chrono_literals;

namespace {

struct step {
    int kind;     // which command
    int minutes;  // time since the previous command
    int param;    // score, level, ...
};

// A command of the given kind for complaint c1; every step has its own idempotency key. Nothing
// for the kinds past the commands: those steps are the scheduler's ticks.
std::optional<complaint_command> make_command(const step& st, int index, instant now) {
    const auto k = key("k" + std::to_string(index));
    const auto id = cid("c1");
    switch (st.kind) {
        case 0:
            return acknowledge_complaint{k, id, emp("ana"), now};
        case 1:
            return assign_complaint{k, id, emp(st.param % 2 ? "bo" : "ana"), now};
        case 2:
            return request_customer_info{k, id, now};
        case 3:
            return record_customer_reply{k, id, now};
        case 4:
            return record_root_cause{
                k, id, "cat-" + std::to_string(st.param % 3), std::nullopt, now, std::nullopt};
        case 5:
            return offer_recovery{k, id, "voucher", money{(st.param % 50) * money_scale}, now};
        case 6:
            return resolve_complaint{k, id, emp("ana"), now};
        case 7:
            return reopen_complaint{k, id, "again", now};
        case 8:
            return request_escalation{k, id, "manual", now};
        case 9:
            return withdraw_complaint{k, id, "gone", now};
        case 10:
            return record_customer_activity{k, id, static_cast<activity_kind>(st.param % 4),
                                            std::nullopt, now};
        case 11:
            return record_survey{k, id, st.param % 11, now};
        default:
            return std::nullopt;
    }
}

struct run_result {
    std::vector<script_step> commands;
    std::vector<complaint_event> log;
    complaint_state live;
};

run_result run(const std::vector<step>& steps, int segment_choice, int severity_choice) {
    const auto b = book();
    static const char* segments[] = {"standard", "vip"};
    auto now = at("2026-11-20T15:00:00Z");
    run_result r;
    r.commands.emplace_back(std::in_place_type<complaint_command>,
                            filing("c1", "cust-1", segments[segment_choice % 2],
                                   static_cast<severity>(severity_choice % 4), now,
                                   segment_choice % 3 == 0 ? 9000 : 50));
    for (std::size_t i = 0; i < steps.size(); ++i) {
        now += std::chrono::minutes{steps[i].minutes};
        if (auto c = make_command(steps[i], static_cast<int>(i), now))
            r.commands.emplace_back(std::in_place_type<complaint_command>, std::move(*c));
        else
            r.commands.emplace_back(std::in_place_type<tick>, tick{now});
    }
    for (const auto& step : r.commands) {
        std::vector<complaint_event> decided;
        if (const auto* c = std::get_if<complaint_command>(&step)) {
            auto d = decide(b, r.live, *c);
            if (!d) continue;  // a rejection changes nothing
            decided = std::move(*d);
        } else {
            decided = decide(r.live, std::get<tick>(step));
        }
        for (const auto& e : decided) {
            r.live = evolve(std::move(r.live), e);
            r.log.push_back(e);
        }
    }
    return r;
}

rc::Gen<std::vector<step>> steps_gen() {
    return rc::gen::container<std::vector<step>>(rc::gen::construct<step>(
        rc::gen::inRange(0, 13), rc::gen::inRange(0, 3 * 24 * 60), rc::gen::inRange(0, 100)));
}

}  // namespace

TEST_CASE("domain laws", "[complaint][property]") {
    rc::prop("folding the log from the initial state reproduces the decided state", [] {
        const auto r = run(*steps_gen(), *rc::gen::inRange(0, 6), *rc::gen::inRange(0, 4));
        RC_ASSERT(given(r.log) == r.live);
    });

    rc::prop("folding the facts in place gives the same state, without what deciding remembers",
             [] {
                 const auto r = run(*steps_gen(), *rc::gen::inRange(0, 6), *rc::gen::inRange(0, 4));
                 complaint_state facts;
                 for (const auto& e : r.log) evolve_facts(facts, e);
                 RC_ASSERT(facts.seen.empty());
                 auto live = r.live;
                 live.seen.clear();
                 live.last_command_at = {};
                 RC_ASSERT(facts == live);
             });

    rc::prop("a redelivered command never produces events", [] {
        const auto r = run(*steps_gen(), *rc::gen::inRange(0, 6), *rc::gen::inRange(0, 4));
        const auto b = book();
        for (const auto& step : r.commands) {
            const auto* c = std::get_if<complaint_command>(&step);
            if (c == nullptr) continue;  // a tick has no key: repeating one is the next law
            if (!r.live.seen.contains(command_key(*c))) continue;  // rejected or no effect
            const auto again = decide(b, r.live, *c);
            RC_ASSERT(again.has_value());
            RC_ASSERT(again->empty());
        }
    });

    rc::prop("escalation levels never decrease and stay within the ladder", [] {
        const auto r = run(*steps_gen(), *rc::gen::inRange(0, 6), *rc::gen::inRange(0, 4));
        int level = 0;
        for (const auto& e : r.log) {
            if (const auto* esc = std::get_if<complaint_escalated>(&e)) {
                RC_ASSERT(esc->from_level == level);
                RC_ASSERT(esc->to_level > esc->from_level);
                RC_ASSERT(esc->to_level <= r.live.policy->max_level);
                level = esc->to_level;
            }
        }
        RC_ASSERT(r.live.escalation_level == level);
    });

    rc::prop("ticks are idempotent and stamp events with their due instants", [] {
        const auto r = run(*steps_gen(), *rc::gen::inRange(0, 6), *rc::gen::inRange(0, 4));
        const auto now = (r.log.empty() ? at("2026-11-20T15:00:00Z") : event_time(r.log.back())) +
                         std::chrono::minutes{*rc::gen::inRange(0, 60 * 24 * 40)};
        const auto first = decide(r.live, tick{now});
        auto s = r.live;
        for (const auto& e : first) {
            RC_ASSERT(event_time(e) <= now);
            if (const auto* br = std::get_if<sla_breached>(&e)) RC_ASSERT(br->at == br->due_at);
            s = evolve(std::move(s), e);
        }
        RC_ASSERT(decide(s, tick{now}).empty());
        RC_ASSERT(!next_deadline(s).has_value() || *next_deadline(s) > now);
    });
}

TEST_CASE("business-time laws", "[calendar][property]") {
    const auto cal = berlin_office();
    const auto base = at("2026-01-01T00:00:00Z");
    const auto instant_gen = rc::gen::map(rc::gen::inRange(0, 365 * 24 * 60),
                                          [base](int m) { return base + std::chrono::minutes{m}; });
    const auto amount_gen = rc::gen::map(rc::gen::inRange(0, 80 * 60),
                                         [](int m) { return duration{std::chrono::minutes{m}}; });

    rc::prop("due instants never move earlier when business time is added", [&] {
        const auto t = *instant_gen;
        const auto a = *amount_gen;
        const auto extra = *amount_gen;
        RC_ASSERT(add_business_time(cal, t, a) <= add_business_time(cal, t, a + extra));
    });

    rc::prop("a later start never gives an earlier due instant", [&] {
        const auto t = *instant_gen;
        const auto later = t + std::chrono::minutes{*rc::gen::inRange(0, 10000)};
        const auto a = *amount_gen;
        RC_ASSERT(add_business_time(cal, t, a) <= add_business_time(cal, later, a));
    });

    rc::prop("the business time between t and t + n is n", [&] {
        const auto t = *instant_gen;
        const auto a = *amount_gen;
        RC_ASSERT(business_time_between(cal, t, add_business_time(cal, t, a)) == a);
    });
}
