#include <catch2/catch.hpp>

#include "handlers/command_service.hpp"
#include "handlers/state_cache.hpp"
#include "infra/sqlite_event_log.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/infra/temp_dir.hpp"

using namespace bb;

namespace {

state_cache<complaint_state>::entry_ptr version(std::int64_t v) {
    auto e = std::make_shared<folded_state<complaint_state>>();
    e->version = v;
    return e;
}

}  // namespace

TEST_CASE("the state cache holds at most its capacity and never goes back a version",
          "[commands][cache]") {
    state_cache<complaint_state> cache(4);
    for (int i = 0; i < 10; ++i) cache.offer("s" + std::to_string(i), version(1));
    CHECK(cache.size() <= 4);
    CHECK(cache.find("s9") != nullptr);  // the newest stay
    CHECK(cache.find("s0") == nullptr);  // the oldest went

    cache.offer("s9", version(3));
    cache.offer("s9", version(2));  // a query that folded the log before a command moved it on
    REQUIRE(cache.find("s9") != nullptr);
    CHECK(cache.find("s9")->version == 3);

    // A hit in the old generation moves the entry to the young one: it survives the next turn.
    state_cache<complaint_state> lru(4);
    lru.offer("a", version(1));
    lru.offer("b", version(1));  // young full: {a, b} becomes the old generation
    CHECK(lru.find("a") != nullptr);
    lru.offer("c", version(1));  // young {a, c} full: old {b} dropped
    lru.offer("d", version(1));
    CHECK(lru.find("a") != nullptr);
    CHECK(lru.find("b") == nullptr);
}

SCENARIO("the command side keeps a bounded number of states and folds the rest from the log",
         "[commands][cache]") {
    test::temp_dir dir;
    const auto book = test::book();
    sqlite_event_log log({(dir.path() / "events.db").string(), true, 64});
    metrics m;
    command_service commands(log, book, m, {2});
    std::map<std::string, instant> announced;
    commands.on_deadline_change([&](const complaint_id& id, std::optional<instant> next) {
        if (next)
            announced[id.value()] = *next;
        else
            announced.erase(id.value());
    });
    REQUIRE(commands.rebuild().has_value());
    const auto t0 = test::at("2026-11-20T10:00:00Z");
    const auto meta = [&](const std::string& id) { return command_meta{id, "test", t0}; };
    for (int i = 0; i < 10; ++i) {
        const auto id = "c" + std::to_string(i);
        const auto r = commands.handle(
            complaint_command{test::filing(id, "cust-" + std::to_string(i % 3), "vip",
                                           severity::high, t0 + std::chrono::minutes{i})},
            meta("file/" + id));
        REQUIRE(r.has_value());
        REQUIRE(r->result == command_outcome::kind::applied);
    }
    REQUIRE_FALSE(commands.cached(test::cid("c0")));

    WHEN("a command reaches a complaint the cache no longer holds") {
        const acknowledge_complaint ack{test::key("ack/c0"), test::cid("c0"), test::emp("e1"),
                                        t0 + std::chrono::minutes{5}};
        const auto first = commands.handle(complaint_command{ack}, meta("ack/c0"));
        const auto again = commands.handle(complaint_command{ack}, meta("ack/c0"));
        THEN("it is decided on the state folded from the log, once") {
            REQUIRE(first.has_value());
            CHECK(first->result == command_outcome::kind::applied);
            REQUIRE(again.has_value());
            CHECK(again->result == command_outcome::kind::unchanged);
            const auto history = log.read_stream("complaint-c0", 1);
            REQUIRE(history.has_value());
            CHECK(history->size() == 2);  // filed, acknowledged
        }
        THEN("queries read their writes, and the counts follow") {
            const auto s = *commands.complaint(test::cid("c0"));
            REQUIRE(s.has_value());
            CHECK(s->status == complaint_status::acknowledged);
            const auto counts = commands.complaints_by_status();
            CHECK(counts.at(complaint_status::received) == 9);
            CHECK(counts.at(complaint_status::acknowledged) == 1);
        }
        THEN("a restart folds the log into the same deadlines, counts and states") {
            metrics m2;
            command_service restarted(log, book, m2, {2});
            std::map<std::string, instant> reannounced;
            restarted.on_deadline_change([&](const complaint_id& id, std::optional<instant> next) {
                if (next) reannounced[id.value()] = *next;
            });
            REQUIRE(restarted.rebuild().has_value());
            CHECK(reannounced == announced);
            CHECK(reannounced.size() == 10);
            CHECK(restarted.complaints_by_status() == commands.complaints_by_status());
            CHECK_FALSE(restarted.cached(test::cid("c3")));
            CHECK(restarted.complaint(test::cid("c3")) == commands.complaint(test::cid("c3")));
        }
    }
    WHEN("a customer's activity reaches every complaint of theirs, cached or not") {
        // cust-0 filed c0, c3, c6, c9; resolve two of them so that a purchase bounces them back.
        for (const auto* id : {"c0", "c6"}) {
            const acknowledge_complaint ack{test::key(std::string("ack/") + id), test::cid(id),
                                            test::emp("e1"), t0 + std::chrono::minutes{20}};
            REQUIRE(commands.handle(complaint_command{ack}, meta("ack"))->result ==
                    command_outcome::kind::applied);
            const resolve_complaint resolve{test::key(std::string("resolve/") + id), test::cid(id),
                                            test::emp("e1"), t0 + std::chrono::minutes{30}};
            const auto r = commands.handle(complaint_command{resolve}, meta("resolve"));
            REQUIRE(r.has_value());
            REQUIRE(r->result == command_outcome::kind::applied);
        }
        const auto r = commands.handle(
            inbound::customer_signal{test::key("buy/1"), customer_id{"cust-0"}, std::nullopt,
                                     activity_kind::purchase, std::nullopt, std::nullopt,
                                     t0 + std::chrono::hours{2}},
            meta("buy/1"));
        THEN("the resolved ones are recovered") {
            REQUIRE(r.has_value());
            CHECK(r->result == command_outcome::kind::applied);
            CHECK(commands.complaint(test::cid("c0"))->value().status ==
                  complaint_status::recovered);
            CHECK(commands.complaint(test::cid("c6"))->value().status ==
                  complaint_status::recovered);
            CHECK(commands.complaint(test::cid("c3"))->value().status ==
                  complaint_status::received);
        }
    }
}

