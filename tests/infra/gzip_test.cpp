#include "infra/http/gzip.hpp"

#include "tests/infra/gunzip.hpp"

#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <optional>
#include <string>

using bb::test::gunzip;

SCENARIO("a gzip body with a shared prefix and a per-response suffix", "[gzip]") {
    GIVEN("the prefix of a summary-sized JSON document, compressed once") {
        std::string prefix = "{\"buckets\":[";
        for (int i = 0; i < 400; ++i)
            prefix += R"({"team":"team-)" + std::to_string(i % 7) + R"(","met":)" +
                      std::to_string(i) + "},";
        prefix.pop_back();
        prefix += "]";
        const bb::gzip::prefixed_body body(prefix);
        THEN("it is much smaller than the text") {
            CHECK(body.compressed_size() * 4 < prefix.size());
        }
        WHEN("two responses append their own suffixes") {
            const auto a = body.with_suffix(R"(,"as_of":"2026-11-23T10:00:00Z","position":7})");
            const auto b = body.with_suffix(R"(,"as_of":"2026-11-23T10:00:01Z","position":8})");
            THEN("each is a valid gzip member holding prefix + its suffix, CRC and length right") {
                CHECK(gunzip(a) == prefix + R"(,"as_of":"2026-11-23T10:00:00Z","position":7})");
                CHECK(gunzip(b) == prefix + R"(,"as_of":"2026-11-23T10:00:01Z","position":8})");
            }
        }
        WHEN("a byte of the compressed body is altered") {
            auto a = body.with_suffix("}");
            a[a.size() - 6] ^= 0x20;  // inside the trailer's CRC
            THEN("the trailer no longer matches and zlib refuses it") {
                CHECK_FALSE(gunzip(a));
            }
        }
    }
}

TEST_CASE("gzip bodies decode to prefix + suffix for any text", "[gzip][property]") {
    rc::prop("inflate(with_suffix(s)) == prefix + s", [](const std::string& prefix,
                                                         const std::string& suffix) {
        RC_ASSERT(gunzip(bb::gzip::prefixed_body(prefix).with_suffix(suffix)) == prefix + suffix);
    });
    CHECK(gunzip(bb::gzip::prefixed_body("").with_suffix("")) == std::string{});
    CHECK(gunzip(bb::gzip::prefixed_body().with_suffix("x")) == std::string{"x"});
    CHECK_THROWS(bb::gzip::prefixed_body("p").with_suffix(std::string(70000, 'x')));
}

TEST_CASE("Accept-Encoding decides whether gzip may be sent", "[gzip]") {
    using bb::gzip::accepted;
    CHECK(accepted("gzip"));
    CHECK(accepted("gzip, deflate, br"));
    CHECK(accepted("br;q=1.0, GZIP;q=0.5"));
    CHECK(accepted("x-gzip"));
    CHECK(accepted("*"));
    CHECK(accepted(" deflate ,\tgzip ; q=0.001"));
    CHECK_FALSE(accepted(""));
    CHECK_FALSE(accepted("identity"));
    CHECK_FALSE(accepted("br, deflate"));
    CHECK_FALSE(accepted("gzip;q=0"));
    CHECK_FALSE(accepted("gzip;q=0.000"));
    CHECK_FALSE(accepted("*, gzip;q=0"));  // named coding wins over the wildcard
    CHECK_FALSE(accepted("*;q=0"));
    CHECK_FALSE(accepted("gzip;q=2"));  // malformed q: not acceptable
    CHECK_FALSE(accepted("gzip;q=abc"));
    CHECK(accepted("gzip;level=1"));  // other parameters are ignored
    CHECK_FALSE(accepted("gzipx"));
}
