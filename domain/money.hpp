#pragma once

// Exact money. Amounts are integers of ten-thousandths of a currency's unit: every ISO 4217
// currency has at most four minor digits (CLF, UYW), so any amount a currency can express is
// exact, and sums are integer additions — 0.1 + 0.2 is 0.3, not 0.30000000000000004.

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bb {

// An ISO 4217 alphabetic code from the list of active currencies. Empty: an amount recorded
// before amounts carried a currency (storage format 1); it is read as the deployment's default
// currency (`default_currency` in the configuration) wherever it is shown or compared.
class currency {
  public:
    currency() = default;
    // Only an active ISO 4217 code, in upper case ("USD"); anything else is nullopt.
    static std::optional<currency> parse(std::string_view code);
    bool empty() const { return code_[0] == '\0'; }
    std::string_view code() const {
        return empty() ? std::string_view{} : std::string_view(code_.data(), 3);
    }
    // The currency's minor digits (USD 2, JPY 0, KWD 3, CLF 4); 2 when empty.
    int minor_digits() const;
    // This currency, or `fallback` when empty.
    currency or_default(currency fallback) const { return empty() ? fallback : *this; }
    auto operator<=>(const currency&) const = default;
    bool operator==(const currency&) const = default;

  private:
    std::array<char, 3> code_{};
};

inline constexpr std::int64_t money_scale = 10'000;  // units of `money::amount` per currency unit
// The largest magnitude accepted from input: 10^14 currency units, so that a sum of 90,000 of
// them still fits in 64 bits (totals use 128).
inline constexpr std::int64_t money_max = 100'000'000'000'000 * money_scale;

struct money {
    money() = default;
    // Explicit: a bare 100 must not become 0.01 by brace elision in an aggregate.
    explicit money(std::int64_t ten_thousandths, currency c = {})
        : amount(ten_thousandths), cur(c) {}
    std::int64_t amount = 0;  // ten-thousandths of the currency's unit
    currency cur{};           // empty: not recorded (see currency)
    bool operator==(const money&) const = default;
};

// "12", "-3.5", "0.1234": an optional sign, digits, an optional point and at most four
// fraction digits; no exponent, no spaces. nullopt when malformed or larger than money_max.
std::optional<std::int64_t> parse_amount(std::string_view text);
// "1200" (no currency) or "12.30 EUR": an amount as parse_amount, then one space and a code.
std::optional<money> parse_money(std::string_view text);
// A JSON number read as a double: exact when the sender wrote at most 15 significant digits
// and 4 fraction digits (the shortest text that reads back as the same double is the text the
// sender wrote); more fraction digits round to the nearest ten-thousandth, halves away from
// zero. A string is the exact way to send an amount.
std::optional<std::int64_t> amount_from_double(double v);
// At least the currency's minor digits, more only when the amount has them: "0.30" for USD,
// "1200" for JPY, "0.125" for USD 0.125.
std::string format_amount(__int128 amount, currency c);
inline std::string format_amount(const money& m) {
    return format_amount(m.amount, m.cur);
}

// Sums per currency, exactly (no exchange rates: amounts in different currencies are never
// added together). An empty currency is summed under `fallback`.
class money_totals {
  public:
    void add(const money& m, currency fallback);
    const std::map<currency, __int128>& by_currency() const { return sums_; }
    bool operator==(const money_totals&) const = default;

  private:
    std::map<currency, __int128> sums_;
};

}  // namespace bb
