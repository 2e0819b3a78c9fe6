#include <catch2/catch.hpp>

#include "infra/standard_webhooks.hpp"
#include "tests/domain/fixtures.hpp"

using namespace bb;
using namespace bb::webhooks;

namespace {
// The example from the Standard Webhooks specification's test vectors.
const std::string spec_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string spec_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const std::string spec_ts = "1614265330";
const std::string spec_body = R"({"test": 2432232314})";
const std::string spec_sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const instant spec_now = instant{std::chrono::seconds{1614265330}};
}  // namespace

SCENARIO("Standard Webhooks signatures", "[infra][webhooks]") {
    THEN("signing matches the specification's test vector") {
        CHECK(sign(spec_secret, spec_id, spec_ts, spec_body) == spec_sig);
    }
    THEN("the vector verifies") {
        CHECK(verify({spec_secret}, {spec_id, spec_ts, spec_sig}, spec_body, spec_now).has_value());
    }
    THEN("a changed body, id or timestamp does not verify") {
        CHECK(verify({spec_secret}, {spec_id, spec_ts, spec_sig}, spec_body + " ", spec_now)
                  .error() == verify_error::no_valid_signature);
        CHECK(
            verify({spec_secret}, {"msg_other", spec_ts, spec_sig}, spec_body, spec_now).error() ==
            verify_error::no_valid_signature);
    }
    THEN("missing headers are refused") {
        CHECK(verify({spec_secret}, {"", spec_ts, spec_sig}, spec_body, spec_now).error() ==
              verify_error::missing_headers);
        CHECK(verify({spec_secret}, {spec_id, spec_ts, ""}, spec_body, spec_now).error() ==
              verify_error::missing_headers);
    }
    THEN("timestamps within 5 minutes pass, beyond are stale, garbage is refused") {
        using std::chrono::seconds;
        CHECK(
            verify({spec_secret}, {spec_id, spec_ts, spec_sig}, spec_body, spec_now + seconds{299})
                .has_value());
        CHECK(
            verify({spec_secret}, {spec_id, spec_ts, spec_sig}, spec_body, spec_now - seconds{299})
                .has_value());
        CHECK(
            verify({spec_secret}, {spec_id, spec_ts, spec_sig}, spec_body, spec_now + seconds{301})
                .error() == verify_error::stale_timestamp);
        CHECK(
            verify({spec_secret}, {spec_id, spec_ts, spec_sig}, spec_body, spec_now - seconds{301})
                .error() == verify_error::stale_timestamp);
        CHECK(verify({spec_secret}, {spec_id, "16142x", spec_sig}, spec_body, spec_now).error() ==
              verify_error::bad_timestamp);
    }
    THEN("during rotation any listed signature may match any active secret") {
        const std::string old_secret = "whsec_" + base64_encode("old-secret-bytes");
        const auto with_old = sign(old_secret, spec_id, spec_ts, spec_body);
        CHECK(verify({spec_secret, old_secret}, {spec_id, spec_ts, with_old}, spec_body, spec_now)
                  .has_value());
        CHECK(verify({spec_secret}, {spec_id, spec_ts, "v1,AAAA " + spec_sig}, spec_body, spec_now)
                  .has_value());
        CHECK(verify({spec_secret}, {spec_id, spec_ts, "v1a,xyz " + with_old}, spec_body, spec_now)
                  .error() == verify_error::no_valid_signature);
    }
}

TEST_CASE("base64 round trip", "[infra][webhooks]") {
    for (const std::string s : {"a", "ab", "abc", "abcd", "hello world!"})
        CHECK(base64_decode(base64_encode(s)) == s);
    CHECK_FALSE(base64_decode("abc").has_value());
}

// Found by fuzz_standard_webhooks: OpenSSL's block decoder skips surrounding whitespace.
TEST_CASE("base64 is strict: whitespace, stray padding and empty keys are refused",
          "[infra][webhooks]") {
    CHECK(base64_decode("") == std::string{});
    CHECK(base64_decode(base64_encode("")) == std::string{});
    CHECK_FALSE(base64_decode("    ").has_value());
    CHECK_FALSE(base64_decode("  QUJD  ").has_value());
    CHECK_FALSE(base64_decode("QU=D").has_value());
    CHECK_FALSE(base64_decode("Q===").has_value());
    CHECK(base64_decode("QUJD") == std::string("ABC"));
    CHECK(base64_decode("QQ==") == std::string("A"));
    CHECK_FALSE(secret_key("whsec_").has_value());
    CHECK_FALSE(secret_key("whsec_    ").has_value());
    CHECK(verify({"whsec_"}, {"id", "1800000000", "v1,"}, "",
                 instant{std::chrono::seconds{1800000000}})
              .error() == verify_error::no_valid_signature);
}

TEST_CASE("a prepared key signs every message as a fresh one does", "[webhooks]") {
    const std::string secret = "whsec_" + base64_encode("prepared-key-secret");
    const hmac_key key(secret);
    const auto first = key.mac({"id-1", ".", "1700000000", ".", "{}"});
    const auto second = key.mac({"id-2", ".", "1700000001", ".", R"({"a":1})"});
    CHECK(first.size() == 32);
    CHECK(first != second);
    // Using the key once leaves nothing behind for the next message.
    CHECK(key.mac({"id-1", ".", "1700000000", ".", "{}"}) == first);
    CHECK("v1," + base64_encode(second) == sign(secret, "id-2", "1700000001", R"({"a":1})"));
    // Parts are one message: where it is cut makes no difference.
    CHECK(key.mac({"id-1.1700000000.{}"}) == first);
    CHECK(hmac_key("whsec_not base64!").mac({"x"}).empty());
    CHECK(hmac_key("whsec_").mac({"x"}).empty());
}
