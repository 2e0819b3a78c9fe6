#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace bb::test {

// A directory of its own under the system temp dir, removed with everything in it.
class temp_dir {
  public:
    temp_dir() {
        std::random_device rd;
        path_ =
            std::filesystem::temp_directory_path() / ("bounceback-test-" + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace bb::test
