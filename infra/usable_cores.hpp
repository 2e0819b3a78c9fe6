#pragma once

namespace bb {

// The cores this process may run on (its CPU affinity: `taskset`, a container's cpuset), at
// least 1. std::thread::hardware_concurrency() counts the machine's cores instead, and a server
// confined to one core then runs threads that only take turns on it.
unsigned usable_cores();

}  // namespace bb
