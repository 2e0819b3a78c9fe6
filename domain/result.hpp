#pragma once

#include <expected>
#include <ostream>
#include <string>
#include <string_view>

namespace bb {

enum class rejection_code {
    unknown_complaint,     // command for a complaint that was never filed
    already_filed,         // a second filing with another idempotency key
    invalid_transition,    // the command does not fit the complaint's state
    no_matching_policy,    // no SLA policy matches segment/severity/channel
    unknown_calendar,      // the matched policy names a calendar that does not exist
    reopen_window_closed,  // reopen later than the policy's reopen_within
    invalid_argument,      // a field out of range (survey score, negative value, ...)
    already_recorded,      // compliment / prevention action id reused by another command
};

std::string_view to_string(rejection_code code);

struct rejection {
    rejection_code code;
    std::string detail;
    bool operator==(const rejection&) const = default;
};

std::ostream& operator<<(std::ostream& os, const rejection& r);

template <class T>
using result = std::expected<T, rejection>;

}  // namespace bb
