#pragma once

#include <string>

#include "domain/complaint.hpp"
#include "projections/complaint_rows.hpp"

namespace bb {

// The read shape of a complaint for GET /v1/complaints/{id} (docs/api.md), as JSON text. Written
// directly, keys in the order nlohmann writes them (sorted): the hottest query route.
// `progress`, from the read side when it has the complaint, adds the root cause found; amounts
// recorded without a currency are shown in `fallback` (the configured default).
std::string complaint_view(const complaint_state& s,
                           const projection::complaint_progress* progress = nullptr,
                           currency fallback = {});

}  // namespace bb
