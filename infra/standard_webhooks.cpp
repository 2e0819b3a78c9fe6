#include "infra/standard_webhooks.hpp"

#include <charconv>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace bb::webhooks {

std::string_view to_string(verify_error e) {
    switch (e) {
        case verify_error::missing_headers:
            return "webhook-id, webhook-timestamp and webhook-signature are required";
        case verify_error::bad_timestamp:
            return "webhook-timestamp must be integer seconds";
        case verify_error::stale_timestamp:
            return "webhook-timestamp is outside the 5 minute tolerance";
        case verify_error::no_valid_signature:
            return "no valid signature";
    }
    return "unknown";
}

std::string base64_encode(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

namespace {
bool base64_alphabet(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}
}  // namespace

// Strict RFC 4648 (standard alphabet, padded): EVP_DecodeBlock alone skips surrounding
// whitespace, so "    " would decode to nothing and "  QUJD" to "ABC" (found by
// fuzz_standard_webhooks).
std::optional<std::string> base64_decode(std::string_view in) {
    if (in.size() % 4 != 0) return std::nullopt;
    if (in.empty()) return std::string{};
    const auto padding = in.ends_with("==") ? 2U : in.ends_with("=") ? 1U : 0U;
    for (std::size_t i = 0; i + padding < in.size(); ++i)
        if (!base64_alphabet(in[i])) return std::nullopt;
    std::string out(3 * in.size() / 4, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    if (n < 0) return std::nullopt;
    std::size_t len = static_cast<std::size_t>(n);
    // EVP_DecodeBlock counts padding as zero bytes.
    if (in.ends_with("=="))
        len -= 2;
    else if (in.ends_with("="))
        len -= 1;
    out.resize(len);
    return out;
}

std::optional<std::string> secret_key(std::string_view secret) {
    if (secret.starts_with("whsec_")) secret.remove_prefix(6);
    auto key = base64_decode(secret);
    if (key && key->empty()) return std::nullopt;  // an empty HMAC key is no secret
    return key;
}

void hmac_key::ctx_free::operator()(EVP_MAC_CTX* ctx) const {
    EVP_MAC_CTX_free(ctx);
}

hmac_key::hmac_key(std::string_view secret) {
    const auto key = secret_key(secret);
    if (!key) return;
    std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                           &EVP_MAC_free);
    if (!hmac) return;
    std::unique_ptr<EVP_MAC_CTX, ctx_free> ctx(EVP_MAC_CTX_new(hmac.get()));
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (!ctx || EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key->data()),
                             key->size(), params) != 1)
        return;
    ctx_ = std::move(ctx);
}

std::string hmac_key::mac(std::initializer_list<std::string_view> parts) const {
    if (!ctx_) return {};
    const std::unique_ptr<EVP_MAC_CTX, ctx_free> ctx(EVP_MAC_CTX_dup(ctx_.get()));
    auto* c = ctx.get();
    if (!c) return {};
    for (const auto part : parts)
        if (EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(part.data()), part.size()) !=
            1)
            return {};
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    if (EVP_MAC_final(c, out, &len, sizeof(out)) != 1) return {};
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string sign(std::string_view secret, std::string_view id, std::string_view timestamp,
                 std::string_view body) {
    return "v1," + base64_encode(hmac_key(secret).mac({id, ".", timestamp, ".", body}));
}

std::expected<void, verify_error> verify(const std::vector<std::string>& secrets,
                                         const signed_headers& h, std::string_view body,
                                         instant now, duration tolerance) {
    std::vector<hmac_key> keys;
    keys.reserve(secrets.size());
    std::vector<const hmac_key*> refs;
    for (const auto& s : secrets) refs.push_back(&keys.emplace_back(s));
    return verify(refs, h, body, now, tolerance);
}

std::expected<void, verify_error> verify(const std::vector<const hmac_key*>& keys,
                                         const signed_headers& h, std::string_view body,
                                         instant now, duration tolerance) {
    if (h.id.empty() || h.timestamp.empty() || h.signature.empty())
        return std::unexpected(verify_error::missing_headers);
    long long ts = 0;
    const auto [end, ec] =
        std::from_chars(h.timestamp.data(), h.timestamp.data() + h.timestamp.size(), ts);
    if (ec != std::errc{} || end != h.timestamp.data() + h.timestamp.size())
        return std::unexpected(verify_error::bad_timestamp);
    const auto sent = instant{std::chrono::seconds{ts}};
    if (sent < now - tolerance || sent > now + tolerance)
        return std::unexpected(verify_error::stale_timestamp);

    std::vector<std::string> expected;
    for (const auto& k : keys)
        if (auto mac = k->mac({h.id, ".", h.timestamp, ".", body}); !mac.empty())
            expected.push_back(std::move(mac));

    std::string_view rest = h.signature;
    while (!rest.empty()) {
        const auto space = rest.find(' ');
        const auto token = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
        if (!token.starts_with("v1,")) continue;  // other schemes (v1a) are not ours
        const auto sig = base64_decode(token.substr(3));
        if (!sig) continue;
        for (const auto& mac : expected)
            if (sig->size() == mac.size() &&
                CRYPTO_memcmp(sig->data(), mac.data(), mac.size()) == 0)
                return {};
    }
    return std::unexpected(verify_error::no_valid_signature);
}

}  // namespace bb::webhooks
