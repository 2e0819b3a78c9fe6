#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <utility>
#include <vector>

#include "infra/outbound/ssrf_guard.hpp"

namespace bb::outbound {

struct post_request {
    url target;
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;  // from resolve_checked
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::seconds timeout{10};  // connect + TLS + request + response, in all
    std::string method = "POST";       // a helpdesk's REST API updates with PUT
};

struct post_response {
    unsigned status = 0;
    std::string retry_after;  // the Retry-After header, if any
    std::string location;     // the Location header of a redirect (never followed)
};

// One request (POST unless `method` says otherwise) over a fresh connection. HTTPS verifies the
// peer's certificate chain against the system's trust store and its name against the URL's host
// (SNI set). Redirects are returned, not followed. Errors (connect, TLS, timeout) come back as text
// for the delivery record.
std::expected<post_response, std::string> post(const post_request& r);

}  // namespace bb::outbound
