#include "infra/codec/cloudevent_codec.hpp"

#include <optional>

#include <simdjson.h>

#include "infra/codec/json_writer.hpp"
#include "infra/iso8601.hpp"

namespace bb::codec {

using nlohmann::json;

namespace {

// The envelope's attributes as record fields, in the order their absence is reported.
constexpr std::pair<std::string event_record::*, const char*> string_attributes[] = {
    {&event_record::stream, "streamid"},
    {&event_record::type, "type"},
    {&event_record::partition_key, "partitionkey"},
    {&event_record::idempotency_key, "idempotencykey"},
    {&event_record::causation_id, "causationid"},
    {&event_record::correlation_id, "correlationid"},
    {&event_record::prev_hash, "prevhash"},
    {&event_record::hash, "hash"}};
constexpr std::pair<std::int64_t event_record::*, const char*> integer_attributes[] = {
    {&event_record::version, "streamversion"}, {&event_record::position, "position"}};
constexpr std::pair<instant event_record::*, const char*> time_attributes[] = {
    {&event_record::time, "time"}, {&event_record::recorded_at, "recordedat"}};

// Attributes an event may lack (written before they existed, or decided outside a trace).
constexpr std::pair<std::string event_record::*, const char*> optional_attributes[] = {
    {&event_record::traceparent, "traceparent"}, {&event_record::tracestate, "tracestate"}};

constexpr auto n_strings = std::size(string_attributes);
constexpr auto n_integers = std::size(integer_attributes);
constexpr auto data_index = n_strings + n_integers + std::size(time_attributes);

// The attributes numbered in that order, data last.
const char* attribute_name(std::size_t i) {
    if (i < n_strings) return string_attributes[i].second;
    if (i < n_strings + n_integers) return integer_attributes[i - n_strings].second;
    if (i < data_index) return time_attributes[i - n_strings - n_integers].second;
    return "data";
}

// What attribute i must be, as the messages say it.
const char* attribute_kind(std::size_t i) {
    if (i < n_strings) return "a string";
    if (i < n_strings + n_integers) return "an integer";
    if (i < data_index) return "a string";
    return "an object";
}

std::optional<std::size_t> attribute_index(std::string_view key) {
    for (std::size_t i = 0; i <= data_index; ++i)
        if (key == attribute_name(i)) return i;
    return std::nullopt;
}

std::unexpected<std::string> must_be(const char* name, const char* what) {
    return std::unexpected(std::string(name) + " must be " + what);
}

}  // namespace

json to_cloudevent(const event_record& r) {
    json j{{"specversion", "1.0"},
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
    // The CloudEvents distributed-tracing extension, on events decided in a trace.
    if (!r.traceparent.empty()) j["traceparent"] = r.traceparent;
    if (!r.tracestate.empty()) j["tracestate"] = r.tracestate;
    return j;
}

// The members in the order nlohmann's object (a std::map) dumps them.
std::string cloudevent_text(const event_record& r) {
    json_writer w;
    w.begin_object()
        .key("causationid")
        .value(r.causation_id)
        .key("correlationid")
        .value(r.correlation_id)
        .key("data")
        .raw(r.data)
        .key("datacontenttype")
        .value("application/json")
        .key("hash")
        .value(r.hash)
        .key("id")
        .value(r.stream + "/" + std::to_string(r.version))
        .key("idempotencykey")
        .value(r.idempotency_key)
        .key("partitionkey")
        .value(r.partition_key)
        .key("position")
        .value(r.position)
        .key("prevhash")
        .value(r.prev_hash)
        .key("recordedat")
        .value(iso8601::format_instant(r.recorded_at))
        .key("source")
        .value("bounceback")
        .key("specversion")
        .value("1.0")
        .key("streamid")
        .value(r.stream)
        .key("streamversion")
        .value(r.version)
        .key("subject")
        .value(r.stream)
        .key("time")
        .value(iso8601::format_instant(r.time));
    if (!r.traceparent.empty()) w.key("traceparent").value(r.traceparent);
    if (!r.tracestate.empty()) w.key("tracestate").value(r.tracestate);
    w.key("type").value(r.type).end_object();
    return w.take();
}

std::expected<event_record, std::string> from_cloudevent(const json& j) {
    if (!j.is_object()) return std::unexpected("a CloudEvent must be an object");
    event_record r;
    for (const auto& [field, name] : string_attributes) {
        if (!j.contains(name) || !j[name].is_string()) return must_be(name, "a string");
        r.*field = j[name].get<std::string>();
    }
    for (const auto& [field, name] : integer_attributes) {
        if (!j.contains(name) || !j[name].is_number_integer()) return must_be(name, "an integer");
        r.*field = j[name].get<std::int64_t>();
    }
    for (const auto& [field, name] : time_attributes) {
        if (!j.contains(name) || !j[name].is_string()) return must_be(name, "a string");
        const auto t = iso8601::parse_instant(j[name].get<std::string>());
        if (!t) return must_be(name, "an RFC 3339 instant");
        r.*field = *t;
    }
    if (!j.contains("data") || !j["data"].is_object()) return must_be("data", "an object");
    r.data = j["data"].dump();
    for (const auto& [field, name] : optional_attributes) {
        if (!j.contains(name)) continue;
        if (!j[name].is_string()) return must_be(name, "a string");
        r.*field = j[name].get<std::string>();
    }
    return r;
}

struct cloudevent_reader::impl {
    simdjson::ondemand::parser parser;
    std::string padded;  // the text and the padding simdjson reads past its end, reused
};

cloudevent_reader::cloudevent_reader() : impl_(std::make_unique<impl>()) {}
cloudevent_reader::~cloudevent_reader() = default;

std::expected<event_record, std::string> cloudevent_reader::read(std::string_view text) {
    const auto not_json = [] { return std::unexpected(std::string("the record is not JSON")); };
    auto& buf = impl_->padded;
    buf.assign(text);
    buf.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::ondemand::document doc;
    if (impl_->parser.iterate(buf.data(), text.size(), buf.size()).get(doc)) return not_json();
    simdjson::ondemand::json_type type;
    if (doc.type().get(type)) return not_json();
    simdjson::ondemand::object object;
    if (type != simdjson::ondemand::json_type::object)
        return std::unexpected("a CloudEvent must be an object");
    if (doc.get_object().get(object)) return not_json();  // unclosed, or something after it

    // Each attribute taken as it comes (one pass); which ones came is checked after, in the
    // order from_cloudevent reports their absence.
    event_record r;
    std::uint32_t seen = 0;  // bit i: attribute i of attribute_index's numbering
    for (auto field : object) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return not_json();
        const auto i = attribute_index(key);
        if (!i) {
            for (const auto& [member, name] : optional_attributes) {
                if (key != name) continue;
                std::string_view s;
                if (field.value().get_string().get(s)) return must_be(name, "a string");
                r.*member = std::string(s);
            }
            continue;  // the others (id, source, ...) are derived from these
        }
        seen |= 1u << *i;
        auto value = field.value();
        std::string_view s;
        if (*i < n_strings) {
            if (value.get_string().get(s)) return must_be(attribute_name(*i), attribute_kind(*i));
            r.*string_attributes[*i].first = std::string(s);
        } else if (*i < n_strings + n_integers) {
            if (value.get_int64().get(r.*integer_attributes[*i - n_strings].first))
                return must_be(attribute_name(*i), attribute_kind(*i));
        } else if (*i < data_index) {
            if (value.get_string().get(s)) return must_be(attribute_name(*i), attribute_kind(*i));
            const auto t = iso8601::parse_instant(s);
            if (!t) return must_be(attribute_name(*i), "an RFC 3339 instant");
            r.*time_attributes[*i - n_strings - n_integers].first = *t;
        } else {
            simdjson::ondemand::object data;
            if (value.get_object().get(data)) return must_be("data", attribute_kind(*i));
            if (data.raw_json().get(s)) return not_json();
            while (!s.empty() &&
                   (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
                s.remove_suffix(1);
            r.data = std::string(s);
        }
    }
    const char* trailing = nullptr;  // a token after the object (at the end: OUT_OF_BOUNDS)
    if (doc.current_location().get(trailing) == simdjson::SUCCESS) return not_json();
    for (std::size_t i = 0; i <= data_index; ++i)
        if (!(seen & (1u << i))) return must_be(attribute_name(i), attribute_kind(i));
    return r;
}

}  // namespace bb::codec
