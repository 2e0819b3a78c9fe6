#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace bb::outbound {

// An http(s) URL taken apart. Only these two schemes exist for outbound webhooks.
struct url {
    bool tls = false;
    std::string host;  // without brackets for IPv6 literals
    std::uint16_t port = 0;
    std::string target;  // path and query, at least "/"
};
std::expected<url, std::string> parse_url(std::string_view text);

// Why an address must not be a webhook target (loopback, private, link-local, cloud metadata,
// multicast, unspecified, ... in IPv4 and IPv6, IPv4-mapped and -compatible forms included), or
// nullopt when it is a public address. OWASP SSRF prevention: decide on the resolved address,
// never on the spelling of the host.
std::optional<std::string> forbidden(const boost::asio::ip::address& a);

// Resolves the host and returns the endpoints a delivery may connect to. Unless private targets
// are allowed for this subscription, any forbidden address refuses the whole host (a name that
// resolves to both a public and an internal address is not trusted). The caller connects to
// exactly these endpoints, so the address checked is the address used (no second lookup).
std::expected<std::vector<boost::asio::ip::tcp::endpoint>, std::string> resolve_checked(
    const url& u, bool allow_private);

}  // namespace bb::outbound
