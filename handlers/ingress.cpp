#include "handlers/ingress.hpp"

#include "handlers/stream_fold.hpp"

namespace bb {

complaint_lookup fold_complaint(event_log& log, const complaint_id& id) {
    const auto folded = fold_stream<complaint_state>(log, complaint_stream(id));
    if (!folded) return std::unexpected(folded.error());
    if (folded->state.status == complaint_status::unfiled) return std::nullopt;
    return folded->state;
}

}  // namespace bb
