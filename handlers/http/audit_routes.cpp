#include "handlers/http/audit_routes.hpp"

#include "handlers/audit_view.hpp"
#include "handlers/http/responses.hpp"

namespace bb {

http::response audit_routes::verify(const http::request_context& ctx) {
    namespace bh = http::beast_http;
    if (d_.verify_partitions) {
        const auto reports = d_.verify_partitions();
        if (!reports) return problem(problem_kind::storage_unavailable, reports.error(), ctx);
        return json_response(bh::status::ok, partition_reports_json(*reports));
    }
    const auto report = verify_chain(d_.log);
    if (!report) return problem(problem_kind::storage_unavailable, report.error().message(), ctx);
    return json_response(bh::status::ok, chain_report_json(*report));
}

}  // namespace bb
