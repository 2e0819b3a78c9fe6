#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace bb {

// A progress bar on stderr for long CLI operations; silent when stderr is not a terminal, so
// piped and CI output stays clean. Redraws at most ten times a second.
class progress {
  public:
    progress(std::string label, std::uint64_t total);
    ~progress();
    void update(std::uint64_t done);

  private:
    std::string label_;
    std::uint64_t total_;
    bool enabled_;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace bb
