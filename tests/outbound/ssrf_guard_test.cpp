#include <catch2/catch.hpp>

#include "infra/outbound/ssrf_guard.hpp"
#include "services/webhook_dispatcher.hpp"
#include "tests/domain/fixtures.hpp"

using namespace bb;
using bb::test::at;

namespace {
std::string refused(const std::string& u) {
    const auto parsed = outbound::parse_url(u);
    if (!parsed) return parsed.error();
    const auto r = outbound::resolve_checked(*parsed, false);
    return r ? std::string{} : r.error();
}
}  // namespace

SCENARIO("the SSRF guard refuses internal targets however they are spelled", "[outbound][ssrf]") {
    GIVEN("the issue's cases and their cousins") {
        for (const auto* u :
             {"http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data",
              "http://[::1]:9000/hook", "http://0x7f.1/hook", "http://localhost/hook",
              "http://2130706433/", "http://0177.0.0.1/", "http://127.1/",
              "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.1.2.3]/", "http://[fd00:ec2::254]/",
              "http://[fe80::1]/", "http://0.0.0.0/", "http://192.168.1.10/",
              "http://172.31.255.1/", "http://100.64.0.1/", "https://[::]/",
              "http://[64:ff9b::a9fe:a9fe]/"}) {
            THEN(std::string("refused: ") + u) {
                CHECK_FALSE(refused(u).empty());
            }
        }
    }
    GIVEN("a public address") {
        THEN("it is allowed") {
            CHECK(refused("https://93.184.216.34/hook").empty());
        }
    }
    GIVEN("a private target of an allow-listed subscription") {
        const auto u = outbound::parse_url("http://127.0.0.1:9000/hook");
        THEN("it resolves to exactly that endpoint") {
            const auto r = outbound::resolve_checked(*u, true);
            REQUIRE(r.has_value());
            REQUIRE(r->size() == 1);
            CHECK(r->front().port() == 9000);
        }
    }
    GIVEN("URLs that are not http(s) or carry credentials") {
        CHECK_FALSE(outbound::parse_url("ftp://example.com/").has_value());
        CHECK_FALSE(outbound::parse_url("file:///etc/passwd").has_value());
        CHECK_FALSE(outbound::parse_url("http://user:pw@example.com/").has_value());
        CHECK_FALSE(outbound::parse_url("http://example.com:99999/").has_value());
    }
    GIVEN("a URL with a path and query") {
        const auto u = outbound::parse_url("https://hooks.example.com:8443/a/b?x=1#frag");
        REQUIRE(u.has_value());
        CHECK(u->tls);
        CHECK(u->host == "hooks.example.com");
        CHECK(u->port == 8443);
        CHECK(u->target == "/a/b?x=1");
    }
}

SCENARIO("receiver answers decide what a delivery does next", "[outbound]") {
    const auto now = at("2026-11-22T10:00:00Z");
    CHECK(classify({204, "", ""}, now).next == attempt_result::kind::delivered);
    CHECK(classify({410, "", ""}, now).next == attempt_result::kind::disable);
    const auto redirect = classify({302, "", "http://169.254.169.254/"}, now);
    CHECK(redirect.next == attempt_result::kind::give_up);
    CHECK_THAT(redirect.error, Catch::Contains("not followed"));
    const auto busy = classify({429, "7", ""}, now);
    CHECK(busy.next == attempt_result::kind::retry);
    CHECK(busy.retry_after == std::chrono::seconds{7});
    CHECK(classify({503, "7", ""}, now).retry_after == std::nullopt);  // only 429/502/504
    CHECK(classify({500, "", ""}, now).next == attempt_result::kind::retry);
    CHECK(parse_retry_after("Sun, 22 Nov 2026 10:01:30 GMT", now) == std::chrono::seconds{90});
    CHECK(parse_retry_after("Sun, 22 Nov 2026 09:00:00 GMT", now) == std::chrono::seconds{0});
    CHECK(parse_retry_after("999999999", now) == std::chrono::hours{24});
    CHECK(parse_retry_after("soon", now) == std::nullopt);
}
