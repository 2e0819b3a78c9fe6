#include "infra/progress.hpp"

#include <cstdio>

#include <unistd.h>

namespace bb {

progress::progress(std::string label, std::uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(isatty(STDERR_FILENO) == 1 && total > 0) {}

progress::~progress() {
    if (!enabled_) return;
    update(total_);
    std::fputc('\n', stderr);
}

void progress::update(std::uint64_t done) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr int width = 30;
    const auto filled = static_cast<int>(width * std::min(done, total_) / total_);
    std::fprintf(stderr, "\r%s [%.*s%*s] %3d%%", label_.c_str(), filled,
                 "##############################", width - filled, "",
                 static_cast<int>(100 * std::min(done, total_) / total_));
    std::fflush(stderr);
}

}  // namespace bb
