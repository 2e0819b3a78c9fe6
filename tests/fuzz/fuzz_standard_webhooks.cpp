// The Standard Webhooks verifier: it accepts exactly the deliveries that carry a correct
// signature, whatever the headers hold, and what we sign always verifies.
#include <cstdint>
#include <string>

#include "infra/standard_webhooks.hpp"
#include "tests/fuzz/fuzz_input.hpp"

using namespace bb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in{data, size};
    const std::string secret(in.take_line());
    webhooks::signed_headers h;
    h.id = std::string(in.take_line());
    h.timestamp = std::string(in.take_line());
    h.signature = std::string(in.take_line());
    const std::string body(in.rest());
    const auto now = instant{std::chrono::seconds{1'800'000'000}};

    const auto decoded = webhooks::base64_decode(body);
    if (decoded)
        fuzz::require(webhooks::base64_decode(webhooks::base64_encode(*decoded)) == decoded,
                      "base64 does not round-trip", body);

    const auto verdict = webhooks::verify({secret}, h, body, now);
    const auto key = webhooks::secret_key(secret);
    if (verdict) {
        fuzz::require(key.has_value(), "accepted with an unusable secret", secret);
        const auto expected = webhooks::sign(secret, h.id, h.timestamp, body);
        const auto mac = webhooks::base64_decode(std::string_view(expected).substr(3));
        bool carried = false;
        std::string_view rest = h.signature;
        while (!rest.empty() && !carried) {
            const auto space = rest.find(' ');
            const auto token = rest.substr(0, space);
            rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
            carried = token.starts_with("v1,") && webhooks::base64_decode(token.substr(3)) == mac;
        }
        fuzz::require(carried, "accepted without the correct signature", h.signature);
    }
    if (key && !h.id.empty()) {
        const auto ts = std::to_string(1'800'000'000 + static_cast<int>(in.take_byte()) - 128);
        const webhooks::signed_headers ours{h.id, ts, webhooks::sign(secret, h.id, ts, body)};
        fuzz::require(webhooks::verify({secret}, ours, body, now).has_value(),
                      "a delivery we signed does not verify", body);
        fuzz::require(!webhooks::verify({secret}, ours, body + "x", now).has_value(),
                      "a changed body still verifies", body);
    }
    return 0;
}
