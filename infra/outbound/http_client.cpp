#include "infra/outbound/http_client.hpp"

#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace bb::outbound {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

// Runs one asynchronous operation to completion on `ioc` and returns its error. The stream's
// timer (beast::tcp_stream::expires_at) bounds every step.
template <class Start>
boost::system::error_code run(asio::io_context& ioc, Start&& start) {
    boost::system::error_code out = asio::error::would_block;
    start([&](boost::system::error_code ec, auto&&...) { out = ec; });
    ioc.restart();
    ioc.run();
    return out;
}

template <class Stream>
std::expected<post_response, std::string> exchange(asio::io_context& ioc, Stream& stream,
                                                   const post_request& r) {
    const auto verb = bhttp::string_to_verb(r.method);
    if (verb == bhttp::verb::unknown) return std::unexpected("unknown HTTP method " + r.method);
    bhttp::request<bhttp::string_body> req{verb, r.target.target, 11};
    req.set(bhttp::field::host, r.target.host);
    req.set(bhttp::field::user_agent, "Bounceback-Webhooks/1");
    for (const auto& [k, v] : r.headers) req.set(k, v);
    req.body() = r.body;
    req.prepare_payload();
    if (const auto ec = run(ioc, [&](auto h) { bhttp::async_write(stream, req, h); }))
        return std::unexpected("sending the request: " + ec.message());
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024);  // the body is not used; a huge one is cut off
    if (const auto ec = run(ioc, [&](auto h) { bhttp::async_read(stream, buffer, parser, h); });
        ec && ec != bhttp::error::body_limit)
        return std::unexpected("reading the response: " + ec.message());
    const auto& res = parser.get();
    post_response out;
    out.status = res.result_int();
    if (const auto it = res.find(bhttp::field::retry_after); it != res.end())
        out.retry_after = std::string(it->value().data(), it->value().size());
    if (const auto it = res.find(bhttp::field::location); it != res.end())
        out.location = std::string(it->value().data(), it->value().size());
    return out;
}

}  // namespace

std::expected<post_response, std::string> post(const post_request& r) {
    asio::io_context ioc;
    beast::tcp_stream tcp(ioc);
    tcp.expires_after(r.timeout);
    asio::ip::tcp::endpoint connected;
    if (const auto ec = run(ioc, [&](auto h) {
            tcp.async_connect(r.endpoints, [&connected, h](boost::system::error_code e,
                                                           const asio::ip::tcp::endpoint& ep) {
                connected = ep;
                h(e);
            });
        }))
        return std::unexpected("connecting to " + r.target.host + ": " + ec.message());
    if (!r.target.tls) {
        auto out = exchange(ioc, tcp, r);
        boost::system::error_code ignored;
        tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        return out;
    }
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(asio::ssl::verify_peer);
    ctx.set_verify_callback(asio::ssl::host_name_verification(r.target.host));
    beast::ssl_stream<beast::tcp_stream> tls(std::move(tcp), ctx);
    if (!SSL_set_tlsext_host_name(tls.native_handle(), r.target.host.c_str()))
        return std::unexpected("TLS: cannot set the server name");
    if (const auto ec =
            run(ioc, [&](auto h) { tls.async_handshake(asio::ssl::stream_base::client, h); }))
        return std::unexpected("TLS handshake with " + r.target.host + ": " + ec.message());
    auto out = exchange(ioc, tls, r);
    run(ioc, [&](auto h) { tls.async_shutdown(h); });
    return out;
}

}  // namespace bb::outbound
