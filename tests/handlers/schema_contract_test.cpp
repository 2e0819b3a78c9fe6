// The JSON Schemas in schemas/inbound are the published contract; the decoder must accept
// their examples and refuse each one without any of its required fields, naming that field.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "handlers/ingress/cloudevent_decoder.hpp"

using nlohmann::json;
using namespace bb;

namespace {

json load(const std::filesystem::path& p) {
    std::ifstream in(p);
    return json::parse(in);
}

std::expected<inbound::command, inbound::invalid_input> decode(const std::string& type,
                                                               const json& data) {
    const json ev{{"specversion", "1.0"},           {"id", "x-1"},
                  {"source", "contract"},           {"type", type},
                  {"time", "2026-11-20T10:00:00Z"}, {"data", data}};
    const auto e = inbound::parse_event(ev);
    if (!e) return std::unexpected(e.error());
    return inbound::to_command(*e);
}

// Removes each required property (recursively into required objects) and expects a refusal
// naming it.
void check_required(const std::string& type, const json& schema, const json& example, json& root,
                    json::json_pointer at, const std::string& field) {
    if (!schema.contains("required")) return;
    for (const auto& name : schema["required"]) {
        const auto key = name.get<std::string>();
        auto broken = root;
        broken[at].erase(key);
        const auto r = decode(type, broken);
        INFO(type << " without " << field << key);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().field == "data." + field + key);
        const auto& sub = schema["properties"][key];
        if (sub.contains("type") && sub["type"] == "object" && example[key].is_object())
            check_required(type, sub, example[key], root, at / key, field + key + ".");
    }
}

}  // namespace

TEST_CASE("every inbound type has a schema the decoder agrees with", "[handlers][contract]") {
    const std::filesystem::path dir =
        std::filesystem::path(BOUNCEBACK_SOURCE_DIR) / "schemas" / "inbound";
    for (const auto type : inbound::known_types()) {
        const auto path = dir / (std::string(type) + ".schema.json");
        INFO(path);
        REQUIRE(std::filesystem::exists(path));
        const auto schema = load(path);
        REQUIRE(schema["examples"].is_array());
        for (const auto& example : schema["examples"]) {
            CHECK(decode(std::string(type), example).has_value());
            auto root = example;
            check_required(std::string(type), schema, example, root, json::json_pointer{}, "");
        }
    }
}
