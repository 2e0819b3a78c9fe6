#include <filesystem>

#include <catch2/catch.hpp>

#include "infra/hash_chain.hpp"
#include "infra/sqlite/sqlite_event_log.hpp"
#include "tests/infra/event_log_conformance.hpp"
#include "tests/infra/temp_dir.hpp"

using namespace bb;

TEST_CASE("SQLite event log conformance", "[infra][event_log][sqlite]") {
    test::temp_dir dir;
    const auto path = (dir.path() / "events.db").string();
    test::event_log_conformance([&](bool fresh) -> std::unique_ptr<event_log> {
        if (fresh) {
            std::filesystem::remove(path);
            std::filesystem::remove(path + "-wal");
            std::filesystem::remove(path + "-shm");
        }
        return std::make_unique<sqlite_event_log>(sqlite_event_log::options{path, true, 1024});
    });
}

TEST_CASE("the first event chains from the genesis hash", "[infra][event_log][sqlite]") {
    test::temp_dir dir;
    sqlite_event_log log({(dir.path() / "events.db").string(), true, 16});
    REQUIRE(log.append(append_request{
                           "s", "c", 0, {proposed_event{"T", "{}", {}, "k", "c", "c"}}, {}, {}})
                .has_value());
    const auto all = log.read_all(1, 1);
    REQUIRE(all->size() == 1);
    CHECK(all->front().prev_hash == genesis_hash);
    CHECK(all->front().hash == chain_hash(genesis_hash, all->front()));
}

TEST_CASE("an event's trace context is stored, read back and covered by its hash",
          "[infra][event_log][sqlite][trace]") {
    test::temp_dir dir;
    const auto path = (dir.path() / "events.db").string();
    const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    std::string untraced_hash;
    {
        sqlite_event_log log({path, true, 16});
        REQUIRE(
            log.append(append_request{
                           "s",
                           "c",
                           0,
                           {proposed_event{"T", "{}", {}, "k1", "c", "c"},
                            proposed_event{"T", "{}", {}, "k2", "c", "c", tp, "congo=t61rcWkgMzE"}},
                           {},
                           {}})
                .has_value());
        const auto all = log.read_all(1, 2);
        REQUIRE(all->size() == 2);
        untraced_hash = all->at(0).hash;
    }
    // Read by a connection that did not write them (not the recent-records cache).
    sqlite_event_log log({path, true, 16});
    const auto all = log.read_all(1, 2);
    REQUIRE(all->size() == 2);
    const auto& untraced = all->at(0);
    const auto& traced = all->at(1);
    CHECK(untraced.traceparent.empty());
    CHECK(untraced.tracestate.empty());
    CHECK(traced.traceparent == tp);
    CHECK(traced.tracestate == "congo=t61rcWkgMzE");
    const auto report = verify_chain(log);
    REQUIRE(report.has_value());
    CHECK(report->intact);
    CHECK(report->events == 2);
    CHECK(traced.hash == chain_hash(traced.prev_hash, traced));
    // An untraced event hashes exactly as events did before traces were kept: every field but
    // the hashes, in the documented order, and nothing after the data.
    auto plain = untraced;
    CHECK(canonical_bytes(plain).ends_with("2:{}"));
    // Rewriting the trace (or adding one to an old event) breaks the chain.
    auto altered = traced;
    altered.traceparent[4] = 'c';
    CHECK(chain_hash(traced.prev_hash, altered) != traced.hash);
    plain.traceparent = tp;
    CHECK(chain_hash(untraced.prev_hash, plain) != untraced_hash);
}

