#pragma once

#include <map>
#include <string>

#include "handlers/http/api.hpp"
#include "handlers/http/summary_cache.hpp"
#include "infra/http/server.hpp"

namespace bb {

// The managers' reports: /v1/sla/summary, /v1/sla/at-risk, /v1/analytics/prevention,
// /v1/employees/... Each is a pure query over the read model; only the summary is cached.
class report_routes {
  public:
    explicit report_routes(const api_deps& d);

    using query = std::map<std::string, std::string>;
    http::response sla_summary(const query& q, bool gzip_accepted,
                               const http::request_context& ctx);
    // Whether the summary for `q` is stored for the read model as it is now.
    bool summary_current(const query& q) const;
    http::response sla_at_risk(const query& q, const http::request_context& ctx);
    http::response prevention(const query& q, const http::request_context& ctx);
    // The work queue, GET /v1/complaints: filtered, sorted, a keyset page at a time.
    http::response complaints(const query& q, const http::request_context& ctx);
    http::response customer(const std::string& id, const http::request_context& ctx);
    // Every employee's score, or one (`employee` not empty).
    http::response employee_scores(const query& q, const std::string& employee,
                                   const http::request_context& ctx);

  private:
    const api_deps& d_;
    summary_cache summaries_;
};

}  // namespace bb
