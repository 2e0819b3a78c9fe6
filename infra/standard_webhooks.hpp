#pragma once

#include <expected>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

#include "domain/time.hpp"

namespace bb::webhooks {

// Why a delivery was refused; each maps to 401 with its own detail.
enum class verify_error {
    missing_headers,    // webhook-id, webhook-timestamp or webhook-signature absent
    bad_timestamp,      // not an integer of seconds
    stale_timestamp,    // further than the tolerance from now, either way
    no_valid_signature  // none of the v1 signatures matches any active secret
};
std::string_view to_string(verify_error e);

struct signed_headers {
    std::string id;
    std::string timestamp;
    std::string signature;
};

std::optional<std::string> base64_decode(std::string_view in);
std::string base64_encode(std::string_view in);

// The key bytes of a "whsec_<base64>" secret (or of a bare base64 secret).
std::optional<std::string> secret_key(std::string_view secret);

// A secret made ready to sign with: its key decoded and HMAC-SHA256 set up once (the digest and
// MAC looked up, the key's inner and outer pads hashed), copied for each message. Invalid
// secrets (not base64, empty) are kept but match nothing. Safe to use from several threads.
class hmac_key {
  public:
    explicit hmac_key(std::string_view secret);
    // The 32-byte HMAC of the parts, concatenated; empty for an invalid secret.
    std::string mac(std::initializer_list<std::string_view> parts) const;

  private:
    struct ctx_free {
        void operator()(EVP_MAC_CTX* ctx) const;
    };
    std::unique_ptr<EVP_MAC_CTX, ctx_free> ctx_;
};

// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>"
std::string sign(std::string_view secret, std::string_view id, std::string_view timestamp,
                 std::string_view body);

// Accepts when any space-separated v1 signature matches any of the secrets (rotation), compared
// in constant time, and the timestamp is within `tolerance` of `now`.
std::expected<void, verify_error> verify(const std::vector<std::string>& secrets,
                                         const signed_headers& h, std::string_view body,
                                         instant now, duration tolerance = std::chrono::minutes{5});
std::expected<void, verify_error> verify(const std::vector<const hmac_key*>& keys,
                                         const signed_headers& h, std::string_view body,
                                         instant now, duration tolerance = std::chrono::minutes{5});

}  // namespace bb::webhooks
