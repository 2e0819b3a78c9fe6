#pragma once

#include <string_view>

#include <boost/beast/core/string.hpp>
#include <nlohmann/json.hpp>

#include "handlers/http/problem.hpp"
#include "handlers/http/query_params.hpp"
#include "infra/http/server.hpp"

namespace bb {

// A JSON body; text that is not UTF-8 is replaced, never thrown.
http::response json_response(http::beast_http::status status, const nlohmann::json& body);
// A JSON body already written as text.
http::response json_text_response(http::beast_http::status status, std::string text);
// A query parameter that does not parse, named in the problem.
http::response bad_parameter(const bad_param& b, const http::request_context& ctx);

inline std::string_view sv(boost::beast::string_view s) {
    return {s.data(), s.size()};
}

}  // namespace bb
