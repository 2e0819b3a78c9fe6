#include "handlers/problem.hpp"

#include <nlohmann/json.hpp>

namespace bb {

http::response problem(unsigned status, const std::string& slug, const std::string& title,
                       const std::string& detail, const http::request_context& ctx,
                       const std::string& field) {
    nlohmann::json body{{"type", "/problems/" + slug},
                        {"title", title},
                        {"status", status},
                        {"detail", detail},
                        {"request_id", ctx.request_id}};
    if (!field.empty()) body["field"] = field;
    http::response res{static_cast<http::beast_http::status>(status), 11};
    res.set(http::beast_http::field::content_type, "application/problem+json");
    // The detail may quote request bytes (a path, a header) that are not UTF-8: replaced, never
    // thrown (found by fuzz_http).
    res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return res;
}

}  // namespace bb
