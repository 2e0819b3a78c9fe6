#include "handlers/stream_fold.hpp"

namespace bb {

std::expected<codec::any_event, std::error_code> decode_record(const event_record& r) {
    auto decoded = codec::decode(r.type, nlohmann::json::parse(r.data, nullptr, false),
                                 idempotency_key{r.idempotency_key}, r.time);
    if (!decoded) return std::unexpected(make_error_code(log_errc::corrupt_record));
    return std::move(*decoded);
}

}  // namespace bb
