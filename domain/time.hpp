#pragma once

#include <chrono>

namespace bb {

// Every instant in the domain is a UTC point with second precision; sub-second parts of
// inbound timestamps are dropped at the edge so that replays compare exactly.
using instant = std::chrono::sys_seconds;
using duration = std::chrono::seconds;

}  // namespace bb
