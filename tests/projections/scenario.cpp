#include "tests/projections/scenario.hpp"

#include "tests/domain/fixtures.hpp"

namespace bb::test {

using namespace bb::projection;

// c1 vip   cust-1  billing  filed Mon 11-16 10:00Z, ack 10:05 (ana), resolved 11:00, purchase 11-20
// -> recovered c2 vip   cust-2  billing  filed Mon 11-16 10:00Z, ack 10:20 (bo: ack breached
// 10:15), resolved 15:00
//                            (resolve breached 14:00), survey 2 on 11-17 -> lost
// c3 std   cust-1  delivery filed Fri 11-20 15:00Z (16:00 Berlin), open; tick Mon 11-23 10:30Z
// raises the ack warning c4 std   cust-3  billing  filed Tue 11-17 09:00Z (10:00 Berlin), ack
// 10:00Z (bo), info asked 11:00Z,
//                            reply 13:00Z, root cause by bo, resolved 14:00Z (bo)
// compliments: k1 for ana, k2 for ana and bo; prevention action p1 (billing) at 11-18 00:00Z
read_model scenario() {
    std::vector<std::vector<test::script_step>> scripts;
    auto c3 = filing("c3", "cust-1", "standard", severity::low, at("2026-11-20T15:00:00Z"), 4000);
    c3.category = "delivery";
    scripts.push_back(
        {filing("c1", "cust-1", "vip", severity::high, at("2026-11-16T10:00:00Z"), 5000),
         acknowledge_complaint{key("a1"), cid("c1"), emp("ana"), at("2026-11-16T10:05:00Z")},
         resolve_complaint{key("r1"), cid("c1"), emp("ana"), at("2026-11-16T11:00:00Z")},
         record_customer_activity{key("buy"), cid("c1"), activity_kind::purchase, std::nullopt,
                                  at("2026-11-20T09:00:00Z")}});
    scripts.push_back(
        {filing("c2", "cust-2", "vip", severity::high, at("2026-11-16T10:00:00Z"), 3000),
         acknowledge_complaint{key("a2"), cid("c2"), emp("bo"), at("2026-11-16T10:20:00Z")},
         resolve_complaint{key("r2"), cid("c2"), emp("bo"), at("2026-11-16T15:00:00Z")},
         record_survey{key("s2"), cid("c2"), 2, at("2026-11-17T09:00:00Z")}});
    scripts.push_back({c3, tick{at("2026-11-23T10:30:00Z")}});
    scripts.push_back(
        {filing("c4", "cust-3", "standard", severity::medium, at("2026-11-17T09:00:00Z"), 100),
         acknowledge_complaint{key("a4"), cid("c4"), emp("bo"), at("2026-11-17T10:00:00Z")},
         request_customer_info{key("i4"), cid("c4"), at("2026-11-17T11:00:00Z")},
         record_customer_reply{key("p4"), cid("c4"), at("2026-11-17T13:00:00Z")},
         record_root_cause{key("rc4"), cid("c4"), "billing", emp("bo"), at("2026-11-17T13:30:00Z"),
                           std::nullopt},
         resolve_complaint{key("r4"), cid("c4"), emp("bo"), at("2026-11-17T14:00:00Z")}});
    read_model m;
    std::int64_t pos = 0;
    for (const auto& script : scripts)
        for (const auto& e : history_of(script)) apply_in_place(m, {++pos, event_time(e), e});
    apply_in_place(m, {++pos, at("2026-11-20T12:00:00Z"),
                       compliment_received{key("k1"),
                                           compliment_id{"k1"},
                                           customer_id{"cust-1"},
                                           {emp("ana")},
                                           "survey",
                                           "thanks",
                                           cid("c1"),
                                           at("2026-11-20T12:00:00Z")}});
    apply_in_place(m, {++pos, at("2026-11-21T12:00:00Z"),
                       compliment_received{key("k2"),
                                           compliment_id{"k2"},
                                           customer_id{"cust-3"},
                                           {emp("ana"), emp("bo")},
                                           "email",
                                           "great team",
                                           std::nullopt,
                                           at("2026-11-21T12:00:00Z")}});
    apply_in_place(
        m, {++pos, at("2026-11-18T00:00:00Z"),
            prevention_action_recorded{key("p1"), action_id{"p1"}, "billing", "idempotent retries",
                                       "payments", at("2026-11-18T00:00:00Z")}});
    return m;
}

}  // namespace bb::test
