#pragma once

#include <string>

#include "domain/complaint.hpp"

namespace bb {

// The read shape of a complaint for GET /v1/complaints/{id} (docs/api.md), as JSON text. Written
// directly, keys in the order nlohmann writes them (sorted): the hottest query route.
std::string complaint_view(const complaint_state& s);

}  // namespace bb
