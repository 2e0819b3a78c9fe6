#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/http/api.hpp"
#include "handlers/http/asset_routes.hpp"
#include "handlers/http/audit_routes.hpp"
#include "handlers/http/complaint_routes.hpp"
#include "handlers/http/outbound_routes.hpp"
#include "handlers/http/report_routes.hpp"
#include "handlers/http/webhook_route.hpp"
#include "infra/http/server.hpp"

namespace bb {

// The HTTP API: matches a request to its route once, authorises it, says where it runs (now on
// the I/O thread, on the worker pool, or asynchronously), and counts and logs it when its answer
// is known. The routes translate; none of them touches a socket.
class router final : public http::application {
  public:
    explicit router(api_deps d);

    http::answer serve(std::shared_ptr<const http::request> req,
                       const http::request_context& ctx) override;
    http::response refuse(http::read_error e, const http::request_context& ctx) override;

    // serve() on the calling thread, waiting for an asynchronous answer (tests, fuzzing).
    http::response handle(const http::request& req, const http::request_context& ctx);

    enum class placement { at_once, workers, async };
    // Where a request would run, authorisation aside: routes that answer from memory run on the
    // I/O thread that read them (health, a complaint held in memory, a summary whose text is
    // current, documents); writes, the audit, metrics and walks of the model do not.
    placement where(const http::request& req) const;

  private:
    struct route;
    struct matched;
    static const std::vector<route>& route_table();
    std::optional<matched> match(const http::request& req) const;
    placement place(const matched& m) const;
    http::answer plan(const matched& m, std::shared_ptr<const http::request> req,
                      const http::request_context& ctx);
    std::optional<role> authenticate(const http::request& req) const;
    // Counts and logs a request once its answer is known.
    void record(const http::request_context& ctx, std::string_view method,
                const std::string& route_name, unsigned status,
                std::chrono::steady_clock::time_point started);

    api_deps d_;
    std::map<std::string, role> token_hashes_;  // sha256(token) -> role
    webhook_route webhooks_;
    complaint_routes complaints_;
    report_routes reports_;
    audit_routes audit_;
    outbound_routes outbound_;
    asset_routes assets_;
};

}  // namespace bb
