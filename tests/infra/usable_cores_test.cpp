#include <sched.h>

#include <catch2/catch.hpp>

#include "infra/usable_cores.hpp"

TEST_CASE("usable cores follow the process's CPU affinity", "[infra][usable_cores]") {
    cpu_set_t before;
    CPU_ZERO(&before);
    REQUIRE(sched_getaffinity(0, sizeof(before), &before) == 0);
    CHECK(bb::usable_cores() == static_cast<unsigned>(CPU_COUNT(&before)));

    // Confined to one of its cores, as `taskset -c N` would start it.
    int first = 0;
    while (!CPU_ISSET(first, &before)) ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    REQUIRE(sched_setaffinity(0, sizeof(one), &one) == 0);
    const auto confined = bb::usable_cores();
    REQUIRE(sched_setaffinity(0, sizeof(before), &before) == 0);
    CHECK(confined == 1);
}
