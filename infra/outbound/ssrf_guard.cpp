#include "infra/outbound/ssrf_guard.hpp"

#include <array>
#include <charconv>

#include <boost/asio/io_context.hpp>

namespace bb::outbound {

namespace asio = boost::asio;

std::expected<url, std::string> parse_url(std::string_view text) {
    url u;
    if (text.starts_with("https://")) {
        u.tls = true;
        text.remove_prefix(8);
    } else if (text.starts_with("http://")) {
        text.remove_prefix(7);
    } else {
        return std::unexpected("only http and https URLs are allowed");
    }
    const auto slash = text.find_first_of("/?#");
    auto authority = text.substr(0, slash);
    u.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
    if (u.target.starts_with("?")) u.target = "/" + u.target;
    if (const auto hash = u.target.find('#'); hash != std::string::npos) u.target.resize(hash);
    if (authority.find('@') != std::string_view::npos)
        return std::unexpected("credentials in the URL are not allowed");
    std::string_view port;
    if (authority.starts_with("[")) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::unexpected("unterminated IPv6 literal");
        u.host = std::string(authority.substr(1, close - 1));
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (!rest.starts_with(":")) return std::unexpected("garbage after the IPv6 literal");
            port = rest.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (u.host.empty()) return std::unexpected("the URL has no host");
    u.port = u.tls ? 443 : 80;
    if (!port.empty()) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
            return std::unexpected("invalid port");
        u.port = static_cast<std::uint16_t>(value);
    }
    return u;
}

namespace {

std::optional<std::string> forbidden_v4(const asio::ip::address_v4& a) {
    const auto b = a.to_bytes();
    const auto in = [&](std::array<unsigned, 4> net, int bits) {
        const auto value = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                           (std::uint32_t{b[2]} << 8) | b[3];
        const auto base = (net[0] << 24) | (net[1] << 16) | (net[2] << 8) | net[3];
        const auto mask = bits == 0 ? 0u : ~std::uint32_t{0} << (32 - bits);
        return (value & mask) == (base & mask);
    };
    if (in({0, 0, 0, 0}, 8)) return "an unspecified (0.0.0.0/8) address";
    if (in({127, 0, 0, 0}, 8)) return "a loopback address";
    if (in({10, 0, 0, 0}, 8) || in({172, 16, 0, 0}, 12) || in({192, 168, 0, 0}, 16))
        return "a private address";
    if (in({169, 254, 169, 254}, 32)) return "the cloud metadata address";
    if (in({169, 254, 0, 0}, 16)) return "a link-local address";
    if (in({100, 64, 0, 0}, 10)) return "a carrier-grade NAT address";
    if (in({192, 0, 0, 0}, 24) || in({198, 18, 0, 0}, 15)) return "a reserved address";
    if (in({224, 0, 0, 0}, 4)) return "a multicast address";
    if (in({240, 0, 0, 0}, 4)) return "a reserved or broadcast address";
    return std::nullopt;
}

}  // namespace

std::optional<std::string> forbidden(const asio::ip::address& a) {
    if (a.is_v4()) return forbidden_v4(a.to_v4());
    const auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) return forbidden_v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6));
    const auto b = v6.to_bytes();
    if (v6.is_unspecified()) return "an unspecified address";
    if (v6.is_loopback()) return "a loopback address";
    if (v6.is_link_local()) return "a link-local address";
    if (v6.is_multicast()) return "a multicast address";
    if ((b[0] & 0xfe) == 0xfc)
        return "a unique-local (private) address";  // fc00::/7, incl. fd00:ec2::254
    if (v6.is_site_local()) return "a site-local address";
    // ::a.b.c.d (IPv4-compatible, deprecated) and 64:ff9b::/96 (NAT64) embed an IPv4 address.
    const bool compatible = std::all_of(b.begin(), b.begin() + 12, [](auto x) { return x == 0; });
    const bool nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
                       std::all_of(b.begin() + 4, b.begin() + 12, [](auto x) { return x == 0; });
    if (compatible || nat64)
        return forbidden_v4(asio::ip::address_v4({b[12], b[13], b[14], b[15]}));
    return std::nullopt;
}

std::expected<std::vector<asio::ip::tcp::endpoint>, std::string> resolve_checked(
    const url& u, bool allow_private) {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    // getaddrinfo normalises odd spellings (0x7f.1, 2130706433, 0177.0.0.1) into the address they
    // mean; the check below runs on that address.
    const auto results = resolver.resolve(u.host, std::to_string(u.port), ec);
    if (ec) return std::unexpected("cannot resolve " + u.host + ": " + ec.message());
    std::vector<asio::ip::tcp::endpoint> out;
    for (const auto& r : results) {
        const auto ep = r.endpoint();
        if (!allow_private)
            if (const auto why = forbidden(ep.address()))
                return std::unexpected(u.host + " resolves to " + ep.address().to_string() + ", " +
                                       *why +
                                       " (set allow_private on the subscription to "
                                       "allow it)");
        out.push_back(ep);
    }
    if (out.empty()) return std::unexpected("cannot resolve " + u.host + ": no addresses");
    return out;
}

}  // namespace bb::outbound
