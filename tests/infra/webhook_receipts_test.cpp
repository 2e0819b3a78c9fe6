#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "infra/bloom_filter.hpp"
#include "infra/sqlite/webhook_receipts.hpp"
#include "tests/infra/temp_dir.hpp"

using namespace bb;

namespace {

instant t0() {
    return instant{std::chrono::seconds{1795000000}};
}

}  // namespace

TEST_CASE("a Bloom filter never forgets a hash and rarely claims one", "[infra][receipts]") {
    std::mt19937_64 rng(7);
    bloom_filter f(100000);
    std::vector<std::uint64_t> added(100000);
    for (auto& h : added) f.add(h = rng());
    for (const auto h : added) REQUIRE(f.may_contain(h));
    int claimed = 0;
    for (int i = 0; i < 100000; ++i) claimed += f.may_contain(rng());
    CHECK(claimed < 500);  // ~0.2% at capacity
    CHECK(f.bits() >= 100000 * 16);
}

SCENARIO("webhook receipts answer a redelivery with the first answer, also after a restart",
         "[infra][receipts]") {
    test::temp_dir dir;
    const auto path = (dir.path() / "receipts.db").string();
    GIVEN("receipts remembered, some written and some still in memory") {
        {
            webhook_receipts r(path);
            for (int i = 0; i < 3000; ++i)
                r.remember("helpdesk", "msg-" + std::to_string(i), "answer-" + std::to_string(i),
                           t0());
            r.flush();
            for (int i = 3000; i < 3100; ++i)
                r.remember("helpdesk", "msg-" + std::to_string(i), "answer-" + std::to_string(i),
                           t0());
            r.remember("helpdesk", "msg-3050", "a second answer", t0());
            THEN("each is found with its first answer; others are not") {
                CHECK(r.find("helpdesk", "msg-7") == "answer-7");
                CHECK(r.find("helpdesk", "msg-3050") == "answer-3050");
                CHECK(r.find("helpdesk", "msg-3100") == std::nullopt);
                CHECK(r.find("crm", "msg-7") == std::nullopt);
            }
        }
        WHEN("the receipts are opened again") {
            webhook_receipts r(path);
            THEN("every receipt on disk is found, and nothing else") {
                for (int i = 0; i < 3100; ++i)
                    REQUIRE(r.find("helpdesk", "msg-" + std::to_string(i)) ==
                            "answer-" + std::to_string(i));
                for (int i = 3100; i < 6100; ++i)
                    REQUIRE(r.find("helpdesk", "msg-" + std::to_string(i)) == std::nullopt);
                CHECK(r.find("crm", "msg-1") == std::nullopt);
            }
        }
    }
}
