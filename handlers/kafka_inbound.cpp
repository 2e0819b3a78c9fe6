#include "handlers/kafka_inbound.hpp"

namespace bb::inbound {

using nlohmann::json;

std::expected<cloud_event, invalid_input> from_kafka(const kafka::record& r) {
    if (r.value.size() > max_record_bytes)
        return std::unexpected(invalid_input{
            413, "", "the record is larger than " + std::to_string(max_record_bytes) + " bytes",
            0});
    if (r.header("ce_specversion")) {
        json event = json::object();
        for (const auto& [name, value] : r.headers)
            if (name.starts_with("ce_") && name.size() > 3) event[name.substr(3)] = value;
        auto data = json::parse(r.value, nullptr, false);
        if (data.is_discarded())
            return std::unexpected(
                invalid_input{400, "data", "the record value is not valid JSON", 0});
        event["data"] = std::move(data);
        if (const auto ct = r.header("content-type")) event["datacontenttype"] = *ct;
        return parse_event(event);
    }
    const auto j = json::parse(r.value, nullptr, false);
    if (j.is_discarded())
        return std::unexpected(invalid_input{400, "", "the record value is not valid JSON", 0});
    if (!j.is_object())
        return std::unexpected(invalid_input{422, "", "a record carries one CloudEvent object", 0});
    return parse_event(j);
}

}  // namespace bb::inbound
