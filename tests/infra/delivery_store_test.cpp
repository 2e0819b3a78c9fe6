#include <catch2/catch.hpp>

#include "infra/outbound/delivery_store.hpp"
#include "infra/sqlite/sqlite_db.hpp"
#include "tests/infra/temp_dir.hpp"

using namespace bb;

namespace {

outbound::delivery_record delivered(std::int64_t position, std::int32_t partition) {
    outbound::delivery_record r;
    r.subscription = "main";
    r.position = position;
    r.partition = partition;
    r.webhook_id = "complaint-c-1-v" + std::to_string(position);
    r.event_type = "ComplaintFiled";
    r.stream = "complaint-c-1";
    r.status = outbound::delivery_status::delivered;
    r.attempts = 1;
    r.last_status = 200;
    return r;
}

}  // namespace

TEST_CASE("an outbound store written before Kafka mode delivered still loads",
          "[infra][outbound]") {
    test::temp_dir dir;
    const auto path = (dir.path() / "outbound.db").string();
    {
        // The schema of the previous release: no partition column.
        auto db = sqlite::open(path, true);
        sqlite::exec(db.get(),
                     "CREATE TABLE subscriptions (id TEXT PRIMARY KEY, checkpoint INTEGER NOT NULL "
                     "DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0, disabled_reason TEXT NOT "
                     "NULL DEFAULT '')");
        sqlite::exec(db.get(),
                     "CREATE TABLE deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, subscription "
                     "TEXT NOT NULL, position INTEGER NOT NULL, webhook_id TEXT NOT NULL, "
                     "event_type TEXT NOT NULL, stream TEXT NOT NULL, status TEXT NOT NULL, "
                     "attempts INTEGER NOT NULL, last_status INTEGER NOT NULL, last_error TEXT NOT "
                     "NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)");
        sqlite::exec(db.get(),
                     "INSERT INTO subscriptions (id, checkpoint) VALUES ('main', 7); INSERT INTO "
                     "deliveries VALUES (NULL, 'main', 7, 'complaint-c-1-v1', 'ComplaintFiled', "
                     "'complaint-c-1', 'failed', 3, 500, 'HTTP 500', '2026-12-06T10:00:00Z', "
                     "'2026-12-06T10:00:00Z')");
    }
    outbound::delivery_store store(path, true);
    const auto old = store.list(std::nullopt, std::nullopt, 0, 10);
    REQUIRE(old.size() == 1);
    CHECK(old[0].partition == -1);  // the embedded log's
    CHECK(old[0].position == 7);
    CHECK(old[0].last_error == "HTTP 500");

    SECTION("a Kafka mode record keeps its partition and leaves the log checkpoint alone") {
        store.record(delivered(1234, 3));
        const auto rows = store.list("main", outbound::delivery_status::delivered, 0, 10);
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].partition == 3);
        CHECK(rows[0].position == 1234);
        CHECK(store.state("main").checkpoint == 7);
    }
    SECTION("an embedded record moves the checkpoint as before") {
        store.record(delivered(9, -1));
        CHECK(store.state("main").checkpoint == 9);
    }
}

TEST_CASE("another instance's records apply when they are newer, with the topic's offset",
          "[infra][outbound]") {
    test::temp_dir dir;
    outbound::delivery_store store((dir.path() / "outbound.db").string(), true);
    std::vector<std::string> told;
    store.set_listener({[&](const outbound::delivery_record& r) { told.push_back(r.webhook_id); },
                        [&](const std::string& sub, const outbound::subscription_state& s) {
                            told.push_back(sub + (s.disabled ? " off" : " on"));
                        }});
    const auto at = [](int minute) { return instant{} + std::chrono::minutes{minute}; };

    // A failure recorded elsewhere appears here, and no change is told back (no echo).
    auto failed = delivered(7, 2);
    failed.status = outbound::delivery_status::failed;
    failed.attempts = 3;
    failed.updated_at = at(10);
    store.apply_replica(failed, "t.deliveries", 0, 1);
    auto list = store.list(std::nullopt, std::nullopt, 0, 10);
    REQUIRE(list.size() == 1);
    CHECK(list[0].status == outbound::delivery_status::failed);
    CHECK(list[0].partition == 2);
    CHECK(told.empty());

    // An older copy of it changes nothing; a later redelivery's outcome replaces it.
    auto older = failed;
    older.status = outbound::delivery_status::delivered;
    older.updated_at = at(5);
    store.apply_replica(older, "t.deliveries", 0, 2);
    CHECK(store.list(std::nullopt, std::nullopt, 0, 10)[0].status ==
          outbound::delivery_status::failed);
    auto redelivered = failed;
    redelivered.status = outbound::delivery_status::delivered;
    redelivered.attempts = 4;
    redelivered.updated_at = at(20);
    store.apply_replica(redelivered, "t.deliveries", 0, 3);
    list = store.list(std::nullopt, std::nullopt, 0, 10);
    REQUIRE(list.size() == 1);  // the same delivery, not a second row
    CHECK(list[0].status == outbound::delivery_status::delivered);
    CHECK(list[0].attempts == 4);

    // A redelivery asked for here stays pending until this instance has made it.
    REQUIRE(store.request_redelivery(list[0].id, at(21)));
    auto later = redelivered;
    later.updated_at = at(22);
    store.apply_replica(later, "t.deliveries", 0, 4);
    CHECK(store.list(std::nullopt, std::nullopt, 0, 10)[0].status ==
          outbound::delivery_status::pending);

    // Flags: applied, not told back; this store's own changes are told.
    store.apply_replica_state("main", true, "410 Gone", "t.deliveries", 0, 5);
    CHECK(store.state("main").disabled);
    CHECK(store.state("main").disabled_reason == "410 Gone");
    CHECK(told.empty());
    store.enable("main");
    store.record(delivered(8, 1));
    CHECK(told == std::vector<std::string>{"main on", "complaint-c-1-v8"});

    CHECK(store.replica_offsets("t.deliveries") == std::map<std::int32_t, std::int64_t>{{0, 5}});
    CHECK(store.replica_offsets("other").empty());
}

TEST_CASE("a delivery another instance made is known as delivered; a failed one is not",
          "[infra][outbound]") {
    test::temp_dir dir;
    outbound::delivery_store store((dir.path() / "outbound.db").string(), false);
    CHECK_FALSE(store.delivered("main", "complaint-c-1-v1"));
    // Another instance's record, as the delivery replica applies it.
    store.apply_replica(delivered(1, 0), "events.deliveries", 0, 1);
    CHECK(store.delivered("main", "complaint-c-1-v1"));
    CHECK_FALSE(store.delivered("other-subscription", "complaint-c-1-v1"));
    auto failed = delivered(2, 0);
    failed.status = outbound::delivery_status::failed;
    store.record(failed);
    CHECK_FALSE(store.delivered("main", "complaint-c-1-v2"));
    store.record(delivered(3, 1));
    CHECK(store.delivered("main", "complaint-c-1-v3"));
    // The row of a subscription's delivery of an event, whoever made it.
    const auto row = store.id_of("main", "complaint-c-1-v1");
    REQUIRE(row.has_value());
    const auto again = store.request_redelivery(*row, instant{} + std::chrono::minutes{30});
    REQUIRE(again.has_value());
    CHECK(again->webhook_id == "complaint-c-1-v1");
    CHECK_FALSE(store.id_of("other-subscription", "complaint-c-1-v1").has_value());
    CHECK_FALSE(store.id_of("main", "complaint-c-9-v1").has_value());
}
