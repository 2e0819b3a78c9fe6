#include "infra/codec/json_writer.hpp"

#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

using bb::codec::json_writer;
using json = nlohmann::json;

namespace {

std::string nlohmann_text(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

TEST_CASE("json_writer writes what nlohmann dumps for the same document", "[json]") {
    json_writer w;
    w.begin_object()
        .key("id")
        .value("c-1")
        .key("n")
        .value(std::int64_t{-42})
        .key("ok")
        .value(true)
        .key("no")
        .value(false)
        .key("v")
        .value(1234.5)
        .key("z")
        .value(0.0)
        .key("none")
        .null()
        .key("inner")
        .begin_object()
        .key("a")
        .value("x")
        .key("deeper")
        .begin_object()
        .key("b")
        .null()
        .end_object()
        .key("c")
        .value(std::int64_t{7})
        .end_object()
        .key("empty")
        .begin_object()
        .end_object()
        .key("last")
        .value("\"quoted\" \\ \b\f\n\r\t \x01\x1f \x7f é 日本 😀")
        .end_object();
    const json doc = {{"id", "c-1"},
                      {"n", -42},
                      {"ok", true},
                      {"no", false},
                      {"v", 1234.5},
                      {"z", 0.0},
                      {"none", nullptr},
                      {"inner", {{"a", "x"}, {"deeper", {{"b", nullptr}}}, {"c", 7}}},
                      {"empty", json::object()},
                      {"last", "\"quoted\" \\ \b\f\n\r\t \x01\x1f \x7f é 日本 😀"}};
    // nlohmann orders keys; the writer keeps the caller's order, so compare parsed and, for a
    // document written in nlohmann's order, the text too.
    CHECK(json::parse(w.text()) == doc);
    json_writer ordered;
    ordered.begin_object().key("a").value("x").key("b").value(std::int64_t{1}).end_object();
    CHECK(ordered.text() == nlohmann_text({{"a", "x"}, {"b", 1}}));
}

TEST_CASE("json_writer writes arrays as nlohmann does", "[json]") {
    json_writer w;
    w.begin_object()
        .key("a")
        .begin_array()
        .value("x")
        .value(std::int64_t{1})
        .null()
        .begin_array()
        .end_array()
        .begin_array()
        .value(true)
        .begin_object()
        .key("k")
        .value(false)
        .end_object()
        .end_array()
        .end_array()
        .key("b")
        .begin_array()
        .end_array()
        .end_object();
    CHECK(w.text() ==
          nlohmann_text({{"a", {"x", 1, nullptr, json::array(), {true, {{"k", false}}}}},
                         {"b", json::array()}}));
    json_writer top;
    top.begin_array().value("only").end_array();
    CHECK(top.text() == R"(["only"])");
}

TEST_CASE("json_writer escapes any string as nlohmann does", "[json][property]") {
    rc::prop("valid or not, a string is written as nlohmann writes it", [](const std::string& s) {
        json_writer w;
        w.value(s);
        RC_ASSERT(w.text() == nlohmann_text(json(s)));
    });
    rc::prop("so is any sequence of bytes, mostly not UTF-8", [] {
        const auto bytes = *rc::gen::container<std::string>(
            rc::gen::map(rc::gen::inRange(0, 256), [](int b) { return static_cast<char>(b); }));
        json_writer w;
        w.value(bytes);
        RC_ASSERT(w.text() == nlohmann_text(json(bytes)));
    });
    rc::prop("a written string parses back", [](const std::string& s) {
        json_writer w;
        w.value(s);
        RC_ASSERT(json::parse(w.text()).is_string());
    });
    for (const std::string bad : {"\xff", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                                  "\xf4\x90\x80\x80", "\xf0\x9f\x98", "x\x80y"}) {
        json_writer w;
        w.value(bad);
        INFO(w.text());
        CHECK(w.text() == nlohmann_text(json(bad)));
    }
}
