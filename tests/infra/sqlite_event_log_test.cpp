#include <filesystem>

#include <catch2/catch.hpp>

#include "infra/hash_chain.hpp"
#include "infra/sqlite_event_log.hpp"
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
