#pragma once

#include <nlohmann/json.hpp>

#include "domain/complaint.hpp"

namespace bb {

// The read shape of a complaint for GET /v1/complaints/{id} (docs/api.md).
nlohmann::json complaint_view(const complaint_state& s);

}  // namespace bb
