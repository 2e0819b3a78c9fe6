#include "infra/helpdesk_signatures.hpp"

#include <cctype>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "infra/iso8601.hpp"

namespace bb::webhooks {

std::string hmac(digest d, std::string_view key, std::string_view message) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const auto* md = d == digest::sha1 ? EVP_sha1() : EVP_sha256();
    // An empty key is a valid HMAC key; OpenSSL wants a non-null pointer for it.
    static const unsigned char none = 0;
    const auto* k = key.empty() ? &none : reinterpret_cast<const unsigned char*>(key.data());
    if (HMAC(md, k, static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
             &len) == nullptr)
        return {};
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 0xf]);
    }
    return out;
}

bool same_bytes(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::expected<void, verify_error> verify_hub_signature(digest d,
                                                       const std::vector<std::string>& secrets,
                                                       std::string_view header,
                                                       std::string_view body) {
    if (header.empty()) return std::unexpected(verify_error::missing_headers);
    const std::string_view prefix = d == digest::sha1 ? "sha1=" : "sha256=";
    if (!header.starts_with(prefix)) return std::unexpected(verify_error::no_valid_signature);
    // Hex digits may arrive in either case; ours are lower-case.
    std::string given(header.substr(prefix.size()));
    for (auto& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = false;
    for (const auto& secret : secrets) ok |= same_bytes(to_hex(hmac(d, secret, body)), given);
    if (!ok) return std::unexpected(verify_error::no_valid_signature);
    return {};
}

std::expected<void, verify_error> verify_zendesk(const std::vector<std::string>& secrets,
                                                 std::string_view signature,
                                                 std::string_view timestamp, std::string_view body,
                                                 instant now, duration tolerance) {
    if (signature.empty() || timestamp.empty())
        return std::unexpected(verify_error::missing_headers);
    const auto t = iso8601::parse_instant(timestamp);
    if (!t) return std::unexpected(verify_error::bad_timestamp);
    if (*t > now + tolerance || *t < now - tolerance)
        return std::unexpected(verify_error::stale_timestamp);
    std::string message(timestamp);
    message.append(body);
    bool ok = false;
    for (const auto& secret : secrets)
        ok |= same_bytes(base64_encode(hmac(digest::sha256, secret, message)), signature);
    if (!ok) return std::unexpected(verify_error::no_valid_signature);
    return {};
}

}  // namespace bb::webhooks
