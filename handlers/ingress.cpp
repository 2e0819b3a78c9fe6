#include "handlers/ingress.hpp"

#include <nlohmann/json.hpp>

#include "infra/codec/event_codec.hpp"

namespace bb {

std::optional<complaint_state> fold_complaint(event_log& log, const complaint_id& id) {
    const auto events = log.read_stream(complaint_stream(id), 1);
    if (!events || events->empty()) return std::nullopt;
    complaint_state state;
    for (const auto& r : *events) {
        const auto d = codec::decode(r.type, nlohmann::json::parse(r.data, nullptr, false),
                                     idempotency_key{r.idempotency_key}, r.time);
        if (!d) return std::nullopt;
        if (const auto* e = std::get_if<complaint_event>(&*d)) state = evolve(std::move(state), *e);
    }
    if (state.status == complaint_status::unfiled) return std::nullopt;
    return state;
}

}  // namespace bb
