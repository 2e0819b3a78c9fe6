#include <algorithm>
#include <future>

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include "infra/sqlite/sqlite_event_log.hpp"
#include "services/command_service.hpp"
#include "services/state_cache.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/infra/faulty_vfs.hpp"
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
        THEN("a survey from another customer naming c6 is refused and changes nothing") {
            const auto before = commands.complaint(test::cid("c6"))->value();
            const auto s = commands.handle(
                inbound::customer_signal{test::key("survey/x"), customer_id{"cust-1"},
                                         test::cid("c6"), std::nullopt, std::nullopt, 2,
                                         t0 + std::chrono::hours{3}},
                meta("survey/x"));
            REQUIRE(s.has_value());
            CHECK(s->result == command_outcome::kind::rejected);
            REQUIRE(s->why.has_value());
            CHECK(s->why->detail == "complaint c6 is not a complaint of customer cust-1");
            CHECK(commands.complaint(test::cid("c6"))->value() == before);
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

namespace {

using outcome = std::expected<command_outcome, std::error_code>;

// A command side on a fresh SQLite log, rebuilt and ready.
struct command_side {
    test::temp_dir dir;
    policy_book book = test::book();
    sqlite_event_log log{{(dir.path() / "events.db").string(), true, 64}};
    metrics m;
    command_service commands{log, book, m, {1000}};
    command_side() { REQUIRE(commands.rebuild().has_value()); }
};

// Starts a command without waiting; get() waits for its outcome.
struct pending_outcome {
    std::shared_ptr<std::promise<outcome>> promise = std::make_shared<std::promise<outcome>>();
    std::future<outcome> result = promise->get_future();
    outcome_callback callback() {
        return [p = promise](outcome r) { p->set_value(std::move(r)); };
    }
    outcome get() { return result.get(); }
};

}  // namespace

SCENARIO("commands on one stream are decided back to back, before the first is durable",
         "[commands][async]") {
    command_side side;
    auto& [dir, book, log, m, commands] = side;
    const auto t0 = test::at("2026-11-20T10:00:00Z");
    const auto meta = [&](const std::string& id) { return command_meta{id, "test", t0}; };

    WHEN("each complaint is filed, acknowledged and resolved, all queued without waiting") {
        constexpr int complaints = 200;
        std::vector<pending_outcome> outcomes(3 * complaints);
        for (int i = 0; i < complaints; ++i) {
            const auto id = "c" + std::to_string(i);
            const auto at = t0 + std::chrono::minutes{i};
            commands.handle_async(
                complaint_command{
                    test::filing(id, "cust-" + std::to_string(i % 7), "vip", severity::high, at)},
                meta("file/" + id), outcomes[3 * i].callback());
            commands.handle_async(complaint_command{acknowledge_complaint{
                                      test::key("ack/" + id), test::cid(id), test::emp("e1"), at}},
                                  meta("ack/" + id), outcomes[3 * i + 1].callback());
            commands.handle_async(
                complaint_command{resolve_complaint{test::key("resolve/" + id), test::cid(id),
                                                    test::emp("e1"), at}},
                meta("resolve/" + id), outcomes[3 * i + 2].callback());
        }
        THEN("every command is applied, each stream in the order it was decided") {
            for (auto& o : outcomes) {
                const auto r = o.get();
                REQUIRE(r.has_value());
                CHECK(r->result == command_outcome::kind::applied);
            }
            for (int i = 0; i < complaints; ++i) {
                const auto history = log.read_stream("complaint-c" + std::to_string(i), 1);
                REQUIRE(history.has_value());
                std::vector<std::string> types;
                for (const auto& e : *history) types.push_back(e.type);
                // Filed first; resolved last, after the acknowledgement.
                REQUIRE(types.size() >= 3);
                CHECK(types.front() == "ComplaintFiled");
                CHECK(std::find(types.begin(), types.end(), "ComplaintAcknowledged") <
                      std::find(types.begin(), types.end(), "ComplaintResolved"));
                CHECK(history->back().version == static_cast<std::int64_t>(history->size()));
            }
            CHECK(commands.complaints_by_status().at(complaint_status::resolved) == complaints);
            metrics m2;
            command_service restarted(log, book, m2, {1000});
            REQUIRE(restarted.rebuild().has_value());
            CHECK(restarted.complaints_by_status() == commands.complaints_by_status());
        }
    }
}

SCENARIO("an append that fails takes back the state decided on it", "[commands][async]") {
    test::faulty_vfs::install();
    command_side side;
    auto& [dir, book, log, m, commands] = side;
    const auto t0 = test::at("2026-11-20T10:00:00Z");
    const complaint_command file{test::filing("c1", "cust", "vip", severity::high, t0)};
    const complaint_command ack{
        acknowledge_complaint{test::key("ack/c1"), test::cid("c1"), test::emp("e1"), t0}};

    WHEN("a filing and an acknowledgement decided on it are queued, and the disk fails") {
        test::faulty_vfs::fail_writes(SQLITE_IOERR_WRITE);
        pending_outcome filed, acknowledged;
        commands.handle_async(file, command_meta{"file", "test", t0}, filed.callback());
        commands.handle_async(ack, command_meta{"ack", "test", t0}, acknowledged.callback());
        const auto f = filed.get();
        const auto a = acknowledged.get();
        test::faulty_vfs::heal();
        THEN("both fail, and the complaint is unknown again: nothing was written") {
            CHECK_FALSE(f.has_value());
            // Decided on the filing's state, it fails with it; when the writer failed the filing
            // and took its state back before the acknowledgement was decided (a busy machine:
            // the writer thread runs at once), it is decided on an unfiled complaint and
            // rejected. Either way it wrote nothing.
            const bool failed_with_filing = !a.has_value();
            const bool rejected_as_unfiled =
                a.has_value() && a->result == command_outcome::kind::rejected;
            CHECK((failed_with_filing || rejected_as_unfiled));
            CHECK(log.head() == 0);
            const auto c = commands.complaint(test::cid("c1"));
            REQUIRE(c.has_value());
            CHECK_FALSE(c->has_value());
            CHECK(commands.complaints_by_status().empty());
        }
        AND_WHEN("the sender retries once the disk heals") {
            const auto refiled = commands.handle(file, command_meta{"file", "test", t0});
            const auto reacked = commands.handle(ack, command_meta{"ack", "test", t0});
            THEN("both are applied on the state folded from the log") {
                REQUIRE(refiled.has_value());
                CHECK(refiled->result == command_outcome::kind::applied);
                REQUIRE(reacked.has_value());
                CHECK(reacked->result == command_outcome::kind::applied);
                CHECK(log.read_stream("complaint-c1", 1)->size() >= 2);
                CHECK(commands.complaint(test::cid("c1"))->value().status ==
                      complaint_status::acknowledged);
            }
        }
    }
}

// A command from the future would meet (or breach) an SLA at an instant that has not happened:
// beyond the configured tolerance (clock skew) it is refused, with the reason, and nothing is
// written. Every kind of inbound command is checked, not only complaints'.
TEST_CASE("commands stamped beyond the future tolerance are rejected with the reason",
          "[commands][time]") {
    test::temp_dir dir;
    const auto book = test::book();
    sqlite_event_log log({(dir.path() / "events.db").string(), true, 64});
    metrics m;
    command_service commands(log, book, m, {16, std::chrono::minutes{5}});
    REQUIRE(commands.rebuild().has_value());
    const auto now = test::at("2026-11-20T10:00:00Z");
    const command_meta meta{"test", "test", now};
    const auto soon =
        commands.handle(complaint_command{test::filing("c1", "cust-1", "vip", severity::high,
                                                       now + std::chrono::minutes{5})},
                        meta);
    REQUIRE(soon.has_value());
    CHECK(soon->result == command_outcome::kind::applied);  // within the tolerance

    const auto later = commands.handle(
        complaint_command{test::filing("c2", "cust-2", "vip", severity::high,
                                       now + std::chrono::minutes{5} + std::chrono::seconds{1})},
        meta);
    REQUIRE(later.has_value());
    CHECK(later->result == command_outcome::kind::rejected);
    REQUIRE(later->why);
    CHECK(later->why->code == rejection_code::invalid_argument);
    CHECK(later->why->detail ==
          "time 2026-11-20T10:05:01Z is later than now (2026-11-20T10:00:00Z) by more than PT5M");
    CHECK(log.read_stream("complaint-c2", 1)->empty());

    const auto compliment = commands.handle(receive_compliment{test::key("k1"),
                                                               compliment_id{"k1"},
                                                               customer_id{"cust-1"},
                                                               {test::emp("bo")},
                                                               "email",
                                                               "thanks",
                                                               std::nullopt,
                                                               now + std::chrono::hours{1}},
                                            meta);
    REQUIRE(compliment.has_value());
    CHECK(compliment->result == command_outcome::kind::rejected);
    CHECK(m.render().find("bounceback_rejections_total{reason=\"invalid_argument\"} 2") !=
          std::string::npos);
}
