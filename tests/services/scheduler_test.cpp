#include <thread>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "infra/iso8601.hpp"
#include "infra/sqlite/sqlite_event_log.hpp"
#include "services/command_service.hpp"
#include "services/deadline_scheduler.hpp"
#include "services/virtual_clock_runner.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/infra/temp_dir.hpp"

using namespace bb;

namespace {
instant wall() {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}
}  // namespace

SCENARIO(
    "deadlines that passed while the service was down fire at start, stamped with their due "
    "instants",
    "[scheduler]") {
    test::temp_dir dir;
    const auto db = (dir.path() / "events.db").string();
    const auto book = test::book();
    const auto filed_at = wall() - std::chrono::hours{2};
    GIVEN("a VIP complaint filed two hours ago, before the service went down") {
        {
            sqlite_event_log log({db, true, 64});
            metrics m;
            command_service commands(log, book, m);
            REQUIRE(commands.rebuild().has_value());
            const auto r = commands.handle(
                complaint_command{test::filing("c1", "cust-1", "vip", severity::high, filed_at)},
                command_meta{"helpdesk/1", "w1", filed_at});
            REQUIRE(r.has_value());
            REQUIRE(r->result == command_outcome::kind::applied);
        }
        WHEN("the service starts again") {
            sqlite_event_log log({db, true, 64});
            metrics m;
            command_service commands(log, book, m);
            boost::asio::io_context ioc;
            deadline_scheduler scheduler(ioc, wall, [&](const complaint_id& id, instant now) {
                (void)commands.tick(id, now, command_meta{"scheduler", "tick", now});
            });
            commands.on_deadline_change(
                [&](const complaint_id& id, std::optional<instant> n) { scheduler.update(id, n); });
            REQUIRE(commands.rebuild().has_value());
            CHECK(scheduler.pending() == 1);
            scheduler.start();
            std::thread runner([&] { ioc.run_for(std::chrono::seconds{10}); });
            std::vector<event_record> events;
            for (int i = 0; i < 200; ++i) {
                events = *log.read_stream("complaint-c1", 1);
                if (events.size() >= 5) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(25));
            }
            // Give a wrong extra tick the chance to show up before we look.
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            events = *log.read_stream("complaint-c1", 1);
            scheduler.stop();
            ioc.stop();
            runner.join();
            THEN(
                "the overdue acknowledge and resolve deadlines are recorded at their due "
                "instants") {
                std::vector<std::string> seen;
                for (const auto& e : events)
                    seen.push_back(e.type + "@" + iso8601::format_instant(e.time));
                const auto t = [&](int minutes) {
                    return iso8601::format_instant(filed_at + std::chrono::minutes{minutes});
                };
                // ack warning 12 min, ack due 15 min; resolve (4 h) is not due yet, its warning
                // neither.
                CHECK(seen == std::vector<std::string>{
                                  "ComplaintFiled@" + t(0), "SlaWarningRaised@" + t(12),
                                  "ComplaintEscalated@" + t(12), "SlaBreached@" + t(15),
                                  "ComplaintEscalated@" + t(15)});
                for (std::size_t i = 1; i < events.size(); ++i)
                    CHECK(events[i].recorded_at >= filed_at + std::chrono::hours{2});
            }
        }
    }
}
