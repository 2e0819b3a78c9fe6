#include "handlers/http/responses.hpp"

namespace bb {

namespace bh = http::beast_http;

http::response json_response(bh::status status, const nlohmann::json& body) {
    return json_text_response(status,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

http::response json_text_response(bh::status status, std::string text) {
    http::response res{status, 11};
    res.set(bh::field::content_type, "application/json");
    res.body() = std::move(text);
    return res;
}

http::response bad_parameter(const bad_param& b, const http::request_context& ctx) {
    return problem(problem_kind::invalid_parameter, b.name + " " + b.detail, ctx, b.name);
}

}  // namespace bb
