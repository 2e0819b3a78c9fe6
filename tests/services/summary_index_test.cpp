#include <map>
#include <random>

#include <sqlite3.h>
#include <catch2/catch.hpp>

#include "infra/sqlite/sqlite_event_log.hpp"
#include "services/command_service.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/infra/faulty_vfs.hpp"
#include "tests/infra/temp_dir.hpp"

using namespace bb;

namespace {

// What a restarted command side knows without folding a complaint: its deadlines and counts.
struct restart_view {
    rebuild_report report;
    std::map<std::string, instant> deadlines;
    std::map<complaint_status, std::size_t> counts;
};

// A command side over `log` started afresh: with the log's summary index, or (nullptr) by
// folding the log as the Kafka processor does.
restart_view restart(sqlite_event_log& log, const policy_book& book, summary_index* index) {
    metrics m;
    command_service commands(log, book, m, {16}, index);
    restart_view v;
    commands.on_deadline_change([&](const complaint_id& id, std::optional<instant> next) {
        if (next)
            v.deadlines[id.value()] = *next;
        else
            v.deadlines.erase(id.value());
    });
    auto r = commands.rebuild();
    REQUIRE(r.has_value());
    v.report = *r;
    v.counts = commands.complaints_by_status();
    return v;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
}

// A command side on `log` with its summary index, rebuilt and ready.
struct indexed_commands {
    metrics m;
    command_service commands;
    indexed_commands(sqlite_event_log& log, const policy_book& book, std::size_t cached = 16)
        : commands(log, book, m, {cached}, &log) {
        REQUIRE(commands.rebuild().has_value());
    }
};

command_meta meta(const std::string& id, instant at) {
    return command_meta{id, "test", at};
}

// A random day of a support desk on a handful of customers: filings, acknowledgements,
// resolutions, reopens, purchases, surveys and deadline ticks, in time order.
void random_day(command_service& commands, std::uint32_t seed) {
    std::mt19937 rng(seed);
    const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    auto at = test::at("2026-11-20T08:00:00Z");
    int filed = 0;
    for (int step = 0; step < 300; ++step) {
        at += std::chrono::minutes{pick(40)};
        const auto key = "k" + std::to_string(seed) + "/" + std::to_string(step);
        const auto id = "c" + std::to_string(filed == 0 ? 0 : pick(filed));
        const auto customer = "cust-" + std::to_string(pick(5));
        std::optional<inbound::command> c;
        switch (pick(8)) {
            case 0:
            case 1:
                c = complaint_command{test::filing("c" + std::to_string(filed++), customer,
                                                   pick(2) ? "vip" : "standard",
                                                   pick(2) ? severity::high : severity::low, at)};
                break;
            case 2:
                c = complaint_command{
                    acknowledge_complaint{test::key(key), test::cid(id), test::emp("e1"), at}};
                break;
            case 3:
                c = complaint_command{
                    resolve_complaint{test::key(key), test::cid(id), test::emp("e2"), at}};
                break;
            case 4:
                c = complaint_command{reopen_complaint{test::key(key), test::cid(id), "again", at}};
                break;
            case 5:
                c = inbound::customer_signal{test::key(key),
                                             customer_id{customer},
                                             std::nullopt,
                                             activity_kind::purchase,
                                             std::nullopt,
                                             std::nullopt,
                                             at};
                break;
            case 6:
                c = inbound::customer_signal{test::key(key),
                                             customer_id{customer},
                                             std::nullopt,
                                             std::nullopt,
                                             std::nullopt,
                                             3,
                                             at};
                break;
            case 7:
                if (filed > 0) {
                    REQUIRE(commands.tick(test::cid(id), at, meta(key, at)).has_value());
                }
                break;
        }
        if (c) REQUIRE(commands.handle(*c, meta(key, at)).has_value());
    }
}

}  // namespace

