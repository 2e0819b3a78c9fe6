#include "handlers/http/query_params.hpp"

#include <charconv>

#include "infra/iso8601.hpp"

namespace bb {

std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+' && plus_is_space) {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size()) {
            int v = 0;
            const auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
            if (ec == std::errc{} && p == s.data() + i + 3) {
                out += static_cast<char>(v);
                i += 2;
            } else {
                out += '%';
            }
        } else {
            out += s[i];
        }
    }
    return out;
}

namespace {
std::string decode(std::string_view s) {
    return percent_decode(s, true);
}
}  // namespace

std::map<std::string, std::string> parse_query(std::string_view target) {
    std::map<std::string, std::string> out;
    const auto q = target.find('?');
    if (q == std::string_view::npos) return out;
    auto rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        out[decode(pair.substr(0, eq))] =
            eq == std::string_view::npos ? std::string{} : decode(pair.substr(eq + 1));
    }
    return out;
}

std::expected<projection::report_filter, bad_param> parse_filter(
    const std::map<std::string, std::string>& q) {
    projection::report_filter f;
    auto text = [&](const char* name, std::optional<std::string>& slot) {
        if (const auto it = q.find(name); it != q.end() && !it->second.empty()) slot = it->second;
    };
    text("team", f.team);
    text("segment", f.segment);
    text("policy", f.policy);
    text("product", f.product);
    text("channel", f.channel);
    if (const auto it = q.find("policy_version"); it != q.end()) {
        int v = 0;
        const auto* end = it->second.data() + it->second.size();
        if (const auto [ptr, ec] = std::from_chars(it->second.data(), end, v);
            ec != std::errc{} || ptr != end || v < 1)
            return std::unexpected(bad_param{"policy_version", "must be a positive integer"});
        f.policy_version = v;
    }
    if (const auto it = q.find("severity"); it != q.end()) {
        f.sev = parse_severity(it->second);
        if (!f.sev)
            return std::unexpected(bad_param{"severity", "must be low, medium, high or critical"});
    }
    for (auto [name, slot] : {std::pair{"from", &f.from}, {"to", &f.to}}) {
        if (const auto it = q.find(name); it != q.end()) {
            *slot = iso8601::parse_instant(it->second);
            if (!*slot) return std::unexpected(bad_param{name, "must be an RFC 3339 instant"});
        }
    }
    return f;
}

std::expected<page, bad_param> parse_page(const std::map<std::string, std::string>& q) {
    page p;
    if (const auto it = q.find("limit"); it != q.end()) {
        const auto [ptr, ec] =
            std::from_chars(it->second.data(), it->second.data() + it->second.size(), p.limit);
        if (ec != std::errc{} || ptr != it->second.data() + it->second.size() || p.limit < 1 ||
            p.limit > 500)
            return std::unexpected(bad_param{"limit", "must be an integer 1..500"});
    }
    if (const auto it = q.find("cursor"); it != q.end()) {
        // "o<offset>": every value of the documented pattern is a valid position (a position past
        // the end is an empty page), so a client or a schema-driven tester never hits a cursor
        // that only this server could have made.
        const auto& c = it->second;
        if (c.size() < 2 || c.size() > 10 || c[0] != 'o' ||
            std::from_chars(c.data() + 1, c.data() + c.size(), p.offset).ptr != c.data() + c.size())
            return std::unexpected(bad_param{"cursor", "is not a cursor this API returned"});
    }
    return p;
}

std::string next_cursor(const page& p, std::size_t total) {
    if (p.offset + p.limit >= total) return {};
    return "o" + std::to_string(p.offset + p.limit);
}

}  // namespace bb
