#include "tests/infra/event_log_conformance.hpp"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/domain/fixtures.hpp"

namespace bb::test {

namespace {

proposed_event ev(std::string type, std::string data, std::string key = "k") {
    return proposed_event{std::move(type), std::move(data), at("2026-11-20T10:00:00Z"),
                          std::move(key),  "cause",         "corr"};
}

append_request req(std::string stream, std::int64_t expected, std::vector<proposed_event> events,
                   std::string request_key = {}) {
    return append_request{
        std::move(stream),         "cust-1", expected, std::move(events), std::move(request_key),
        at("2026-11-20T10:00:01Z")};
}

}  // namespace

void event_log_conformance(const log_factory& open) {
    SECTION("appends to a new stream get versions 1..n and gapless global positions") {
        auto log = open(true);
        const auto r =
            log->append(req("complaint-a", 0, {ev("A", R"({"n":1})"), ev("B", R"({"n":2})")}));
        REQUIRE(r.has_value());
        CHECK(r->first_position == 1);
        CHECK(r->last_position == 2);
        CHECK(r->stream_version == 2);
        CHECK_FALSE(r->duplicate);
        const auto r2 = log->append(req("complaint-b", 0, {ev("C", "{}")}));
        REQUIRE(r2.has_value());
        CHECK(r2->first_position == 3);
        CHECK(log->head() == 3);

        const auto stream = log->read_stream("complaint-a", 1);
        REQUIRE(stream.has_value());
        REQUIRE(stream->size() == 2);
        CHECK((*stream)[0].type == "A");
        CHECK((*stream)[0].data == R"({"n":1})");
        CHECK((*stream)[0].version == 1);
        CHECK((*stream)[1].version == 2);
        CHECK((*stream)[0].partition_key == "cust-1");
        CHECK((*stream)[0].causation_id == "cause");
        CHECK((*stream)[0].time == at("2026-11-20T10:00:00Z"));
        CHECK((*stream)[0].recorded_at == at("2026-11-20T10:00:01Z"));
    }

    SECTION("every event's prev_hash is the previous event's hash") {
        auto log = open(true);
        for (int i = 0; i < 5; ++i)
            REQUIRE(
                log->append(req("s" + std::to_string(i % 2), i / 2, {ev("T", "{}")})).has_value());
        const auto all = log->read_all(1, 100);
        REQUIRE(all.has_value());
        REQUIRE(all->size() == 5);
        for (std::size_t i = 1; i < all->size(); ++i)
            CHECK((*all)[i].prev_hash == (*all)[i - 1].hash);
        std::set<std::string> hashes;
        for (const auto& e : *all) hashes.insert(e.hash);
        CHECK(hashes.size() == 5);
    }

    SECTION("an append with a stale expected version is refused and writes nothing") {
        auto log = open(true);
        REQUIRE(log->append(req("complaint-a", 0, {ev("A", "{}")})).has_value());
        const auto stale = log->append(req("complaint-a", 0, {ev("B", "{}")}));
        REQUIRE_FALSE(stale.has_value());
        CHECK(stale.error() == log_errc::wrong_expected_version);
        CHECK(log->head() == 1);
        const auto ahead = log->append(req("complaint-a", 5, {ev("B", "{}")}));
        REQUIRE_FALSE(ahead.has_value());
        CHECK(ahead.error() == log_errc::wrong_expected_version);
    }

    SECTION("concurrent appends to one stream at the same version: exactly one wins") {
        auto log = open(true);
        std::atomic<int> won{0}, conflicted{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&, i] {
                const auto r = log->append(req("complaint-a", 0, {ev("T", std::to_string(i))}));
                if (r)
                    ++won;
                else if (r.error() == log_errc::wrong_expected_version)
                    ++conflicted;
            });
        for (auto& t : threads) t.join();
        CHECK(won == 1);
        CHECK(conflicted == 7);
        CHECK(log->head() == 1);
    }

