#pragma once

#include <ostream>

namespace bb::app {

// Runs a built-in scenario through the pure domain and prints the events and SLA outcomes.
// Needs no store, no network and no clock: a newcomer's first look at what Bounceback decides.
int run_demo(std::ostream& out);

}  // namespace bb::app
