#include "infra/logger.hpp"

#include <chrono>
#include <iostream>
#include <mutex>

#include <date/date.h>

namespace bb {

void log_line(const std::string& line) {
    static std::mutex mutex;
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    std::lock_guard lock(mutex);
    std::cerr << date::format("%FT%TZ", now) << ' ' << line << '\n';
}

}  // namespace bb
