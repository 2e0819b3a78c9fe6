#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "infra/hash_chain.hpp"
#include "infra/kafka/partition_store.hpp"
#include "tests/infra/temp_dir.hpp"

using namespace bb;

namespace {

// The n-th event of a partition whose chain ends in `prev`.
event_record event(std::int64_t position, const std::string& stream, std::int64_t version,
                   const std::string& prev) {
    event_record r{position,
                   stream,
                   version,
                   "cust-1",
                   "ComplaintFiled",
                   R"({"complaint_id":"c1"})",
                   instant{std::chrono::seconds{1'800'000'000}},
                   instant{std::chrono::seconds{1'800'000'000}},
                   "crm/e" + std::to_string(position),
                   "",
                   "",
                   prev,
                   {}};
    r.hash = chain_hash(prev, r);
    return r;
}

}  // namespace

SCENARIO("a partition's local store keeps what its owner committed, and nothing else",
         "[kafka][store]") {
    const test::temp_dir dir;
    const auto path = (dir.path() / "events-0.db").string();
    auto opened = kafka::partition_store::open(path, "events", 0);
    REQUIRE(opened.has_value());
    auto& store = **opened;
    REQUIRE(store.head() == 0);
    REQUIRE(store.next_offset() == 0);

    const auto one = event(1, "complaint-c1", 1, std::string(genesis_hash));
    const auto two = event(2, "complaint-c1", 2, one.hash);
    REQUIRE(store.begin().has_value());
    REQUIRE(store.add(one, "k1", "d1").has_value());
    REQUIRE(store.set_summary("complaint-c1", {"cust-1", "open", "", std::nullopt}).has_value());
    REQUIRE(store.commit(5).has_value());

    WHEN("a transaction is rolled back (its Kafka transaction aborted)") {
        REQUIRE(store.begin().has_value());
        REQUIRE(store.add(two, "k2", "d2").has_value());
        REQUIRE(store.set_summary("complaint-c1", {"cust-1", "resolved", "open", std::nullopt})
                    .has_value());
        CHECK(store.stream_size("complaint-c1") == 2);  // its own writes are visible inside it
        store.rollback();
        THEN("the store is as it was committed, in memory and on disk") {
            CHECK(store.head() == 1);
            CHECK(store.last_hash() == one.hash);
            CHECK(store.stream_size("complaint-c1") == 1);
            CHECK_FALSE(store.find_request("k2").has_value());
            const auto s = store.summaries();
            REQUIRE(s.has_value());
            CHECK(s->by_status == std::map<std::string, std::int64_t>{{"open", 1}});
        }
    }
    WHEN("it is reopened after a commit and after an uncommitted transaction") {
        REQUIRE(store.begin().has_value());
        REQUIRE(store.add(two, "k1", "d1").has_value());
        REQUIRE(store.commit(9).has_value());
        REQUIRE(store.begin().has_value());
        REQUIRE(store.add(event(3, "complaint-c2", 1, two.hash), "k3", "d3").has_value());
        opened->reset();  // closed with the transaction open: it is rolled back, the rest flushed
        auto again = kafka::partition_store::open(path, "events", 0);
        REQUIRE(again.has_value());
        THEN("it holds the committed events, requests and offset") {
            CHECK((*again)->head() == 2);
            CHECK((*again)->last_hash() == two.hash);
            CHECK((*again)->next_offset() == 9);
            const auto k1 = (*again)->find_request("k1");
            REQUIRE(k1.has_value());
            CHECK(k1->first == 1);
            CHECK(k1->last == 2);
            CHECK(k1->version == 2);
            const auto events = (*again)->read_stream("complaint-c1", 1);
            REQUIRE(events.has_value());
            REQUIRE(events->size() == 2);
            CHECK((*events)[0] == one);
            CHECK((*events)[1] == two);
            CHECK((*again)->stream_size("complaint-c2") == 0);
        }
    }
    WHEN("transactions are committed but not flushed, and a later one is rolled back") {
        REQUIRE(store.flush().has_value());
        const auto copy = [&](const char* name) {
            const auto to = (dir.path() / name).string();
            for (const auto* suffix : {"", "-wal"})
                if (std::filesystem::exists(path + suffix))
                    std::filesystem::copy_file(path + suffix, to + suffix);
            return to;
        };
        REQUIRE(store.begin().has_value());
        REQUIRE(store.add(two, "k2", "d2").has_value());
        REQUIRE(store.commit(9).has_value());
        REQUIRE(store.begin().has_value());
        REQUIRE(store.add(event(3, "complaint-c2", 1, two.hash), "k3", "d3").has_value());
        CHECK_FALSE(store.flush().has_value());  // not with a transaction open
        store.rollback();
        const auto crashed = copy("crashed.db");  // the files as a crash would leave them
        THEN("the committed transaction stays, the rolled back one is gone") {
            CHECK(store.head() == 2);
            CHECK(store.last_hash() == two.hash);
            CHECK(store.next_offset() == 9);
            CHECK(store.stream_size("complaint-c1") == 2);
            CHECK(store.stream_size("complaint-c2") == 0);
            CHECK(store.find_request("k2").has_value());
            CHECK(store.unflushed());
        }
        THEN("before a flush the files hold the last flush: behind the topic, never ahead") {
            auto again = kafka::partition_store::open(crashed, "events", 0);
            REQUIRE(again.has_value());
            CHECK((*again)->head() == 1);
            CHECK((*again)->next_offset() == 5);
            CHECK_FALSE((*again)->find_request("k2").has_value());
        }
        THEN("after a flush they hold the committed transaction") {
            REQUIRE(store.flush().has_value());
            CHECK_FALSE(store.unflushed());
            auto again = kafka::partition_store::open(copy("flushed.db"), "events", 0);
            REQUIRE(again.has_value());
            CHECK((*again)->head() == 2);
            CHECK((*again)->last_hash() == two.hash);
            CHECK((*again)->next_offset() == 9);
        }
    }
    WHEN("an event out of order is added") {
        REQUIRE(store.begin().has_value());
        THEN("it is refused") {
            CHECK_FALSE(store.add(event(3, "s", 1, one.hash), "", ""));
        }
        store.rollback();
    }
    WHEN("the file is opened as another partition's store") {
        opened->reset();
        const auto other = kafka::partition_store::open(path, "events", 1);
        THEN("it is refused, naming whose it is") {
            REQUIRE_FALSE(other.has_value());
            CHECK(other.error().find("events/0") != std::string::npos);
        }
    }
    WHEN("the file is not a database") {
        opened->reset();
        std::filesystem::remove(path + "-wal");
        std::filesystem::remove(path + "-shm");
        std::ofstream(path, std::ios::trunc) << std::string(4096, 'x');
        THEN("opening it fails") {
            CHECK_FALSE(kafka::partition_store::open(path, "events", 0));
        }
    }
}
