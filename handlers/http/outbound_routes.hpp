#pragma once

#include <map>
#include <string>

#include "handlers/http/api.hpp"
#include "infra/http/server.hpp"

namespace bb {

// Administration of outbound webhooks: deliveries (list, redeliver) and subscriptions (list,
// enable after the dispatcher disabled one).
class outbound_routes {
  public:
    explicit outbound_routes(const api_deps& d) : d_(d) {}
    http::response deliveries(const std::map<std::string, std::string>& query,
                              const http::request_context& ctx);
    http::response redeliver(const std::string& id, const http::request_context& ctx);
    http::response subscriptions();
    http::response enable(const std::string& id, const http::request_context& ctx);

  private:
    const api_deps& d_;
};

}  // namespace bb
