#include <fstream>
#include <sstream>

#include <cstring>

#include <catch2/catch.hpp>

#include "infra/snapshot/read_model_codec.hpp"
#include "infra/snapshot/snapshot_file.hpp"
#include "infra/sqlite/sqlite_event_log.hpp"
#include "services/command_service.hpp"
#include "services/read_side.hpp"
#include "tests/domain/fixtures.hpp"
#include "tests/handlers/file_complaints.hpp"
#include "tests/infra/temp_dir.hpp"
#include "tests/projections/scenario.hpp"

using namespace bb;

TEST_CASE("a read-model snapshot decodes to the same model", "[read_side][snapshot]") {
    auto m = test::scenario();
    // What the scenario does not reach: a root cause's detail, outcomes credited to an owner
    // before a reassignment.
    auto& c4 = m.complaints.edit("c4").progress.edit();
    c4.root_cause_detail = "charged twice";
    c4.acknowledge_credit = employee_id{"cy"};
    c4.resolve_credit = employee_id{"dee"};
    c4.recovered_value = test::amount("80.25 EUR");
    m.escalations.push_back({complaint_id{"c2"}, 2, test::at("2026-11-16T18:00:00Z")});
    REQUIRE(m.compliments.size() == 2);
    std::stringstream text;
    codec::write_read_model(text, m, {{"hash", "h"}});
    const auto file = codec::read_read_model(text);
    REQUIRE(file.has_value());
    CHECK(file->header.at("hash") == "h");
    const auto* back = &file->model;
    CHECK(*back == m);
    // One policy object per applied policy, as in a folded model.
    std::map<std::string, policy_ref> first;
    for (const auto& [id, row] : back->complaints) {
        const auto [it, added] = first.emplace(row.state.policy->id, row.state.policy);
        CHECK((added || it->second.shares(row.state.policy)));
    }
    CHECK(first.size() < back->complaints.size());
    // Rows with nothing past their filing come back without a box, as folding leaves them.
    for (const auto& [id, row] : back->complaints)
        CHECK(row.progress.filled() == m.complaints.find(id)->second.progress.filled());
    // Each of them written once, before the rows that name it.
    std::size_t policy_lines = 0, row_lines = 0, frozen_bytes = 0;
    std::size_t frozen_starts = 0, frozen_ends = 0;  // where the block of bytes lies
    {
        std::stringstream lines(text.str());
        for (std::string line; std::getline(lines, line);) {
            if (line.starts_with(R"({"p":)")) ++policy_lines;
            // Rows are written directly, as nlohmann would dump the same document.
            if (line.starts_with(R"({"c":)")) {
                CHECK(nlohmann::json::parse(line).dump() == line);
                ++row_lines;
            }
            if (line.starts_with(R"({"frozen":)")) {
                CHECK(row_lines == 0);  // before any row line
                frozen_starts = static_cast<std::size_t>(lines.tellg());
                for (std::uint32_t n = 1; n != 0;) {
                    REQUIRE(lines.read(reinterpret_cast<char*>(&n), sizeof n));
                    std::string chunk(n, '\0');
                    REQUIRE(lines.read(chunk.data(), n));
                    frozen_bytes += n;
                }
                frozen_ends = static_cast<std::size_t>(lines.tellg());
            }
        }
    }
    CHECK(policy_lines == first.size());
    // The settled complaints (c1 recovered, c2 lost) are the block; the rest are lines.
    CHECK(m.complaints.frozen() == 2);
    CHECK(back->complaints.frozen() == 2);
    CHECK(row_lines == m.complaints.size() - 2);
    CHECK(frozen_bytes > 0);
    // Damage inside the block is refused: cut off there, or a row naming a name not in the pool.
    {
        std::stringstream cut_in_block(text.str().substr(0, frozen_ends - 10));
        CHECK_FALSE(codec::read_read_model(cut_in_block).has_value());
        auto bad = text.str();
        const auto c1 = bad.find("c1", frozen_starts);
        REQUIRE(c1 < frozen_ends);
        // The customer's name number: after the id and the row's 11 instants and 2 amounts.
        const auto customer = c1 + 2 + 11 * 8 + 2 * 8;
        const std::uint32_t unknown = 1000000;
        bad.replace(customer, sizeof unknown, reinterpret_cast<const char*>(&unknown),
                    sizeof unknown);
        std::stringstream unnamed_in_block(bad);
        CHECK_FALSE(codec::read_read_model(unnamed_in_block).has_value());
    }
    // Compliments and escalations are blocks of bytes too (format 6): read back equal, and a
    // file cut inside one, or a compliment naming more employees than its chunk holds, refused.
    CHECK(back->compliments == m.compliments);
    CHECK(back->escalations == m.escalations);
    {
        const auto s = text.str();
        const auto compliments = s.find(R"({"compliments":2})");
        const auto escalations = s.find(R"({"escalations":)");
        REQUIRE(compliments != std::string::npos);
        REQUIRE(escalations != std::string::npos);
        REQUIRE(compliments < escalations);
        std::stringstream cut_in_compliments(s.substr(0, escalations - 6));
        CHECK_FALSE(codec::read_read_model(cut_in_compliments).has_value());
        std::stringstream cut_in_escalations(s.substr(0, s.find(R"({"end":)") - 6));
        CHECK_FALSE(codec::read_read_model(cut_in_escalations).has_value());
        // The first compliment's employee count: after its key, id and customer (each a
        // 4-byte length and the text), past the chunk's length and byte-order mark.
        auto bad = s;
        auto pos = compliments + std::string(R"({"compliments":2})").size() + 1 + 4 + 4;
        for (const auto& text_field : {m.compliments[0].key.value(), m.compliments[0].id.value(),
                                       m.compliments[0].customer.value()})
            pos += 4 + text_field.size();
        std::uint32_t count = 0;
        std::memcpy(&count, bad.data() + pos, sizeof count);
        REQUIRE(count == m.compliments[0].employees.size());
        const std::uint32_t many = 1000000;
        bad.replace(pos, sizeof many, reinterpret_cast<const char*>(&many), sizeof many);
        std::stringstream too_many(bad);
        CHECK_FALSE(codec::read_read_model(too_many).has_value());
    }
    auto unknown_policy = text.str();
    const auto named = unknown_policy.find(R"("policy":)");
    REQUIRE(named != std::string::npos);
    unknown_policy.insert(named + 9, "99");
    std::stringstream unnamed(unknown_policy);
    CHECK_FALSE(codec::read_read_model(unnamed).has_value());
    // Anything not read completely is refused: another format, a cut-off or garbled line.
    std::stringstream old(R"({"format": 1, "position": 3})");
    CHECK_FALSE(codec::read_read_model(old).has_value());
    auto cut = text.str();
    cut.resize(cut.rfind('\n', cut.size() - 2) + 1);  // the last line gone, at a line boundary
    std::stringstream truncated(cut);
    CHECK_FALSE(codec::read_read_model(truncated).has_value());
    std::stringstream garbled(text.str() + "{\"c\": 1}\n");
    CHECK_FALSE(codec::read_read_model(garbled).has_value());
}

