#include "handlers/ingress/kafka_record_decoder.hpp"

namespace bb::inbound {

using nlohmann::json;

std::expected<cloud_event, invalid_input> from_kafka(const kafka::record& r) {
    if (r.value.size() > max_record_bytes)
        return std::unexpected(invalid_input{
            413, "", "the record is larger than " + std::to_string(max_record_bytes) + " bytes",
            0});
    if (r.header("ce_specversion")) {
        json event = json::object();
        for (const auto& [name, value] : r.headers) {
            if (!name.starts_with("ce_") || name.size() <= 3) continue;
            if (!valid_utf8(name) || !valid_utf8(value))
                return std::unexpected(
                    invalid_input{422, name.substr(3), "the header is not UTF-8", 0});
            event[name.substr(3)] = value;
        }
        auto data = json::parse(r.value, nullptr, false);
        if (data.is_discarded())
            return std::unexpected(
                invalid_input{400, "data", "the record value is not valid JSON", 0});
        event["data"] = std::move(data);
        if (const auto ct = r.header("content-type")) {
            if (!valid_utf8(*ct))
                return std::unexpected(
                    invalid_input{422, "datacontenttype", "the header is not UTF-8", 0});
            event["datacontenttype"] = *ct;
        }
        return parse_event(event);
    }
    return parse_record_value(r.value);
}

std::expected<decoded_event, invalid_input> decode_kafka_record(const kafka::record& r,
                                                                cloudevent_decoder& d) {
    if (r.header("ce_specversion") || r.value.size() > max_record_bytes) {
        auto e = from_kafka(r);
        if (!e) return std::unexpected(e.error());
        auto c = to_command(*e);
        if (!c) return std::unexpected(c.error());
        return decoded_event{std::move(*e), std::move(*c)};
    }
    return d.decode_event(r.value);
}

}  // namespace bb::inbound
