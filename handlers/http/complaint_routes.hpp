#pragma once

#include <string>

#include "handlers/http/api.hpp"
#include "infra/http/server.hpp"

namespace bb {

// A complaint as it stands (GET /v1/complaints/{id}) and its history with each event's hash
// (GET /v1/complaints/{id}/history).
class complaint_routes {
  public:
    explicit complaint_routes(const api_deps& d) : d_(d) {}
    http::response complaint(const std::string& id, const http::request_context& ctx);
    // Whether complaint() answers from memory: the command side holds the complaint, or the read
    // model holds every event of the log (so its row is the complaint as it stands).
    bool complaint_in_memory(const std::string& id) const;
    http::response history(const std::string& id, const http::request_context& ctx);

  private:
    bool read_model_current() const;
    const api_deps& d_;
};

}  // namespace bb
