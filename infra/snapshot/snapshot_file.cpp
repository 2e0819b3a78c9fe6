#include "infra/snapshot/snapshot_file.hpp"

#include <cstdio>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

namespace bb {

bool save_snapshot_file(const std::filesystem::path& path,
                        const std::function<bool(std::ostream&)>& write) {
    const auto tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out || !write(out)) return false;
        out.flush();
        if (!out) return false;
    }
    const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    return synced && std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace bb