    SECTION("concurrent appends to different streams all land, positions stay gapless") {
        auto log = open(true);
        // Catch2 assertions are not thread-safe: threads count, the test thread asserts.
        std::atomic<int> failed{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 25; ++i)
                    if (!log->append(req("s-" + std::to_string(t), i, {ev("T", "{}")}))) ++failed;
            });
        for (auto& t : threads) t.join();
        CHECK(failed == 0);
        const auto all = log->read_all(1, 1000);
        REQUIRE(all.has_value());
        REQUIRE(all->size() == 200);
        for (std::size_t i = 0; i < all->size(); ++i)
            CHECK((*all)[i].position == static_cast<std::int64_t>(i + 1));
    }

    SECTION(
        "a repeated request key is acknowledged without writing; other events under it conflict") {
        auto log = open(true);
        const auto first =
            log->append(req("complaint-a", 0, {ev("A", "{}")}, "helpdesk/1@complaint-a"));
        REQUIRE(first.has_value());
        const auto again =
            log->append(req("complaint-a", 0, {ev("A", "{}")}, "helpdesk/1@complaint-a"));
        REQUIRE(again.has_value());
        CHECK(again->duplicate);
        CHECK(again->first_position == first->first_position);
        CHECK(log->head() == 1);
        const auto other =
            log->append(req("complaint-a", 1, {ev("B", "{}")}, "helpdesk/1@complaint-a"));
        REQUIRE_FALSE(other.has_value());
        CHECK(other.error() == log_errc::idempotency_conflict);
        CHECK(log->head() == 1);
    }

    SECTION("a request key is remembered past the stream's later requests and a reopen") {
        {
            auto log = open(true);
            REQUIRE(log->append(req("complaint-a", 0, {ev("A", "{}"), ev("B", "{}")},
                                    "helpdesk/1@complaint-a"))
                        .has_value());
            REQUIRE(log->append(req("complaint-b", 0, {ev("C", "{}")}, "helpdesk/2@complaint-b"))
                        .has_value());
            REQUIRE(log->append(req("complaint-a", 2, {ev("D", "{}")}, "helpdesk/3@complaint-a"))
                        .has_value());
        }
        auto log = open(false);
        const auto again = log->append(
            req("complaint-a", 0, {ev("A", "{}"), ev("B", "{}")}, "helpdesk/1@complaint-a"));
        REQUIRE(again.has_value());
        CHECK(again->duplicate);
        CHECK(again->first_position == 1);
        CHECK(again->last_position == 2);
        CHECK(again->stream_version == 2);
        // At the stream's current version, so only the key tells it apart from a new request.
        const auto other =
            log->append(req("complaint-a", 3, {ev("E", "{}")}, "helpdesk/1@complaint-a"));
        REQUIRE_FALSE(other.has_value());
        CHECK(other.error() == log_errc::idempotency_conflict);
        CHECK(log->head() == 4);
    }

    SECTION("read_all pages from a position") {
        auto log = open(true);
        for (int i = 0; i < 10; ++i) REQUIRE(log->append(req("s", i, {ev("T", "{}")})).has_value());
        const auto page = log->read_all(4, 3);
        REQUIRE(page.has_value());
        REQUIRE(page->size() == 3);
        CHECK(page->front().position == 4);
        CHECK(page->back().position == 6);
        CHECK(log->read_all(11, 10)->empty());
    }

    SECTION("a fold page holds read_all's events with the fields projections fold") {
        auto log = open(true);
        for (int i = 0; i < 10; ++i) {
            auto e = ev(i % 2 ? "ComplaintAcknowledged" : "T", R"({"n":)" + std::to_string(i) + "}",
                        "key-" + std::to_string(i));
            e.time += std::chrono::minutes{i};
            REQUIRE(log->append(req("s", i, {e})).has_value());
        }
        const auto all = log->read_all(3, 5);
        const auto page = log->read_fold_page(3, 5);
        REQUIRE(all.has_value());
        REQUIRE(page.has_value());
        REQUIRE(page->size() == all->size());
        for (std::size_t i = 0; i < all->size(); ++i) {
            const auto& want = (*all)[i];
            const auto got = (*page)[i];
            CHECK(got.position == want.position);
            CHECK(got.type == want.type);
            CHECK(got.data == want.data);
            CHECK(got.idempotency_key == want.idempotency_key);
            CHECK(got.time == want.time);
            CHECK(got.recorded_at == want.recorded_at);
        }
        CHECK(page->back().position == 7);
        CHECK(log->read_fold_page(11, 10)->empty());
    }

    SECTION("a subscription catches up, then follows new events in order") {
        auto log = open(true);
        for (int i = 0; i < 3; ++i) REQUIRE(log->append(req("s", i, {ev("T", "{}")})).has_value());
        std::mutex m;
        std::vector<std::int64_t> seen;
        {
            auto sub = log->subscribe(2, [&](const event_record& e) {
                std::lock_guard lock(m);
                seen.push_back(e.position);
            });
            for (int i = 3; i < 6; ++i)
                REQUIRE(log->append(req("s", i, {ev("T", "{}")})).has_value());
            for (int spins = 0; spins < 500; ++spins) {
                {
                    std::lock_guard lock(m);
                    if (seen.size() >= 5) break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
        CHECK(seen == std::vector<std::int64_t>{2, 3, 4, 5, 6});
    }

    SECTION("events survive reopening and the chain continues") {
        {
            auto log = open(true);
            REQUIRE(log->append(req("s", 0, {ev("A", "{}"), ev("B", "{}")})).has_value());
        }
        auto log = open(false);
        CHECK(log->head() == 2);
        REQUIRE(log->append(req("s", 2, {ev("C", "{}")})).has_value());
        const auto all = log->read_all(1, 10);
        REQUIRE(all->size() == 3);
        CHECK((*all)[2].prev_hash == (*all)[1].hash);
        CHECK((*all)[2].version == 3);
    }
}

}  // namespace bb::test