SCENARIO("a restart reads the summary index instead of folding the log", "[commands][summaries]") {
    test::temp_dir dir;
    const auto book = test::book();
    sqlite_event_log log({(dir.path() / "events.db").string(), true, 64});
    {
        indexed_commands side(log, book);
        auto& commands = side.commands;
        random_day(commands, 7);
    }
    REQUIRE(log.head() > 100);
    WHEN("the command side starts again") {
        const auto indexed = restart(log, book, &log);
        const auto folded = restart(log, book, nullptr);
        THEN("it folds no event, and knows the deadlines and counts a fold of the log gives") {
            CHECK(indexed.report.from_summaries);
            CHECK(indexed.report.events_folded == 0);
            CHECK_FALSE(folded.report.from_summaries);
            CHECK(folded.report.events_folded == static_cast<std::size_t>(log.head()));
            CHECK_FALSE(folded.deadlines.empty());
            CHECK(indexed.deadlines == folded.deadlines);
            CHECK(indexed.counts == folded.counts);
            CHECK(indexed.report.deadlines == folded.deadlines.size());
        }
    }
}

SCENARIO("the summary index equals a fold of the log after any history", "[commands][summaries]") {
    const auto book = test::book();
    for (std::uint32_t seed = 1; seed <= 12; ++seed) {
        test::temp_dir dir;
        sqlite_event_log log({(dir.path() / "events.db").string(), true, 64});
        {
            indexed_commands side(log, book, 4);  // a small cache: misses fold
            random_day(side.commands, seed);
        }
        const auto indexed = restart(log, book, &log);
        const auto folded = restart(log, book, nullptr);
        INFO("seed " << seed);
        CHECK(indexed.report.from_summaries);
        CHECK(indexed.deadlines == folded.deadlines);
        CHECK(indexed.counts == folded.counts);
    }
}

SCENARIO("a log the index has not seen all of is folded once and indexed",
         "[commands][summaries]") {
    test::temp_dir dir;
    const auto book = test::book();
    const auto path = (dir.path() / "events.db").string();
    const auto t0 = test::at("2026-11-20T10:00:00Z");
    {
        sqlite_event_log log({path, true, 64});
        // One complaint through the service (summarised), one appended raw as an import of
        // an export does: the log cannot know the second one's summary.
        indexed_commands side(log, book);
        auto& commands = side.commands;
        REQUIRE(
            commands
                .handle(complaint_command{test::filing("c1", "cust-1", "vip", severity::high, t0)},
                        meta("file/c1", t0))
                ->result == command_outcome::kind::applied);
        append_request raw{"complaint-c2", "cust-2", 0, {}, {}, t0};
        const auto filed = log.read_stream("complaint-c1", 1);
        REQUIRE(filed.has_value());
        auto e = filed->front();
        replace_all(e.data, "\"c1\"", "\"c2\"");
        replace_all(e.data, "\"cust-1\"", "\"cust-2\"");
        raw.events.push_back(proposed_event{e.type, e.data, e.time, "raw/c2", "", ""});
        REQUIRE(log.append(raw).has_value());  // summary_unknown: the default
    }
    sqlite_event_log log({path, true, 64});
    WHEN("the command side starts") {
        const auto first = restart(log, book, &log);
        const auto second = restart(log, book, &log);
        THEN("the first start folds the log, and the next one reads the index it wrote") {
            CHECK_FALSE(first.report.from_summaries);
            CHECK(first.report.events_folded == static_cast<std::size_t>(log.head()));
            CHECK(first.deadlines.count("c2") == 1);
            CHECK(second.report.from_summaries);
            CHECK(second.deadlines == first.deadlines);
            CHECK(second.counts == first.counts);
            CHECK(second.counts.at(complaint_status::received) == 2);
        }
    }
}

