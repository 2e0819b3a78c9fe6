#include <catch2/catch.hpp>

#include "infra/sqlite/sqlite_event_log.hpp"
#include "services/command_service.hpp"
#include "services/page_decoder.hpp"
#include "services/read_side.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/handlers/file_complaints.hpp"
#include "tests/infra/temp_dir.hpp"

using namespace bb;

namespace {

// Every position the decoder hands over, in the order it does, until the page with `end`.
struct taken {
    std::vector<std::int64_t> positions;
    std::optional<std::string> error;
    std::optional<instant> failed_recorded_at;
};
taken take_all(page_decoder& pages) {
    taken out;
    for (;;) {
        auto page = pages.next();
        for (const auto& e : page.events) out.positions.push_back(e.position);
        if (page.end) {
            out.error = page.error;
            out.failed_recorded_at = page.failed_recorded_at;
            return out;
        }
    }
}

std::vector<std::int64_t> one_to(std::int64_t n) {
    std::vector<std::int64_t> v;
    for (std::int64_t i = 1; i <= n; ++i) v.push_back(i);
    return v;
}

}  // namespace

SCENARIO("the log is read and decoded ahead on other threads and handed over in log order",
         "[read_side][replay]") {
    GIVEN("a log of 200 complaints") {
        test::temp_dir dir;
        const auto book = test::book();
        sqlite_event_log log({(dir.path() / "events.db").string(), false, 64});
        metrics m;
        command_service commands(log, book, m);
        REQUIRE(commands.rebuild().has_value());
        test::file_complaints(commands, 0, 199, 7);
        const auto head = log.head();
        REQUIRE(head >= 200);

        WHEN("it is read in pages of 7, by three decoders or on the caller's thread (none)") {
            THEN("every event comes once, in position order, and then the end") {
                for (const unsigned decoders : {3u, 0u}) {
                    page_decoder pages(log, 1, 7, decoders);
                    const auto all = take_all(pages);
                    CHECK(all.positions == one_to(head));
                    CHECK_FALSE(all.error.has_value());
                    const auto after = pages.next();
                    CHECK(after.end);
                    CHECK(after.events.empty());
                }
            }
        }
        WHEN("it is read from a later position") {
            page_decoder pages(log, head - 9, 4, 2);
            THEN("it starts there") {
                CHECK(take_all(pages).positions.size() == 10);
            }
        }
        WHEN("an event that cannot be decoded follows them") {
            const auto later = test::at("2027-01-01T00:00:00Z");
            REQUIRE(log.append(append_request{"complaint-x",
                                              "cust-x",
                                              0,
                                              {proposed_event{"ComplaintFiled", "{not json", later,
                                                              "k-x", "c", "c"}},
                                              "r-x",
                                              later})
                        .has_value());
            THEN(
                "with or without decoder threads, the events before it come, then the failure "
                "naming its position") {
                for (const unsigned decoders : {2u, 0u}) {
                    page_decoder pages(log, 1, 16, decoders);
                    const auto all = take_all(pages);
                    CHECK(all.positions == one_to(head));
                    REQUIRE(all.error.has_value());
                    CHECK_THAT(*all.error,
                               Catch::StartsWith("position " + std::to_string(head + 1)));
                    CHECK(all.failed_recorded_at == later);
                }
            }
            THEN("a replay up to an instant before it succeeds, a full replay fails on it") {
                read_side until_before(log);
                CHECK(until_before.replay(later - std::chrono::seconds{1}).has_value());
                CHECK(until_before.position() == head);
                read_side full(log);
                CHECK_FALSE(full.replay(std::nullopt).has_value());
            }
        }
        WHEN("the reader is dropped after the first page") {
            THEN(
                "with or without decoder threads, its threads stop (this returns) and the page "
                "was the first one") {
                for (const unsigned decoders : {2u, 0u}) {
                    auto pages = std::make_unique<page_decoder>(log, 1, 5, decoders);
                    const auto first = pages->next();
                    pages.reset();
                    REQUIRE(first.events.size() == 5);
                    CHECK(first.events.front().position == 1);
                }
            }
        }
    }
}
