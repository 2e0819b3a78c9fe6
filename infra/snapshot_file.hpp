#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace bb {

// A JSON document replaced atomically: written to a temporary file, fsynced, renamed.
bool save_snapshot_file(const std::filesystem::path& path, const nlohmann::json& doc);
std::optional<nlohmann::json> load_snapshot_file(const std::filesystem::path& path);

}  // namespace bb
