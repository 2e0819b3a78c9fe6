#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.hpp"
#include "infra/standard_webhooks.hpp"

namespace bb::webhooks {

// The signatures helpdesks put on their own webhooks (docs/integrations.md). Every comparison is
// in constant time; a delivery passes when any of the source's secrets (several during rotation)
// signs it.

enum class digest { sha1, sha256 };

// The raw HMAC of `message` under `key`.
std::string hmac(digest d, std::string_view key, std::string_view message);
std::string to_hex(std::string_view bytes);
// Equal bytes, in time that depends only on the lengths.
bool same_bytes(std::string_view a, std::string_view b);

// `X-Hub-Signature: sha1=<hex>` (Zammad) or `sha256=<hex>` (Jira): the HMAC of the body.
std::expected<void, verify_error> verify_hub_signature(digest d,
                                                       const std::vector<std::string>& secrets,
                                                       std::string_view header,
                                                       std::string_view body);

// Zendesk: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(timestamp + body)), where the
// timestamp is `X-Zendesk-Webhook-Signature-Timestamp` (RFC 3339); refused when it is more than
// `tolerance` away from `now` (a replayed request).
std::expected<void, verify_error> verify_zendesk(const std::vector<std::string>& secrets,
                                                 std::string_view signature,
                                                 std::string_view timestamp, std::string_view body,
                                                 instant now,
                                                 duration tolerance = std::chrono::minutes{5});

}  // namespace bb::webhooks