SCENARIO("after a restart from the index a customer's activity reaches all their complaints",
         "[commands][summaries]") {
    test::temp_dir dir;
    const auto book = test::book();
    sqlite_event_log log({(dir.path() / "events.db").string(), true, 64});
    const auto t0 = test::at("2026-11-20T10:00:00Z");
    {
        indexed_commands side(log, book);
        auto& commands = side.commands;
        for (const auto* id : {"c0", "c1", "c2"}) {
            REQUIRE(commands
                        .handle(complaint_command{test::filing(id, "cust-0", "vip", severity::high,
                                                               t0)},
                                meta(std::string("file/") + id, t0))
                        ->result == command_outcome::kind::applied);
        }
        for (const auto* id : {"c0", "c2"}) {
            REQUIRE(commands
                        .handle(complaint_command{acknowledge_complaint{
                                    test::key(std::string("ack/") + id), test::cid(id),
                                    test::emp("e1"), t0 + std::chrono::minutes{5}}},
                                meta("ack", t0))
                        ->result == command_outcome::kind::applied);
            REQUIRE(commands
                        .handle(complaint_command{resolve_complaint{
                                    test::key(std::string("resolve/") + id), test::cid(id),
                                    test::emp("e1"), t0 + std::chrono::minutes{10}}},
                                meta("resolve", t0))
                        ->result == command_outcome::kind::applied);
        }
    }
    metrics m;
    command_service restarted(log, book, m, {16}, &log);
    const auto r = restarted.rebuild();
    REQUIRE(r.has_value());
    REQUIRE(r->from_summaries);
    WHEN("the customer buys something") {
        const auto bought = restarted.handle(
            inbound::customer_signal{test::key("buy"), customer_id{"cust-0"}, std::nullopt,
                                     activity_kind::purchase, std::nullopt, std::nullopt,
                                     t0 + std::chrono::hours{1}},
            meta("buy", t0));
        THEN("the resolved complaints are recovered and the open one is untouched") {
            REQUIRE(bought.has_value());
            CHECK(bought->result == command_outcome::kind::applied);
            CHECK(restarted.complaint(test::cid("c0"))->value().status ==
                  complaint_status::recovered);
            CHECK(restarted.complaint(test::cid("c2"))->value().status ==
                  complaint_status::recovered);
            CHECK(restarted.complaint(test::cid("c1"))->value().status ==
                  complaint_status::received);
            CHECK(restarted.complaints_by_status() ==
                  std::map<complaint_status, std::size_t>{{complaint_status::received, 1},
                                                          {complaint_status::recovered, 2}});
        }
    }
}

SCENARIO("a failed append leaves the summary index as it was", "[commands][summaries]") {
    test::faulty_vfs::install();
    test::temp_dir dir;
    const auto book = test::book();
    sqlite_event_log log({(dir.path() / "events.db").string(), true, 64});
    const auto t0 = test::at("2026-11-20T10:00:00Z");
    indexed_commands side(log, book);
    auto& commands = side.commands;
    const complaint_command file{test::filing("c1", "cust", "vip", severity::high, t0)};
    REQUIRE(commands.handle(file, meta("file", t0))->result == command_outcome::kind::applied);
    const complaint_command ack{
        acknowledge_complaint{test::key("ack/c1"), test::cid("c1"), test::emp("e1"), t0}};

    WHEN("the disk fails while the acknowledgement is written, and heals") {
        test::faulty_vfs::fail_writes(SQLITE_IOERR_WRITE);
        const auto failed = commands.handle(ack, meta("ack", t0));
        test::faulty_vfs::heal();
        REQUIRE_FALSE(failed.has_value());
        const auto after_failure = restart(log, book, &log);
        THEN("the index still says received, as the log does") {
            CHECK(after_failure.report.from_summaries);
            CHECK(after_failure.counts ==
                  std::map<complaint_status, std::size_t>{{complaint_status::received, 1}});
            CHECK(after_failure.deadlines == restart(log, book, nullptr).deadlines);
        }
        AND_WHEN("the acknowledgement is retried") {
            REQUIRE(commands.handle(ack, meta("ack", t0))->result ==
                    command_outcome::kind::applied);
            const auto after_retry = restart(log, book, &log);
            THEN("the index follows it") {
                CHECK(after_retry.counts ==
                      std::map<complaint_status, std::size_t>{{complaint_status::acknowledged, 1}});
                CHECK(after_retry.deadlines == restart(log, book, nullptr).deadlines);
            }
        }
    }
}

