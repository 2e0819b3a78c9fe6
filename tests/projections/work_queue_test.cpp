#include <algorithm>
#include <set>

#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "projections/work_queue.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/projections/scenario.hpp"

using namespace bb;
using namespace bb::test;
using namespace bb::projection;

namespace {

std::vector<std::string> ids(const queue_page& p) {
    std::vector<std::string> out;
    for (const auto& i : p.items) out.push_back(i.id);
    return out;
}

// Every page of the query, following each page's `next`.
std::vector<std::string> all_pages(const read_model& m, queue_query q,
                                   std::size_t* pages = nullptr) {
    std::vector<std::string> out;
    for (std::size_t n = 1;; ++n) {
        const auto page = work_queue(m, q);
        for (const auto& i : page.items) out.push_back(i.id);
        if (pages) *pages = n;
        if (!page.next) return out;
        q.after = page.next;
    }
}

}  // namespace

TEST_CASE("the work queue lists unsettled complaints, nearest due first", "[projections][queue]") {
    // Of the scenario's four, c1 (recovered) and c2 (lost) are settled: c3 waits for its
    // acknowledgement (due Mon 11-23 11:00Z), c4 for its bounce-back (resolved 11-17 14:00Z,
    // a 14-day window: due 12-01 14:00Z).
    const auto m = scenario();
    const auto page = work_queue(m, {});
    CHECK(page.matched == 2);
    REQUIRE(ids(page) == std::vector<std::string>{"c3", "c4"});
    CHECK(page.items[0].due_target == sla_target::acknowledge);
    CHECK(page.items[0].due == at("2026-11-23T11:00:00Z"));
    CHECK(page.items[1].due_target == sla_target::bounce_back);
    CHECK(page.items[1].due == at("2026-12-01T14:00:00Z"));
    CHECK(page.items[1].root_cause == "billing");
    CHECK_FALSE(page.items[0].root_cause);
    CHECK_FALSE(page.next);
}

TEST_CASE("the work queue's filters", "[projections][queue]") {
    const auto m = scenario();
    const auto with = [&](queue_filter f) { return ids(work_queue(m, {.filter = std::move(f)})); };
    using v = std::vector<std::string>;
    // Settled complaints only when asked for (their rows are frozen: thawed to be shown).
    CHECK(with({.statuses = {complaint_status::recovered, complaint_status::lost}}) ==
          v{"c1", "c2"});
    CHECK(with({.customer = "cust-1"}) == v{"c3"});
    CHECK(with({.statuses = {complaint_status::recovered, complaint_status::received},
                .customer = "cust-1"}) == v{"c3", "c1"});
    CHECK(with({.root_cause = "billing"}) == v{"c4"});
    CHECK(with({.category = "delivery"}) == v{"c3"});
    // c2 breached both its acknowledge and resolve targets before it was lost.
    CHECK(with({.statuses = {complaint_status::lost, complaint_status::received},
                .breached = true}) == v{"c2"});
    CHECK(with({.breached = false}) == v{"c3", "c4"});
    // [due_after, due_before): c3 is due at 11:00 exactly.
    CHECK(with({.due_before = at("2026-11-23T11:00:00Z")}).empty());
    CHECK(with({.due_before = at("2026-11-23T11:00:01Z")}) == v{"c3"});
    CHECK(with({.due_after = at("2026-11-23T11:00:00Z")}) == v{"c3", "c4"});
    CHECK(with({.due_after = at("2026-11-23T11:00:01Z")}) == v{"c4"});
    queue_filter vip;
    vip.base.segment = "vip";
    CHECK(with(vip).empty());  // both VIP complaints are settled
    queue_filter std_low;
    std_low.base.sev = severity::low;
    CHECK(with(std_low) == v{"c3"});
}

TEST_CASE("the work queue's sorts and orders", "[projections][queue]") {
    const auto m = scenario();
    const queue_filter every{.statuses = {complaint_status::recovered, complaint_status::lost,
                                          complaint_status::received, complaint_status::resolved}};
    using v = std::vector<std::string>;
    // Values: c1 5000, c3 4000, c2 3000, c4 100.
    CHECK(ids(work_queue(m, {.filter = every, .sort = queue_sort::value, .descending = true})) ==
          v{"c1", "c3", "c2", "c4"});
    CHECK(ids(work_queue(m, {.filter = every, .sort = queue_sort::value, .descending = false})) ==
          v{"c4", "c2", "c3", "c1"});
    // Filed: c3 11-20, c4 11-17, c1 and c2 11-16 10:00 (a tie: by id).
    CHECK(ids(work_queue(m, {.filter = every, .sort = queue_sort::filed, .descending = true})) ==
          v{"c3", "c4", "c1", "c2"});
    // Pages of one: the same order, each complaint once.
    std::size_t pages = 0;
    CHECK(all_pages(m, {.filter = every, .sort = queue_sort::filed, .descending = true, .limit = 1},
                    &pages) == v{"c3", "c4", "c1", "c2"});
    CHECK(pages == 4);
}

