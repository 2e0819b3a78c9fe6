#include "handlers/ingress/kafka_record_decoder.hpp"

namespace bb::inbound {

using nlohmann::json;

namespace {

// Header bytes become JSON strings, which must be UTF-8 (the JSON text of a structured event is
// checked by the parser; headers are not). Found by fuzz_cloudevent: an event with a Latin-1
// `ce_source` was accepted and its encoding threw later.
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size()) return false;  // truncated sequence
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values beyond U+10FFFF are not UTF-8.
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        i += n + 1;
    }
    return true;
}

}  // namespace

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
