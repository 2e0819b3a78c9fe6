#pragma once

#include <variant>

#include "domain/complaint.hpp"
#include "domain/compliment.hpp"
#include "domain/prevention.hpp"

namespace bb {

// Every domain event, whichever aggregate decided it: what the log stores and projections fold.
using any_event = std::variant<complaint_event, compliment_received, prevention_action_recorded>;

}  // namespace bb