namespace {

struct generated {
    std::string id, customer, segment;
    severity sev;
    int filed_minute;
    int value;
    int progress;  // 0 filed, 1 acknowledged, 2 resolved
};

read_model model_of(const std::vector<generated>& gs) {
    read_model m;
    std::int64_t pos = 0;
    for (const auto& g : gs) {
        const auto filed = at("2026-11-16T08:00:00Z") + std::chrono::minutes(g.filed_minute);
        const auto f =
            filing(g.id, g.customer, g.segment, g.sev, filed, static_cast<double>(g.value));
        const acknowledge_complaint a{key("a" + g.id), cid(g.id), emp("ana"),
                                      filed + std::chrono::minutes(5)};
        const resolve_complaint r{key("r" + g.id), cid(g.id), emp("ana"),
                                  filed + std::chrono::minutes(30)};
        // (Lists, not push_back: GCC 12 misreads a pushed variant as uninitialised.)
        const auto script = g.progress == 0   ? std::vector<script_step>{f}
                            : g.progress == 1 ? std::vector<script_step>{f, a}
                                              : std::vector<script_step>{f, a, r};
        for (const auto& e : history_of(script)) apply_in_place(m, {++pos, event_time(e), e});
    }
    return m;
}

}  // namespace

TEST_CASE(
    "pages concatenated are the whole sorted list, and a complaint filed between pages "
    "neither repeats nor hides another",
    "[projections][queue][property]") {
    rc::prop("keyset pages", [] {
        const auto n = *rc::gen::inRange(1, 40);
        std::vector<generated> gs;
        for (int i = 0; i < n; ++i)
            gs.push_back({"g" + std::to_string(i),
                          "cust-" + std::to_string(*rc::gen::inRange(0, 5)),
                          *rc::gen::element<std::string>("vip", "standard"),
                          *rc::gen::element(severity::low, severity::medium, severity::high),
                          *rc::gen::inRange(0, 20),  // few minutes: many ties on the key
                          *rc::gen::inRange(0, 4) * 100, *rc::gen::inRange(0, 3)});
        const auto m = model_of(gs);
        queue_query q;
        q.sort = *rc::gen::element(queue_sort::due, queue_sort::value, queue_sort::filed,
                                   queue_sort::escalation);
        q.descending = *rc::gen::arbitrary<bool>();
        q.limit = static_cast<std::size_t>(*rc::gen::inRange(1, 7));
        if (*rc::gen::arbitrary<bool>()) q.filter.base.segment = "vip";
        // The whole list in one page is the reference order.
        auto whole = q;
        whole.limit = 1000;
        const auto reference = work_queue(m, whole);
        const auto expected = ids(reference);
        RC_ASSERT(reference.matched == expected.size());
        RC_ASSERT(all_pages(m, q) == expected);
        // Its order: by key in the asked direction, ties by id.
        for (std::size_t i = 1; i < reference.items.size(); ++i) {
            const auto& a = reference.items[i - 1];
            const auto& b = reference.items[i];
            const bool in_order =
                a.key == b.key ? a.id < b.id : (q.descending ? a.key > b.key : a.key < b.key);
            RC_ASSERT(in_order);
        }
        // A complaint filed after the first page: every earlier one is still listed exactly once.
        const auto first = work_queue(m, q);
        if (first.next) {
            auto more = gs;
            more.push_back({"zz-new", "cust-9", "vip", severity::high, *rc::gen::inRange(0, 20),
                            *rc::gen::inRange(0, 4) * 100, *rc::gen::inRange(0, 3)});
            const auto m2 = model_of(more);
            auto rest = q;
            rest.after = first.next;
            auto seen = ids(first);
            const auto later = all_pages(m2, rest);
            seen.insert(seen.end(), later.begin(), later.end());
            std::erase(seen, std::string("zz-new"));
            std::multiset<std::string> a(seen.begin(), seen.end()),
                b(expected.begin(), expected.end());
            RC_ASSERT(a == b);
        }
    });
}
