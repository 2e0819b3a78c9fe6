#include "domain/result.hpp"

namespace bb {

std::string_view to_string(rejection_code code) {
    switch (code) {
        case rejection_code::unknown_complaint:
            return "unknown_complaint";
        case rejection_code::already_filed:
            return "already_filed";
        case rejection_code::invalid_transition:
            return "invalid_transition";
        case rejection_code::no_matching_policy:
            return "no_matching_policy";
        case rejection_code::unknown_calendar:
            return "unknown_calendar";
        case rejection_code::reopen_window_closed:
            return "reopen_window_closed";
        case rejection_code::invalid_argument:
            return "invalid_argument";
        case rejection_code::already_recorded:
            return "already_recorded";
    }
    return "unknown";
}

std::ostream& operator<<(std::ostream& os, const rejection& r) {
    return os << "rejection{" << to_string(r.code) << ": " << r.detail << "}";
}

}  // namespace bb
