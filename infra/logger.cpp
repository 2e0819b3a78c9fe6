#include "infra/logger.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>

#include "infra/iso8601.hpp"

namespace bb {

// One line, one write(2): std::cerr flushes after every insertion (several system calls per
// line) and date::format builds an ostream per call; every request logs a line, so this was 3%
// of the webhook ingest profile (docs/benchmarks.md).
void log_line(const std::string& line) {
    static std::mutex mutex;
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const auto secs = std::chrono::floor<std::chrono::seconds>(now);
    const auto millis = (now - secs).count();
    auto out = iso8601::format_instant(secs);  // ...:SSZ
    out.pop_back();
    out += '.';
    out += static_cast<char>('0' + millis / 100);
    out += static_cast<char>('0' + millis / 10 % 10);
    out += static_cast<char>('0' + millis % 10);
    out += "Z ";
    out += line;
    out += '\n';
    std::lock_guard lock(mutex);
    std::fwrite(out.data(), 1, out.size(), stderr);
}

}  // namespace bb