SCENARIO("an index whose table was dropped is rebuilt, not trusted", "[commands][summaries]") {
    test::temp_dir dir;
    const auto book = test::book();
    const auto path = (dir.path() / "events.db").string();
    {
        sqlite_event_log log({path, true, 64});
        indexed_commands side(log, book);
        auto& commands = side.commands;
        random_day(commands, 3);
    }
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        CHECK(sqlite3_exec(db, "DROP TABLE stream_summaries", nullptr, nullptr, nullptr) ==
              SQLITE_OK);
        sqlite3_close(db);
    }
    sqlite_event_log log({path, true, 64});
    const auto first = restart(log, book, &log);
    const auto second = restart(log, book, &log);
    const auto folded = restart(log, book, nullptr);
    CHECK_FALSE(first.report.from_summaries);
    CHECK(second.report.from_summaries);
    CHECK(second.deadlines == folded.deadlines);
    CHECK(second.counts == folded.counts);
}

// History is mostly settled complaints, which no deadline and no customer signal changes: a
// restart reads only the others' summary rows, so it costs what is open. A settled complaint
// that is reopened is a complaint of its customer again.
SCENARIO("a restart reads the summaries of unsettled complaints only, and a reopened one returns",
         "[commands][summaries]") {
    test::temp_dir dir;
    const auto book = test::book();
    sqlite_event_log log({(dir.path() / "events.db").string(), true, 64});
    const auto t0 = test::at("2026-11-20T10:00:00Z");
    auto at = [&](int minutes) { return t0 + std::chrono::minutes{minutes}; };
    {
        indexed_commands side(log, book);
        auto& c = side.commands;
        const std::vector<complaint_command> script{
            test::filing("c1", "cust-7", "vip", severity::high, at(0)),
            acknowledge_complaint{test::key("a1"), test::cid("c1"), test::emp("e1"), at(1)},
            resolve_complaint{test::key("r1"), test::cid("c1"), test::emp("e1"), at(2)},
            test::filing("c2", "cust-7", "vip", severity::high, at(3))};
        for (const auto& cmd : script)
            REQUIRE(c.handle(cmd, meta("s", at(3)))->result == command_outcome::kind::applied);
        const auto closed =
            c.handle(inbound::customer_signal{test::key("closed"), customer_id{"cust-7"},
                                              test::cid("c1"), activity_kind::account_closed,
                                              std::nullopt, std::nullopt, at(4)},
                     meta("closed", at(4)));
        REQUIRE(closed->result == command_outcome::kind::applied);
        REQUIRE(c.complaint(test::cid("c1"))->value().status == complaint_status::lost);
    }
    metrics m;
    command_service restarted(log, book, m, {16}, &log);
    const auto r = restarted.rebuild();
    REQUIRE(r.has_value());
    REQUIRE(r->from_summaries);
    CHECK(r->summaries == 1);  // c2's; c1 is lost
    CHECK(restarted.complaints_by_status() ==
          std::map<complaint_status, std::size_t>{{complaint_status::received, 1},
                                                  {complaint_status::lost, 1}});
    WHEN("the lost complaint is reopened and resolved, and the customer buys something") {
        const std::vector<complaint_command> again{
            reopen_complaint{test::key("o1"), test::cid("c1"), "still broken", at(10)},
            resolve_complaint{test::key("r1b"), test::cid("c1"), test::emp("e1"), at(11)}};
        for (const auto& cmd : again)
            REQUIRE(restarted.handle(cmd, meta("s", at(11)))->result ==
                    command_outcome::kind::applied);
        const auto bought = restarted.handle(
            inbound::customer_signal{test::key("buy"), customer_id{"cust-7"}, std::nullopt,
                                     activity_kind::purchase, std::nullopt, std::nullopt, at(12)},
            meta("buy", at(12)));
        THEN("the purchase reaches it as the customer's complaint") {
            REQUIRE(bought.has_value());
            CHECK(bought->result == command_outcome::kind::applied);
            CHECK(restarted.complaint(test::cid("c1"))->value().status ==
                  complaint_status::recovered);
            CHECK(restarted.complaint(test::cid("c2"))->value().status ==
                  complaint_status::received);
        }
    }
}
