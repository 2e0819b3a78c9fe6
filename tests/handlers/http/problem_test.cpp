#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "handlers/http/problem.hpp"

using namespace bb;

namespace {
// Every kind, in declaration order (problem_kind has no gaps).
std::vector<problem_kind> every_kind() {
    std::vector<problem_kind> out;
    for (int k = 0; k <= static_cast<int>(problem_kind::storage_unavailable); ++k)
        out.push_back(static_cast<problem_kind>(k));
    return out;
}
}  // namespace

TEST_CASE("every problem kind has its own documented type, a title and an error status",
          "[http][problem]") {
    std::set<std::string> slugs;
    for (const auto k : every_kind()) {
        const auto i = info(k);
        INFO(static_cast<int>(k) << " " << i.slug);
        CHECK(i.status >= 400);
        CHECK(i.status < 600);
        CHECK_FALSE(i.title.empty());
        CHECK(slugs.insert(std::string(i.slug)).second);
    }
    CHECK(slugs.size() == every_kind().size());
    // The slugs clients already match on (docs/api.md).
    CHECK(info(problem_kind::invalid_signature).slug == "invalid-signature");
    CHECK(info(problem_kind::invalid_signature).status == 401);
    CHECK(info(problem_kind::invalid_event).status == 422);
    CHECK(info(problem_kind::malformed_body).status == 400);
    CHECK(info(problem_kind::storage_unavailable).status == 503);
    CHECK(info(problem_kind::unknown_complaint).slug == "unknown-complaint");
}

TEST_CASE("a problem response is RFC 9457 problem+json naming the field", "[http][problem]") {
    const http::request_context ctx{"req-1", "127.0.0.1"};
    for (const auto k : every_kind()) {
        const auto res = problem(k, "the detail", ctx, "data.severity");
        const auto body = nlohmann::json::parse(res.body());
        const auto i = info(k);
        CHECK(res.result_int() == i.status);
        CHECK(res[http::beast_http::field::content_type] == "application/problem+json");
        CHECK(body["type"] == "/problems/" + std::string(i.slug));
        CHECK(body["title"] == std::string(i.title));
        CHECK(body["status"] == i.status);
        CHECK(body["detail"] == "the detail");
        CHECK(body["request_id"] == "req-1");
        CHECK(body["field"] == "data.severity");
    }
    CHECK_FALSE(
        nlohmann::json::parse(problem(problem_kind::not_found, "x", ctx).body()).contains("field"));
}

TEST_CASE("a request the server could not read gets its own problem", "[http][problem]") {
    CHECK(info(problem_for(http::read_error::malformed)).status == 400);
    CHECK(info(problem_for(http::read_error::timeout)).status == 408);
    CHECK(info(problem_for(http::read_error::body_too_large)).status == 413);
    CHECK(info(problem_for(http::read_error::headers_too_large)).status == 431);
}
