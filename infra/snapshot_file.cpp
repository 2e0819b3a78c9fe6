#include "infra/snapshot_file.hpp"

#include <cstdio>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

namespace bb {

bool save_snapshot_file(const std::filesystem::path& path, const nlohmann::json& doc) {
    const auto tmp = path.string() + ".tmp";
    const auto text = doc.dump();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    std::size_t written = 0;
    while (written < text.size()) {
        const auto n = ::write(fd, text.data() + written, text.size() - written);
        if (n <= 0) {
            ::close(fd);
            return false;
        }
        written += static_cast<std::size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    return synced && std::rename(tmp.c_str(), path.c_str()) == 0;
}

std::optional<nlohmann::json> load_snapshot_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
}

}  // namespace bb
