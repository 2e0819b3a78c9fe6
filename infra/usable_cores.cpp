#include "infra/usable_cores.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

namespace bb {

unsigned usable_cores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        return std::max(static_cast<unsigned>(CPU_COUNT(&set)), 1u);
    return std::max(std::thread::hardware_concurrency(), 1u);
}

}  // namespace bb
