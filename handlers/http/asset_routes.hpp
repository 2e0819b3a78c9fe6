#pragma once

#include <string>
#include <string_view>

#include "handlers/http/api.hpp"
#include "infra/http/server.hpp"

namespace bb {

// What the service says about itself: health, readiness, metrics, the OpenAPI document, and the
// dashboard's page and scripts (public; the data they show needs a token).
class asset_routes {
  public:
    explicit asset_routes(const api_deps& d) : d_(d) {}
    http::response healthz();
    http::response readyz(const http::request_context& ctx);
    http::response openapi();
    http::response metrics();
    // The dashboard file at `path`, when there is one.
    const static_asset* asset(std::string_view path) const;
    http::response serve_asset(const static_asset& a);

  private:
    const api_deps& d_;
};

}  // namespace bb
