#pragma once

#include <array>
#include <set>
#include <string>
#include <vector>

#include <date/tz.h>

#include "domain/time.hpp"

namespace bb {

// Local opening hours within one day, as offsets from local midnight; end may be 24:00.
struct opening_hours {
    std::chrono::minutes start;
    std::chrono::minutes end;
    bool operator==(const opening_hours&) const = default;
};

// A business calendar: when the clock of an SLA runs. The time zone is resolved by the
// configuration loader (the tz database is I/O); arithmetic on it here is pure.
struct business_calendar {
    std::string id;
    const date::time_zone* zone = nullptr;             // nullptr means UTC
    std::array<std::vector<opening_hours>, 7> weekly;  // index: 0 = Sunday .. 6 = Saturday
    std::set<date::local_days> holidays;

    static business_calendar always_open(std::string id, const date::time_zone* zone = nullptr);
    bool has_hours() const;
    bool operator==(const business_calendar&) const = default;
};

// The instant at which `amount` of business time has elapsed after `from`. Opening hours that
// fall into a DST gap or overlap count as the real elapsed time. Returns instant::max() if the
// calendar has no opening hours at all.
instant add_business_time(const business_calendar& cal, instant from, duration amount);

// Business time that elapses in [a, b); zero when b <= a.
duration business_time_between(const business_calendar& cal, instant a, instant b);

}  // namespace bb
