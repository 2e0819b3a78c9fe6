#pragma once

#include "handlers/http/api.hpp"
#include "infra/http/server.hpp"

namespace bb {

// GET /v1/audit/verify: the hash chain checked across the whole log (embedded) or each
// partition (Kafka mode).
class audit_routes {
  public:
    explicit audit_routes(const api_deps& d) : d_(d) {}
    http::response verify(const http::request_context& ctx);

  private:
    const api_deps& d_;
};

}  // namespace bb