// A log written before request keys moved onto the event rows: its requests are in a table of
// their own, and a redelivery of one of them must still be recognised after the upgrade.
TEST_CASE("requests recorded by an earlier schema are still recognised",
          "[infra][event_log][sqlite]") {
    test::temp_dir dir;
    const auto path = (dir.path() / "events.db").string();
    const append_request first{"complaint-a",
                               "cust-1",
                               0,
                               {proposed_event{"A", "{}", {}, "k", "c", "c"}},
                               "helpdesk/1@complaint-a",
                               {}};
    {
        auto db = sqlite::open(path, true);
        sqlite::exec(db.get(), R"sql(
CREATE TABLE events (
  position INTEGER PRIMARY KEY, stream TEXT NOT NULL, version INTEGER NOT NULL,
  partition_key TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, time TEXT NOT NULL,
  recorded_at TEXT NOT NULL, idempotency_key TEXT NOT NULL, causation_id TEXT NOT NULL,
  correlation_id TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  UNIQUE (stream, version));
CREATE TABLE append_requests (
  request_key TEXT PRIMARY KEY, digest TEXT NOT NULL, first_position INTEGER NOT NULL,
  last_position INTEGER NOT NULL, stream_version INTEGER NOT NULL);)sql");
        event_record rec{1,   "complaint-a", 1,   "cust-1",
                         "A", "{}",          {},  {},
                         "k", "c",           "c", std::string(genesis_hash),
                         {}};
        rec.hash = chain_hash(genesis_hash, rec);
        sqlite::exec(db.get(),
                     ("INSERT INTO events VALUES (1, 'complaint-a', 1, 'cust-1', 'A', '{}', "
                      "'1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z', 'k', 'c', 'c', '" +
                      rec.prev_hash + "', '" + rec.hash + "');" +
                      "INSERT INTO append_requests VALUES ('helpdesk/1@complaint-a', '" +
                      request_digest(first) + "', 1, 1, 1);")
                         .c_str());
    }
    sqlite_event_log log({path, true, 16});
    const auto again = log.append(first);
    REQUIRE(again.has_value());
    CHECK(again->duplicate);
    CHECK(again->first_position == 1);
    auto other = first;
    other.expected_version = 1;
    other.events.front().type = "B";
    const auto conflict = log.append(other);
    REQUIRE_FALSE(conflict.has_value());
    CHECK(conflict.error() == log_errc::idempotency_conflict);

    other.request_key = "helpdesk/2@complaint-a";
    const auto next = log.append(other);
    REQUIRE(next.has_value());
    CHECK(next->first_position == 2);
    const auto repeated = log.append(other);
    REQUIRE(repeated.has_value());
    CHECK(repeated->duplicate);
    const auto all = log.read_all(1, 10);
    REQUIRE(all->size() == 2);
    CHECK(all->back().prev_hash == all->front().hash);
}

// Followers read what was just committed from memory; a reader of the file must see the same.
TEST_CASE("records read right after their commit equal the stored ones",
          "[infra][event_log][sqlite]") {
    test::temp_dir dir;
    const auto path = (dir.path() / "events.db").string();
    std::vector<event_record> fresh;
    {
        sqlite_event_log log({path, true, 16});
        for (int i = 0; i < 3000; ++i) {
            const auto stream = "complaint-" + std::to_string(i % 7);
            const auto r = log.append(
                append_request{stream,
                               "cust-" + std::to_string(i % 7),
                               i / 7,
                               {proposed_event{"T", R"({"n":)" + std::to_string(i) + "}",
                                               instant{std::chrono::seconds{1'700'000'000 + i}},
                                               "k" + std::to_string(i), "c", "r"}},
                               "helpdesk/" + std::to_string(i) + "@" + stream,
                               instant{std::chrono::seconds{1'800'000'000 + i}}});
            REQUIRE(r.has_value());
            if (i >= 2990) {
                // The last ten, read back as a follower reads them.
                const auto got = log.read_all(r->first_position, 10);
                REQUIRE(got.has_value());
                REQUIRE(got->size() == 1);
                fresh.push_back(got->front());
            }
        }
        const auto tail = log.read_all(2991, 100);
        REQUIRE(tail.has_value());
        CHECK(*tail == fresh);
        CHECK(log.read_all(3001, 10)->empty());
        CHECK(log.read_all(1, 3000)->size() == 3000);
    }
    sqlite_event_log reopened({path, true, 16});
    const auto stored = reopened.read_all(2991, 100);
    REQUIRE(stored.has_value());
    CHECK(*stored == fresh);
}
