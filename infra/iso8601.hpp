#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <date/date.h>

#include "domain/time.hpp"

namespace bb::iso8601 {

// RFC 3339 instant, always written in UTC with second precision: 2026-11-20T10:00:00Z.
std::string format_instant(instant t);
// Accepts RFC 3339 with `Z` or a numeric offset and optional fractional seconds (dropped).
std::optional<instant> parse_instant(std::string_view s);
// ISO 8601 durations in days and below (PnW, PnDTnHnMnS). Years and months have no fixed
// length, so they are refused rather than guessed.
std::optional<duration> parse_duration(std::string_view s);
// A calendar date, "2026-12-25" or (as the CFPB export writes them) "12/25/2026".
std::optional<date::year_month_day> parse_date(std::string_view s);
std::string format_duration(duration d);

}  // namespace bb::iso8601