namespace {

// The log whose reads can be made to fail (writes and the rest pass through).
class failing_reads final : public event_log {
  public:
    explicit failing_reads(event_log& inner) : inner_(inner) {}
    bool fail = false;

    std::expected<append_result, std::error_code> append(append_request request) override {
        return inner_.append(std::move(request));
    }
    std::expected<std::vector<event_record>, std::error_code> read_stream(
        const std::string& stream, std::int64_t from_version) override {
        if (fail) return std::unexpected(std::make_error_code(std::errc::io_error));
        return inner_.read_stream(stream, from_version);
    }
    std::expected<std::vector<event_record>, std::error_code> read_all(std::int64_t from,
                                                                       std::size_t max) override {
        return inner_.read_all(from, max);
    }
    std::int64_t head() override { return inner_.head(); }
    std::unique_ptr<subscription> subscribe(
        std::int64_t from, std::function<void(const event_record&)> handler) override {
        return inner_.subscribe(from, std::move(handler));
    }

  private:
    event_log& inner_;
};

}  // namespace

SCENARIO("a complaint that must be read from a failing log is an error, not an unknown complaint",
         "[commands][cache]") {
    test::temp_dir dir;
    const auto book = test::book();
    sqlite_event_log sqlite({(dir.path() / "events.db").string(), true, 64});
    failing_reads log(sqlite);
    metrics m;
    command_service commands(log, book, m, {2});
    REQUIRE(commands.rebuild().has_value());
    const auto t0 = test::at("2026-11-20T10:00:00Z");
    for (const auto* id : {"c0", "c1", "c2"})
        REQUIRE(commands
                    .handle(complaint_command{test::filing(id, "cust", "vip", severity::high, t0)},
                            command_meta{std::string("file/") + id, "test", t0})
                    ->result == command_outcome::kind::applied);
    REQUIRE_FALSE(commands.cached(test::cid("c0")));
    log.fail = true;
    THEN("queries and commands on streams that are not cached fail; cached ones answer") {
        const auto lost = commands.complaint(test::cid("c0"));
        REQUIRE_FALSE(lost.has_value());
        CHECK(lost.error() == std::make_error_code(std::errc::io_error));
        CHECK_FALSE(commands.tick(test::cid("c0"), t0, command_meta{"s", "t", t0}).has_value());
        const auto held = commands.complaint(test::cid("c2"));
        REQUIRE(held.has_value());
        CHECK(held->has_value());
    }
    AND_THEN("once the log reads again, so does the complaint") {
        log.fail = false;
        const auto back = commands.complaint(test::cid("c0"));
        REQUIRE(back.has_value());
        REQUIRE(back->has_value());
        CHECK((*back)->status == complaint_status::received);
    }
}
