#pragma once

#include <string>
#include <string_view>

#include "infra/http/server.hpp"

namespace bb {

// Every way the HTTP API refuses a request. Each maps to one problem+json `type`
// ("/problems/<slug>", documented in docs/api.md), a title and a status, in problem_info's one
// exhaustive switch.
enum class problem_kind {
    malformed_request,  // the bytes are not an HTTP request we read (before routing)
    request_timeout,
    body_too_large,
    headers_too_large,
    not_found,
    method_not_allowed,
    unauthorized,
    forbidden,
    invalid_parameter,
    unknown_source,
    invalid_signature,
    malformed_body,
    invalid_event,
    unknown_complaint,
    unknown_employee,
    unknown_customer,
    unknown_delivery,
    unknown_subscription,
    unknown_outcome,
    not_ready,
    storage_unavailable,
};

struct problem_info {
    unsigned status;
    std::string_view slug;
    std::string_view title;
};
problem_info info(problem_kind k);

// An RFC 9457 problem+json response; the request id ties it to the log line, `field` names the
// input at fault.
http::response problem(problem_kind k, const std::string& detail, const http::request_context& ctx,
                       const std::string& field = {});

// The problem for a request the server could not read.
problem_kind problem_for(http::read_error e);

}  // namespace bb
