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
