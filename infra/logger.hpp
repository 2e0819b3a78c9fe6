#pragma once

#include <string>

namespace bb {

// One line per call on stderr, prefixed with the UTC wall time; thread-safe. Written in batches
// by a thread of its own (at most 20 ms later; everything by the time the process exits). Callers
// never pass secrets (tokens, webhook secrets, signatures): the test suite greps the output for
// them.
void log_line(const std::string& line);

}  // namespace bb
