#pragma once

#include <string>

#include "infra/http_server.hpp"

namespace bb {

// An RFC 9457 problem+json response. `type` is a relative reference "/problems/<slug>",
// documented in docs/api.md; the request id ties it to the log line.
http::response problem(unsigned status, const std::string& slug, const std::string& title,
                       const std::string& detail, const http::request_context& ctx,
                       const std::string& field = {});

}  // namespace bb
