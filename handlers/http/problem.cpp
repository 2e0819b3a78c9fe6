#include "handlers/http/problem.hpp"

#include <nlohmann/json.hpp>

namespace bb {

problem_info info(problem_kind k) {
    using enum problem_kind;
    switch (k) {
        case malformed_request:
            return {400, "bad-request", "Bad Request"};
        case request_timeout:
            return {408, "request-timeout", "Request Timeout"};
        case body_too_large:
            return {413, "body-too-large", "Payload Too Large"};
        case headers_too_large:
            return {431, "headers-too-large", "Request Header Fields Too Large"};
        case not_found:
            return {404, "not-found", "Not Found"};
        case method_not_allowed:
            return {405, "method-not-allowed", "Method Not Allowed"};
        case unauthorized:
            return {401, "unauthorized", "Unauthorized"};
        case forbidden:
            return {403, "forbidden", "Forbidden"};
        case invalid_parameter:
            return {400, "invalid-parameter", "Bad Request"};
        case unknown_source:
            return {404, "unknown-source", "Not Found"};
        case invalid_signature:
            return {401, "invalid-signature", "Unauthorized"};
        case malformed_body:
            return {400, "malformed-body", "Bad Request"};
        case invalid_event:
            return {422, "invalid-event", "Unprocessable Content"};
        case unknown_complaint:
            return {404, "unknown-complaint", "Not Found"};
        case unknown_employee:
            return {404, "unknown-employee", "Not Found"};
        case unknown_customer:
            return {404, "unknown-customer", "Not Found"};
        case unknown_delivery:
            return {404, "unknown-delivery", "Not Found"};
        case unknown_subscription:
            return {404, "unknown-subscription", "Not Found"};
        case unknown_outcome:
            return {404, "unknown-outcome", "Not Found"};
        case not_ready:
            return {503, "not-ready", "Service Unavailable"};
        case storage_unavailable:
            return {503, "storage-unavailable", "Service Unavailable"};
    }
    return {500, "internal", "Internal Server Error"};  // not reached: every kind is listed
}

problem_kind problem_for(http::read_error e) {
    switch (e) {
        case http::read_error::malformed:
            return problem_kind::malformed_request;
        case http::read_error::timeout:
            return problem_kind::request_timeout;
        case http::read_error::body_too_large:
            return problem_kind::body_too_large;
        case http::read_error::headers_too_large:
            return problem_kind::headers_too_large;
    }
    return problem_kind::malformed_request;
}

http::response problem(problem_kind k, const std::string& detail, const http::request_context& ctx,
                       const std::string& field) {
    const auto i = info(k);
    nlohmann::json body{{"type", "/problems/" + std::string(i.slug)},
                        {"title", i.title},
                        {"status", i.status},
                        {"detail", detail},
                        {"request_id", ctx.request_id}};
    if (!field.empty()) body["field"] = field;
    http::response res{static_cast<http::beast_http::status>(i.status), 11};
    res.set(http::beast_http::field::content_type, "application/problem+json");
    // The detail may quote request bytes (a path, a header) that are not UTF-8: replaced, never
    // thrown (found by fuzz_http).
    res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return res;
}

}  // namespace bb
