#pragma once

#include <filesystem>
#include <functional>
#include <ostream>

namespace bb {

// A file replaced atomically: `write` fills a temporary file (returning false abandons it),
// which is fsynced and renamed over `path`. Written as a stream, so a big snapshot never has to
// exist in memory as one string.
bool save_snapshot_file(const std::filesystem::path& path,
                        const std::function<bool(std::ostream&)>& write);

}  // namespace bb
