#pragma once

#include <functional>
#include <memory>

#include "infra/event_log.hpp"

namespace bb::test {

// Opens the log under test. fresh = true starts from an empty log; false reopens the one the
// previous call opened (after the previous instance was destroyed).
using log_factory = std::function<std::unique_ptr<event_log>(bool fresh)>;

// The behaviour every event_log must have; called from a TEST_CASE per implementation.
void event_log_conformance(const log_factory& open);

}  // namespace bb::test
