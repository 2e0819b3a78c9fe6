// The helpdesks' signature schemes, against published HMAC test vectors and the vendors'
// documented constructions.
#include <catch2/catch.hpp>

#include "infra/helpdesk_signatures.hpp"
#include "infra/iso8601.hpp"

using namespace bb;
using namespace bb::webhooks;

namespace {
instant at(std::string_view s) {
    return *iso8601::parse_instant(s);
}
}  // namespace

TEST_CASE("HMAC matches the RFC 2202 and RFC 4231 test vectors", "[webhooks][helpdesk]") {
    CHECK(to_hex(hmac(digest::sha1, "Jefe", "what do ya want for nothing?")) ==
          "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    CHECK(to_hex(hmac(digest::sha256, "Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("X-Hub-Signature: the HMAC of the body, as Zammad (sha1) and Jira (sha256) send it",
          "[webhooks][helpdesk]") {
    const std::string body = "what do ya want for nothing?";
    const std::vector<std::string> secrets{"old", "Jefe"};  // rotation: any secret may sign
    CHECK(verify_hub_signature(digest::sha1, secrets,
                               "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", body));
    CHECK(verify_hub_signature(digest::sha1, secrets,
                               "sha1=EFFCDF6AE5EB2FA2D27416D5F184DF9C259A7C79", body));
    CHECK(verify_hub_signature(
        digest::sha256, secrets,
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", body));
    SECTION("refused") {
        CHECK(verify_hub_signature(digest::sha1, secrets, "", body).error() ==
              verify_error::missing_headers);
        // The algorithm is the source's, not the sender's to choose.
        CHECK(verify_hub_signature(
                  digest::sha1, secrets,
                  "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", body)
                  .error() == verify_error::no_valid_signature);
        CHECK(verify_hub_signature(digest::sha1, secrets,
                                   "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", body + " ")
                  .error() == verify_error::no_valid_signature);
        CHECK(verify_hub_signature(digest::sha1, {"other"},
                                   "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", body)
                  .error() == verify_error::no_valid_signature);
        CHECK(verify_hub_signature(digest::sha1, secrets, "sha1=effcdf", body).error() ==
              verify_error::no_valid_signature);
    }
}

TEST_CASE("Zendesk: base64(HMAC-SHA256(timestamp + body)) within five minutes",
          "[webhooks][helpdesk]") {
    const std::string body = R"({"type":"zen:event-type:ticket.created"})";
    const std::string ts = "2026-12-07T10:00:00Z";
    const auto sig = base64_encode(hmac(digest::sha256, "zd-secret", ts + body));
    const auto now = at("2026-12-07T10:03:00Z");
    CHECK(verify_zendesk({"zd-secret"}, sig, ts, body, now));
    CHECK(verify_zendesk({"zd-secret"}, sig, ts, body, at("2026-12-07T09:56:00Z")));
    CHECK(verify_zendesk({"zd-secret"}, sig, ts, body, at("2026-12-07T10:05:01Z")).error() ==
          verify_error::stale_timestamp);
    CHECK(verify_zendesk({"zd-secret"}, sig, ts, body, at("2026-12-07T09:54:59Z")).error() ==
          verify_error::stale_timestamp);
    CHECK(verify_zendesk({"zd-secret"}, sig, "2026-12-07T10:00:01Z", body, now).error() ==
          verify_error::no_valid_signature);
    CHECK(verify_zendesk({"zd-secret"}, sig, "yesterday", body, now).error() ==
          verify_error::bad_timestamp);
    CHECK(verify_zendesk({"zd-secret"}, "", ts, body, now).error() ==
          verify_error::missing_headers);
    CHECK(verify_zendesk({"other"}, sig, ts, body, now).error() ==
          verify_error::no_valid_signature);
}
