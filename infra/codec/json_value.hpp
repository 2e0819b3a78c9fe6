#pragma once

// The two JSON backends our readers work on, behind one small interface: a nlohmann document
// (the general codec) and a simdjson DOM element (hot paths: replay's text_decoder, the inbound
// cloudevent_decoder). Same questions, same answers, so one template reads both and the hot path
// cannot drift from the general one. Include only in .cpp files (simdjson.h is large).

#include <cstdint>
#include <optional>
#include <string_view>

#include <simdjson.h>
#include <nlohmann/json.hpp>

namespace bb::codec {

struct nlohmann_value {
    const nlohmann::json* v;
    std::optional<nlohmann_value> field(const char* name) const {
        if (!v->is_object()) return std::nullopt;
        const auto it = v->find(name);
        if (it == v->end()) return std::nullopt;
        return nlohmann_value{&*it};
    }
    bool is_null() const { return v->is_null(); }
    bool is_array() const { return v->is_array(); }
    bool is_object() const { return v->is_object(); }
    std::optional<std::string_view> string() const {
        if (!v->is_string()) return std::nullopt;
        return std::string_view(v->get_ref<const std::string&>());
    }
    std::optional<double> number() const {
        if (!v->is_number()) return std::nullopt;
        return v->get<double>();
    }
    std::optional<int> integer() const {
        if (!v->is_number_integer()) return std::nullopt;
        return v->get<int>();
    }
    // An integer without narrowing (one above INT64_MAX wraps, as for simdjson_value).
    std::optional<std::int64_t> int64() const {
        if (!v->is_number_integer()) return std::nullopt;
        return v->get<std::int64_t>();
    }
    template <class F>
    void each(F&& f) const {
        for (const auto& e : *v) f(nlohmann_value{&e});
    }
};

struct simdjson_value {
    simdjson::dom::element v;
    std::optional<simdjson_value> field(const char* name) const {
        simdjson::dom::object o;
        if (v.get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
        simdjson::dom::element e;
        if (o.at_key(name).get(e) != simdjson::SUCCESS) return std::nullopt;
        return simdjson_value{e};
    }
    bool is_null() const { return v.is_null(); }
    bool is_array() const { return v.is_array(); }
    bool is_object() const { return v.is_object(); }
    std::optional<std::string_view> string() const {
        std::string_view out;
        if (v.get_string().get(out) != simdjson::SUCCESS) return std::nullopt;
        return out;
    }
    std::optional<double> number() const {
        double out = 0;
        if (v.get_double().get(out) != simdjson::SUCCESS) return std::nullopt;
        return out;
    }
    std::optional<int> integer() const {
        const auto i = int64();
        if (!i) return std::nullopt;
        return static_cast<int>(*i);
    }
    std::optional<std::int64_t> int64() const {
        std::int64_t i = 0;
        if (v.get_int64().get(i) == simdjson::SUCCESS) return i;
        std::uint64_t u = 0;
        if (v.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<std::int64_t>(u);
        return std::nullopt;
    }
    template <class F>
    void each(F&& f) const {
        simdjson::dom::array a;
        if (v.get_array().get(a) != simdjson::SUCCESS) return;
        for (const auto e : a) f(simdjson_value{e});
    }
};

}  // namespace bb::codec
