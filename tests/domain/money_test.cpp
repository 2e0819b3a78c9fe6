#include "domain/money.hpp"

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

using namespace bb;

namespace {
currency cur(std::string_view code) {
    return currency::parse(code).value();
}
}  // namespace

TEST_CASE("amounts are read as exact decimals", "[money]") {
    CHECK(parse_amount("12") == 120'000);
    CHECK(parse_amount("0.1") == 1'000);
    CHECK(parse_amount("-3.5") == -35'000);
    CHECK(parse_amount("+1.2345") == 12'345);
    CHECK(parse_amount("99999999999999.9999") == 999'999'999'999'999'999);
    // Malformed, too many fraction digits, too large.
    for (const char* bad : {"", "-", ".5", "1.", "1.23456", "1e3", " 1", "1 ", "0x10", "1,5",
                            "100000000000000.0001", "1000000000000000"})
        CHECK_FALSE(parse_amount(bad).has_value());
}

TEST_CASE("a JSON number is the decimal its sender wrote, rounded to ten-thousandths", "[money]") {
    CHECK(amount_from_double(0.1) == 1'000);
    CHECK(amount_from_double(0.2) == 2'000);
    CHECK(amount_from_double(100000) == 1'000'000'000);
    CHECK(amount_from_double(1234.5678) == 12'345'678);
    CHECK(amount_from_double(0.00005) == 1);  // half away from zero
    CHECK(amount_from_double(0.00004) == 0);
    CHECK(amount_from_double(-0.00005) == -1);
    CHECK(amount_from_double(9.99995) == 100'000);  // the carry reaches the units
    CHECK_FALSE(amount_from_double(1e15).has_value());
    CHECK_FALSE(amount_from_double(1e300).has_value());
}

TEST_CASE("0.1 + 0.2 is 0.30", "[money]") {
    money_totals t;
    t.add(money{*amount_from_double(0.1)}, cur("USD"));
    t.add(money{*amount_from_double(0.2), cur("USD")}, cur("EUR"));
    t.add(money{*parse_amount("7"), cur("EUR")}, cur("USD"));
    REQUIRE(t.by_currency().size() == 2);
    CHECK(format_amount(t.by_currency().at(cur("USD")), cur("USD")) == "0.30");
    CHECK(format_amount(t.by_currency().at(cur("EUR")), cur("EUR")) == "7.00");
}

TEST_CASE("amounts are shown with at least their currency's minor digits", "[money]") {
    CHECK(format_amount(money{*parse_amount("0.3"), cur("USD")}) == "0.30");
    CHECK(format_amount(money{*parse_amount("0.125"), cur("USD")}) == "0.125");
    CHECK(format_amount(money{*parse_amount("1200"), cur("JPY")}) == "1200");
    CHECK(format_amount(money{*parse_amount("1.5"), cur("KWD")}) == "1.500");
    CHECK(format_amount(money{*parse_amount("0.0001"), cur("CLF")}) == "0.0001");
    CHECK(format_amount(money{*parse_amount("-12.3")}) == "-12.30");  // no currency: 2 digits
    // Totals beyond 64 bits still print exactly.
    CHECK(format_amount(static_cast<__int128>(money_max) * 1000, cur("USD")) ==
          "100000000000000000.00");
}

TEST_CASE("only active ISO 4217 codes are currencies", "[money]") {
    CHECK(currency::parse("EUR").has_value());
    CHECK(currency::parse("CLF")->minor_digits() == 4);
    for (const char* bad : {"", "usd", "US", "USDX", "AAA", "XXX", "XAU"})
        CHECK_FALSE(currency::parse(bad).has_value());
    CHECK(currency{}.empty());
    CHECK(currency{}.or_default(cur("GBP")) == cur("GBP"));
    CHECK(parse_money("12.30 EUR") == money{123'000, cur("EUR")});
    CHECK(parse_money("12.30") == money{123'000});
    CHECK_FALSE(parse_money("12.30 eur").has_value());
}

TEST_CASE("formatting and reading an amount give it back", "[money][property]") {
    rc::prop("parse_amount(format_amount(a)) == a", [] {
        const auto a = *rc::gen::inRange<std::int64_t>(-money_max, money_max + 1);
        const auto c = *rc::gen::element(std::string("USD"), std::string("JPY"), std::string("KWD"),
                                         std::string("CLF"));
        RC_ASSERT(parse_amount(format_amount(a, cur(c))) == a);
    });
}
