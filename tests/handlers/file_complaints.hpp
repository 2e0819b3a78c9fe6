#pragma once

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "services/command_service.hpp"
#include "tests/domain/fixtures.hpp"

namespace bb::test {

// Files complaints c<first>..c<last> through the command service, one minute apart from `start`,
// for `customers` customers in turn, odd ones vip: the events a service would write.
inline void file_complaints(command_service& commands, int first, int last, int customers,
                            instant start = at("2026-11-20T10:00:00Z")) {
    for (int i = first; i <= last; ++i) {
        const auto when = start + std::chrono::minutes{i};
        REQUIRE(commands
                    .handle(complaint_command{filing(
                                "c" + std::to_string(i), "cust-" + std::to_string(i % customers),
                                i % 2 ? "vip" : "standard", severity::high, when)},
                            command_meta{"t/" + std::to_string(i), "t", when})
                    .has_value());
    }
}

}  // namespace bb::test
