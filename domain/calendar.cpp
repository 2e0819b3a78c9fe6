#include "domain/calendar.hpp"

#include <algorithm>

namespace bb {
namespace {

using namespace std::chrono;

constexpr int max_days_scanned = 3 * 366;

local_seconds to_local(const business_calendar& cal, instant t) {
    if (cal.zone == nullptr) return local_seconds{t.time_since_epoch()};
    const auto lt = cal.zone->to_local(t);
    return local_seconds{lt.time_since_epoch()};
}

instant to_utc(const business_calendar& cal, local_seconds lt) {
    if (cal.zone == nullptr) return instant{lt.time_since_epoch()};
    // A local time inside a DST gap maps to the transition instant; inside an overlap, to the
    // earlier of the two instants. Either way the open interval measures real elapsed time.
    const date::local_seconds dl{lt.time_since_epoch()};
    return instant{cal.zone->to_sys(dl, date::choose::earliest).time_since_epoch()};
}

struct interval {
    instant begin;
    instant end;
};

// The open intervals of one local day, in UTC, in order.
std::vector<interval> open_intervals(const business_calendar& cal, date::local_days day) {
    std::vector<interval> out;
    if (cal.holidays.contains(day)) return out;
    const auto wd = date::weekday{day}.c_encoding();
    const local_seconds midnight{day.time_since_epoch()};
    for (const auto& h : cal.weekly[wd]) {
        const auto b = to_utc(cal, midnight + h.start);
        const auto e = to_utc(cal, midnight + h.end);
        if (b < e) out.push_back({b, e});
    }
    return out;
}

date::local_days local_day_of(const business_calendar& cal, instant t) {
    return date::floor<date::days>(date::local_seconds{to_local(cal, t).time_since_epoch()});
}

}  // namespace

business_calendar business_calendar::always_open(std::string id, const date::time_zone* zone) {
    business_calendar cal{.id = std::move(id), .zone = zone, .weekly = {}, .holidays = {}};
    for (auto& day : cal.weekly) day = {opening_hours{minutes{0}, minutes{24 * 60}}};
    return cal;
}

bool business_calendar::has_hours() const {
    return std::any_of(weekly.begin(), weekly.end(), [](const auto& d) {
        return std::any_of(d.begin(), d.end(), [](const auto& h) { return h.start < h.end; });
    });
}

instant add_business_time(const business_calendar& cal, instant from, duration amount) {
    if (amount <= duration::zero()) return from;
    if (!cal.has_hours()) return instant::max();
    auto remaining = amount;
    auto day = local_day_of(cal, from) - date::days{1};  // DST may shift the first interval
    for (int i = 0; i < max_days_scanned; ++i, day += date::days{1}) {
        for (const auto& iv : open_intervals(cal, day)) {
            if (iv.end <= from) continue;
            const auto start = std::max(iv.begin, from);
            const auto available = duration_cast<duration>(iv.end - start);
            if (available >= remaining) return start + remaining;
            remaining -= available;
        }
    }
    return instant::max();
}

duration business_time_between(const business_calendar& cal, instant a, instant b) {
    if (b <= a) return duration::zero();
    duration total{0};
    const auto last = local_day_of(cal, b) + date::days{1};
    for (auto day = local_day_of(cal, a) - date::days{1}; day <= last; day += date::days{1}) {
        for (const auto& iv : open_intervals(cal, day)) {
            const auto lo = std::max(iv.begin, a);
            const auto hi = std::min(iv.end, b);
            if (lo < hi) total += duration_cast<duration>(hi - lo);
        }
    }
    return total;
}

}  // namespace bb
