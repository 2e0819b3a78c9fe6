#include "handlers/stream_fold.hpp"

namespace bb {

std::expected<codec::any_event, std::error_code> decode_stored(const event_record& r) {
    auto decoded = codec::decode(r.type, nlohmann::json::parse(r.data, nullptr, false),
                                 idempotency_key{r.idempotency_key}, r.time);
    if (!decoded) return std::unexpected(make_error_code(log_errc::corrupt_record));
    return std::move(*decoded);
}

std::string complaint_stream(const complaint_id& id) {
    return "complaint-" + id.value();
}

complaint_lookup fold_complaint(event_log& log, const complaint_id& id) {
    const auto folded = fold_stream<complaint_state>(log, complaint_stream(id));
    if (!folded) return std::unexpected(folded.error());
    if (folded->state.status == complaint_status::unfiled) return std::nullopt;
    return folded->state;
}

}  // namespace bb