SCENARIO("the read side restarts from its checkpoint and ends where a full rebuild ends",
         "[read_side][snapshot]") {
    test::temp_dir dir;
    const auto db = (dir.path() / "events.db").string();
    const auto snap = dir.path() / "read_model.snapshot.json";
    const auto book = test::book();
    sqlite_event_log log({db, true, 64});
    metrics m;
    command_service commands(log, book, m);
    REQUIRE(commands.rebuild().has_value());
    test::file_complaints(commands, 0, 9, 3);
    {
        read_side first(log, snap);
        REQUIRE(first.start().has_value());
        CHECK_FALSE(first.loaded_snapshot());
        REQUIRE(first.save_snapshot());
    }
    test::file_complaints(commands, 10, 14, 3);

    read_side restarted(log, snap);
    REQUIRE(restarted.start().has_value());
    read_side rebuilt(log);
    REQUIRE(rebuilt.replay(std::nullopt).has_value());
    THEN("the restart used the checkpoint and folded only the rest") {
        CHECK(restarted.loaded_snapshot());
    }
    THEN("it equals a rebuild from position 0") {
        CHECK(restarted.position() == log.head());
        const auto a = restarted.read([](const auto& model) { return model; });
        const auto b = rebuilt.read([](const auto& model) { return model; });
        CHECK(a == b);
    }
    WHEN("the checkpoint does not match the log (another log, or tampering)") {
        std::stringstream text;
        text << std::ifstream(snap).rdbuf();
        auto header = nlohmann::json::parse(text.str().substr(0, text.str().find('\n')));
        header["hash"] = std::string(64, '0');
        std::ofstream(snap) << header.dump() << text.str().substr(text.str().find('\n'));
        read_side wary(log, snap);
        REQUIRE(wary.start().has_value());
        THEN("it is ignored and the model is folded from position 0") {
            CHECK_FALSE(wary.loaded_snapshot());
            CHECK(wary.position() == log.head());
        }
    }
}

// A snapshot costs time in proportion to the model: its interval grows with the log, so the
// cost per event stays bounded, and is capped so a restart folds at most a million events.
TEST_CASE("snapshots are spaced in proportion to the log, within bounds", "[read_side][snapshot]") {
    test::temp_dir dir;
    sqlite_event_log log({(dir.path() / "events.db").string(), false, 64});
    const read_side reads(log, dir.path() / "snap.json", 10000);
    CHECK(reads.snapshot_interval(0) == 10000);
    CHECK(reads.snapshot_interval(10000) == 10000);
    CHECK(reads.snapshot_interval(30000) == 30000);
    CHECK(reads.snapshot_interval(750000) == 750000);
    CHECK(reads.snapshot_interval(1500000) == 1000000);
    CHECK(reads.snapshot_interval(50000000) == 1000000);
    const read_side rare(log, dir.path() / "snap2.json", 2000000);
    CHECK(rare.snapshot_interval(50000000) == 2000000);
}
