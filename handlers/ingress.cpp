#include "handlers/ingress.hpp"

#include "handlers/stream_fold.hpp"

namespace bb {

std::optional<complaint_state> fold_complaint(event_log& log, const complaint_id& id) {
    const auto folded = fold_stream<complaint_state>(log, complaint_stream(id));
    if (!folded || folded->state.status == complaint_status::unfiled) return std::nullopt;
    return folded->state;
}

}  // namespace bb
