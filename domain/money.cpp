#include "domain/money.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace bb {

namespace {

// ISO 4217's list of active codes (List One, 2025 edition) with each one's minor digits.
// Funds codes are included (BOV, CHE, CLF, ...); precious metals, SDRs and testing codes are
// not amounts a customer spends.
struct currency_row {
    const char* code;
    int digits;
};
constexpr currency_row currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2},
    {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0},
    {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2},
    {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4},
    {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2},
    {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2},
    {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GNF", 0},
    {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2},
    {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2},
    {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2},
    {"LAK", 2}, {"LBP", 2}, {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2},
    {"MGA", 2}, {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2},
    {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2},
    {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2},
    {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0},
    {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2},
    {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2},
    {"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2},
    {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2},
    {"VED", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2},
    {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
};

const currency_row* find_row(std::string_view code) {
    const auto it =
        std::ranges::find_if(currencies, [&](const currency_row& r) { return code == r.code; });
    return it == std::end(currencies) ? nullptr : it;
}

}  // namespace

std::optional<currency> currency::parse(std::string_view code) {
    if (code.size() != 3 || !find_row(code)) return std::nullopt;
    currency c;
    std::memcpy(c.code_.data(), code.data(), 3);
    return c;
}

int currency::minor_digits() const {
    if (empty()) return 2;
    const auto* r = find_row(code());
    return r ? r->digits : 2;
}

std::optional<std::int64_t> parse_amount(std::string_view t) {
    bool negative = false;
    if (!t.empty() && (t.front() == '-' || t.front() == '+')) {
        negative = t.front() == '-';
        t.remove_prefix(1);
    }
    const auto point = t.find('.');
    const auto whole = t.substr(0, point);
    const auto fraction =
        point == std::string_view::npos ? std::string_view{} : t.substr(point + 1);
    if (whole.empty() || whole.size() > 15 || fraction.size() > 4) return std::nullopt;
    if (point != std::string_view::npos && fraction.empty()) return std::nullopt;  // "12."
    auto digits = [](std::string_view s) {
        return std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!digits(whole) || !digits(fraction)) return std::nullopt;
    std::int64_t units = 0;
    for (char c : whole) units = units * 10 + (c - '0');
    std::int64_t minor = 0;
    for (std::size_t i = 0; i < 4; ++i)
        minor = minor * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    if (units > money_max / money_scale) return std::nullopt;
    const auto amount = units * money_scale + minor;
    if (amount > money_max) return std::nullopt;
    return negative ? -amount : amount;
}

std::optional<money> parse_money(std::string_view text) {
    const auto space = text.find(' ');
    const auto a = parse_amount(text.substr(0, space));
    if (!a) return std::nullopt;
    money m{*a};
    if (space != std::string_view::npos) {
        const auto c = currency::parse(text.substr(space + 1));
        if (!c) return std::nullopt;
        m.cur = *c;
    }
    return m;
}

std::optional<std::int64_t> amount_from_double(double v) {
    // Fixed notation, shortest text that reads back as v: 0.1 -> "0.1", 1e5 -> "100000".
    char buf[400];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    if (ec != std::errc{}) return std::nullopt;
    std::string_view text(buf, end);
    // More than four fraction digits: the nearest ten-thousandth, halves away from zero.
    const auto point = text.find('.');
    bool round_up = false;
    if (point != std::string_view::npos && text.size() - point - 1 > 4) {
        round_up = text[point + 5] >= '5';
        text = text.substr(0, point + 5);
    }
    auto a = parse_amount(text);
    if (a && round_up) *a += *a < 0 || text.front() == '-' ? -1 : 1;
    if (a && (*a > money_max || *a < -money_max)) return std::nullopt;
    return a;
}

std::string format_amount(__int128 amount, currency c) {
    const bool negative = amount < 0;
    unsigned __int128 a =
        negative ? static_cast<unsigned __int128>(-amount) : static_cast<unsigned __int128>(amount);
    auto minor = static_cast<int>(a % money_scale);
    a /= money_scale;
    std::string whole;
    do {
        whole.insert(whole.begin(), static_cast<char>('0' + static_cast<int>(a % 10)));
        a /= 10;
    } while (a != 0);
    std::string fraction = std::to_string(minor + money_scale).substr(1);  // 4 digits
    const auto keep = static_cast<std::size_t>(c.minor_digits());
    while (fraction.size() > keep && fraction.back() == '0') fraction.pop_back();
    std::string out = negative ? "-" : "";
    out += whole;
    if (!fraction.empty()) out += "." + fraction;
    return out;
}

void money_totals::add(const money& m, currency fallback) {
    sums_[m.cur.or_default(fallback)] += m.amount;
}

}  // namespace bb
