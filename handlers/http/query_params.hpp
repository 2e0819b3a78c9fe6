#pragma once

#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "projections/sla.hpp"

namespace bb {

// %XX escapes decoded (a malformed one is kept as it is); `+` is a space in a query string only.
std::string percent_decode(std::string_view s, bool plus_is_space);
// The query string of a request target, percent-decoded. Repeated keys keep the last value.
std::map<std::string, std::string> parse_query(std::string_view target);

struct bad_param {
    std::string name, detail;
};

// team, segment, policy, product, channel, severity, from, to (RFC 3339).
std::expected<projection::report_filter, bad_param> parse_filter(
    const std::map<std::string, std::string>& q);

// Cursor pagination: `limit` (1..500, default 50) and an opaque `cursor` from the previous page.
struct page {
    std::size_t offset = 0, limit = 50;
};
std::expected<page, bad_param> parse_page(const std::map<std::string, std::string>& q);
std::string next_cursor(const page& p, std::size_t total);  // empty when there is no next page

}  // namespace bb
