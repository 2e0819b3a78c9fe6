#pragma once

#include <vector>

#include <nlohmann/json.hpp>

namespace bb::test {

// Every variant of `doc` with one member removed, or given each of `wrong` in its place, at any
// depth (leaves and the objects and arrays holding them): what a decoder must refuse, or read
// the same way as another decoder.
std::vector<nlohmann::json> damaged(const nlohmann::json& doc,
                                    const std::vector<nlohmann::json>& wrong);

}  // namespace bb::test
