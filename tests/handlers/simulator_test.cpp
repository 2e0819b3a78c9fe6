#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "handlers/ingress/cloudevent_decoder.hpp"
#include "handlers/simulator.hpp"
#include "infra/iso8601.hpp"

using namespace bb;

namespace {

std::vector<nlohmann::json> run(const simulation& s) {
    std::vector<nlohmann::json> out;
    simulate(s, [&](const nlohmann::json& e) { out.push_back(e); });
    return out;
}

simulation sized(std::size_t events, std::uint64_t seed) {
    simulation s;
    s.events = events;
    s.seed = seed;
    s.start = *iso8601::parse_instant("2026-01-05T08:00:00Z");
    return s;
}

}  // namespace

SCENARIO("the simulator makes a reproducible, time-ordered, valid inbound stream", "[simulator]") {
    GIVEN("a simulation of 6,000 events with seed 11") {
        const auto s = sized(6000, 11);
        WHEN("it runs") {
            const auto events = run(s);
            THEN("it gives exactly that many events, in time order, each a valid command") {
                REQUIRE(events.size() == 6000);
                instant last{};
                std::set<std::string> ids;
                for (const auto& j : events) {
                    const auto e = inbound::parse_event(j);
                    REQUIRE(e.has_value());
                    CHECK(inbound::to_command(*e).has_value());
                    CHECK(e->time >= last);
                    last = e->time;
                    CHECK(ids.insert(e->source + "/" + e->id).second);
                }
            }
            THEN("every inbound type appears") {
                std::set<std::string> types;
                for (const auto& j : events) types.insert(j.at("type").get<std::string>());
                for (const auto t : inbound::known_types()) CHECK(types.contains(std::string(t)));
            }
            THEN("each complaint is filed before anything else happens to it") {
                std::set<std::string> filed;
                for (const auto& j : events) {
                    const auto& data = j.at("data");
                    const auto type = j.at("type").get<std::string>();
                    if (!type.starts_with("complaint.")) continue;
                    const auto id = data.at("complaint_id").get<std::string>();
                    if (type == "complaint.filed")
                        CHECK(filed.insert(id).second);
                    else
                        CHECK(filed.contains(id));
                }
                CHECK(filed.size() > 400);
            }
        }
        WHEN("it runs again with the same seed, and with another") {
            const auto first = run(s);
            const auto again = run(s);
            const auto other = run(sized(6000, 12));
            THEN("the same seed gives the same stream and another seed a different one") {
                CHECK(first == again);
                CHECK(first != other);
            }
        }
    }
}

TEST_CASE("the simulator's stream for a seed is fixed by the project, not the standard library",
          "[simulator]") {
    // Its draws use only mt19937_64's words (which the standard fixes) and IEEE arithmetic, not
    // <random>'s distributions (which it does not): these values were recorded from the
    // implementation and must come out the same wherever it is built.
    const auto events = run(sized(3, 11));
    REQUIRE(events.size() == 3);
    CHECK(events[0].at("time") == "2026-01-05T08:04:47Z");
    CHECK(events[0].at("data").at("customer").at("value") == 246.0);
    CHECK(events[0].at("data").at("category") == "staff_attitude");
    CHECK(events[0].at("data").at("channel") == "chat");
    CHECK(events[1].at("time") == "2026-01-05T08:05:49Z");
    CHECK(events[2].at("time") == "2026-01-05T23:08:25Z");
}

TEST_CASE("simulated root causes follow the filing category and actions aim at the top one",
          "[simulator]") {
    const auto events = run(sized(20000, 7));
    std::map<std::string, std::string> filed_as;
    std::map<std::string, std::size_t> found;
    std::size_t same = 0, causes = 0;
    std::vector<std::string> actions;
    for (const auto& e : events) {
        const auto type = e.at("type").get<std::string>();
        const auto& d = e.at("data");
        if (type == "complaint.filed") filed_as[d.at("complaint_id")] = d.at("category");
        if (type == "complaint.root_cause_found") {
            const auto cause = d.at("root_cause").at("category").get<std::string>();
            ++found[cause];
            ++causes;
            if (filed_as.at(d.at("complaint_id")) == cause) ++same;
        }
        if (type == "prevention.action_recorded") actions.push_back(d.at("category"));
    }
    // 65% are the filing category by construction, plus the misfiled ones that draw it again
    // (billing 30%, delivery 22%, ...): ~72%; a root cause drawn independently would match
    // ~21% of the time.
    REQUIRE(causes > 1000);
    CHECK(static_cast<double>(same) / static_cast<double>(causes) > 0.65);
    CHECK(static_cast<double>(same) / static_cast<double>(causes) < 0.80);
    // billing is the most common cause: the actions target it.
    REQUIRE_FALSE(actions.empty());
    for (const auto& a : actions) CHECK(a == "billing");
}
