#include <date/tz.h>

#include "domain/calendar.hpp"
#include "tests/domain/fixtures.hpp"

using namespace bb;
using namespace bb::test;
using namespace std::chrono_literals;

SCENARIO("business time on a Mon-Fri 09-17 Berlin calendar", "[calendar]") {
    const auto cal = berlin_office();
    GIVEN("a filing on Friday 2026-11-20 at 16:00 Berlin (15:00 UTC)") {
        const auto friday_16 = at("2026-11-20T15:00:00Z");
        THEN("4 business hours later is Monday 12:00 Berlin (11:00 UTC): 1h Friday + 3h Monday") {
            CHECK(add_business_time(cal, friday_16, 4h) == at("2026-11-23T11:00:00Z"));
            CHECK(business_time_between(cal, friday_16, at("2026-11-23T11:00:00Z")) == 4h);
        }
        THEN("exactly the rest of Friday ends at 17:00, not on Monday morning") {
            CHECK(add_business_time(cal, friday_16, 1h) == at("2026-11-20T16:00:00Z"));
        }
    }
    GIVEN("an instant on Saturday") {
        THEN("the clock starts on Monday 09:00 Berlin") {
            CHECK(add_business_time(cal, at("2026-11-21T10:00:00Z"), 30min) ==
                  at("2026-11-23T08:30:00Z"));
        }
    }
    GIVEN("Thursday 2026-12-24 16:00 Berlin, with Friday 2026-12-25 a holiday") {
        THEN("4 business hours skip the holiday and the weekend: Monday 2026-12-28 12:00") {
            CHECK(add_business_time(cal, at("2026-12-24T15:00:00Z"), 4h) ==
                  at("2026-12-28T11:00:00Z"));
        }
    }
    GIVEN("the March DST switch (Sunday 2026-03-29, CET -> CEST)") {
        THEN("Friday 16:00 CET (15:00 UTC) + 4h is Monday 12:00 CEST (10:00 UTC)") {
            CHECK(add_business_time(cal, at("2026-03-27T15:00:00Z"), 4h) ==
                  at("2026-03-30T10:00:00Z"));
        }
    }
    GIVEN("the October DST switch (Sunday 2026-10-25, CEST -> CET)") {
        THEN("Friday 16:00 CEST (14:00 UTC) + 4h is Monday 12:00 CET (11:00 UTC)") {
            CHECK(add_business_time(cal, at("2026-10-23T14:00:00Z"), 4h) ==
                  at("2026-10-26T11:00:00Z"));
        }
    }
}

SCENARIO("opening hours across the night of a DST switch measure real elapsed time", "[calendar]") {
    business_calendar night{
        .id = "night", .zone = date::locate_zone("Europe/Berlin"), .weekly = {}, .holidays = {}};
    for (auto& day : night.weekly) day = {opening_hours{1h, 4h}};  // 01:00-04:00 local, daily
    WHEN("the clocks jump from 02:00 to 03:00 (2026-03-29)") {
        THEN("the night has 2 business hours, not 3") {
            CHECK(business_time_between(night, at("2026-03-28T23:00:00Z"),
                                        at("2026-03-29T12:00:00Z")) == 2h);
            // opens 01:00 CET = 00:00 UTC; two hours later it is 04:00 CEST = 02:00 UTC
            CHECK(add_business_time(night, at("2026-03-29T00:00:00Z"), 2h) ==
                  at("2026-03-29T02:00:00Z"));
        }
    }
    WHEN("the clocks fall back from 03:00 to 02:00 (2026-10-25)") {
        THEN("the night has 4 business hours, not 3") {
            CHECK(business_time_between(night, at("2026-10-24T21:00:00Z"),
                                        at("2026-10-25T12:00:00Z")) == 4h);
        }
    }
}

SCENARIO("24x7 calendars and edge cases", "[calendar]") {
    const auto cal = always();
    THEN("business time is calendar time") {
        CHECK(add_business_time(cal, at("2026-11-21T22:00:00Z"), 4h) == at("2026-11-22T02:00:00Z"));
        CHECK(business_time_between(cal, at("2026-11-21T22:00:00Z"), at("2026-11-22T02:00:00Z")) ==
              4h);
    }
    THEN("adding nothing stays put and a reversed interval is empty") {
        CHECK(add_business_time(berlin_office(), at("2026-11-21T10:00:00Z"), 0s) ==
              at("2026-11-21T10:00:00Z"));
        CHECK(business_time_between(cal, at("2026-11-22T02:00:00Z"), at("2026-11-21T22:00:00Z")) ==
              0s);
    }
    THEN("a calendar without opening hours never comes due") {
        business_calendar closed{.id = "closed", .zone = nullptr, .weekly = {}, .holidays = {}};
        CHECK(add_business_time(closed, at("2026-11-21T10:00:00Z"), 1h) == instant::max());
        CHECK(business_time_between(closed, at("2026-11-21T10:00:00Z"),
                                    at("2026-11-28T10:00:00Z")) == 0s);
    }
}
