#include "infra/codec/cloudevent_codec.hpp"

#include "infra/iso8601.hpp"

namespace bb::codec {

using nlohmann::json;

json to_cloudevent(const event_record& r) {
    return json{{"specversion", "1.0"},
                {"id", r.stream + "/" + std::to_string(r.version)},
                {"source", "bounceback"},
                {"type", r.type},
                {"subject", r.stream},
                {"time", iso8601::format_instant(r.time)},
                {"datacontenttype", "application/json"},
                {"data", json::parse(r.data, nullptr, false)},
                {"streamid", r.stream},
                {"streamversion", r.version},
                {"position", r.position},
                {"partitionkey", r.partition_key},
                {"recordedat", iso8601::format_instant(r.recorded_at)},
                {"idempotencykey", r.idempotency_key},
                {"causationid", r.causation_id},
                {"correlationid", r.correlation_id},
                {"prevhash", r.prev_hash},
                {"hash", r.hash}};
}

std::expected<event_record, std::string> from_cloudevent(const json& j) {
    if (!j.is_object()) return std::unexpected("a CloudEvent must be an object");
    auto str = [&](const char* k) -> std::expected<std::string, std::string> {
        if (!j.contains(k) || !j[k].is_string())
            return std::unexpected(std::string(k) + " must be a string");
        return j[k].get<std::string>();
    };
    auto num = [&](const char* k) -> std::expected<std::int64_t, std::string> {
        if (!j.contains(k) || !j[k].is_number_integer())
            return std::unexpected(std::string(k) + " must be an integer");
        return j[k].get<std::int64_t>();
    };
    event_record r;
    for (auto [field, name] : {std::pair{&r.stream, "streamid"},
                               {&r.type, "type"},
                               {&r.partition_key, "partitionkey"},
                               {&r.idempotency_key, "idempotencykey"},
                               {&r.causation_id, "causationid"},
                               {&r.correlation_id, "correlationid"},
                               {&r.prev_hash, "prevhash"},
                               {&r.hash, "hash"}}) {
        const auto v = str(name);
        if (!v) return std::unexpected(v.error());
        *field = *v;
    }
    for (auto [field, name] : {std::pair{&r.version, "streamversion"}, {&r.position, "position"}}) {
        const auto v = num(name);
        if (!v) return std::unexpected(v.error());
        *field = *v;
    }
    for (auto [field, name] : {std::pair{&r.time, "time"}, {&r.recorded_at, "recordedat"}}) {
        const auto v = str(name);
        if (!v) return std::unexpected(v.error());
        const auto t = iso8601::parse_instant(*v);
        if (!t) return std::unexpected(std::string(name) + " must be an RFC 3339 instant");
        *field = *t;
    }
    if (!j.contains("data") || !j["data"].is_object())
        return std::unexpected("data must be an object");
    r.data = j["data"].dump();
    return r;
}

}  // namespace bb::codec
