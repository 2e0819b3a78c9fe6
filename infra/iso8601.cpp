#include "infra/iso8601.hpp"

#include <cctype>
#include <charconv>
#include <sstream>

#include <date/date.h>

namespace bb::iso8601 {

// Formatted by hand: this runs for every stored event and every response, and date::format
// builds an ostream per call.
std::string format_instant(instant t) {
    const auto days = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{days};
    const int year = static_cast<int>(ymd.year());
    if (year < 0 || year > 9999) return date::format("%FT%TZ", t);
    const auto secs = (t - days).count();
    std::string out = "0000-00-00T00:00:00Z";
    const auto put = [&out](std::size_t at, long long v, int width) {
        for (int i = width - 1; i >= 0; --i, v /= 10)
            out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
    };
    put(0, year, 4);
    put(5, static_cast<unsigned>(ymd.month()), 2);
    put(8, static_cast<unsigned>(ymd.day()), 2);
    put(11, secs / 3600, 2);
    put(14, secs / 60 % 60, 2);
    put(17, secs % 60, 2);
    return out;
}

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

}  // namespace

std::optional<instant> parse_instant(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
    int y, mo, d, h, mi, se;
    if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
        !digits(s, 17, 2, se))
        return std::nullopt;
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        const auto start = pos;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
        if (pos == start) return std::nullopt;
    }
    if (pos >= s.size()) return std::nullopt;
    std::chrono::seconds offset{0};
    if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int oh, om;
        if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset = std::chrono::hours{oh} + std::chrono::minutes{om};
        if (s[pos] == '-') offset = -offset;
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                                   date::day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return std::nullopt;
    return instant{date::sys_days{ymd}.time_since_epoch()} + std::chrono::hours{h} +
           std::chrono::minutes{mi} + std::chrono::seconds{std::min(se, 59)} - offset;
}

std::optional<date::year_month_day> parse_date(std::string_view s) {
    int y = 0, m = 0, d = 0;
    if (s.size() == 10 && s[4] == '-' && s[7] == '-' && digits(s, 0, 4, y) && digits(s, 5, 2, m) &&
        digits(s, 8, 2, d)) {
    } else {
        // M/D/YYYY with one or two digits for month and day.
        const auto a = s.find('/');
        const auto b = a == std::string_view::npos ? a : s.find('/', a + 1);
        if (b == std::string_view::npos || a < 1 || a > 2 || b - a < 2 || b - a > 3 ||
            s.size() - b != 5 || !digits(s, 0, a, m) || !digits(s, a + 1, b - a - 1, d) ||
            !digits(s, b + 1, 4, y))
            return std::nullopt;
    }
    const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                                   date::day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    return ymd;
}

std::optional<duration> parse_duration(std::string_view s) {
    if (s.size() < 3 || s[0] != 'P') return std::nullopt;
    std::size_t pos = 1;
    bool in_time = false;
    bool any = false;
    long long total = 0;
    while (pos < s.size()) {
        if (s[pos] == 'T') {
            if (in_time) return std::nullopt;
            in_time = true;
            ++pos;
            continue;
        }
        long long n = 0;
        const auto [end, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), n);
        if (ec != std::errc{} || end == s.data() + pos || end == s.data() + s.size() || n < 0)
            return std::nullopt;
        pos = static_cast<std::size_t>(end - s.data());
        const char unit = s[pos++];
        long long factor = 0;
        if (!in_time && unit == 'W')
            factor = 7 * 86400;
        else if (!in_time && unit == 'D')
            factor = 86400;
        else if (in_time && unit == 'H')
            factor = 3600;
        else if (in_time && unit == 'M')
            factor = 60;
        else if (in_time && unit == 'S')
            factor = 1;
        else
            return std::nullopt;  // Y and M (months) have no fixed length
        if (n > (1LL << 40) / factor) return std::nullopt;
        total += n * factor;
        any = true;
    }
    if (!any) return std::nullopt;
    return duration{total};
}

std::string format_duration(duration d) {
    auto s = d.count();
    if (s == 0) return "PT0S";
    std::ostringstream out;
    out << 'P';
    if (const auto days = s / 86400; days > 0) {
        out << days << 'D';
        s %= 86400;
    }
    if (s > 0) {
        out << 'T';
        if (s >= 3600) out << s / 3600 << 'H';
        if (s % 3600 >= 60) out << (s % 3600) / 60 << 'M';
        if (s % 60) out << s % 60 << 'S';
    }
    return out.str();
}

}  // namespace bb::iso8601
