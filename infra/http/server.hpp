#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http.hpp>

#include "infra/trace_context.hpp"

namespace bb::http {

namespace beast_http = boost::beast::http;
using request = beast_http::request<beast_http::string_body>;
using response = beast_http::response<beast_http::string_body>;
using request_parser = beast_http::request_parser<beast_http::string_body>;

struct request_context {
    std::string request_id;
    std::string remote;
    // The span serving this request: a child of the request's `traceparent` header when it has a
    // valid one, else a new trace.
    trace::context trace{};
};

// Answers a request later, from any thread, exactly once: `build` runs on the connection's
// executor and its response goes out. Building there keeps that work off the thread that
// completed the request (the event log's writer, for a webhook).
using responder = std::function<void(std::function<response()> build)>;
// Work that may block (a durable append, a walk of the read model): run on the worker pool.
using blocking_work = std::function<response()>;
// Work started on the I/O thread that read the request; it must not block, and answers through
// the responder once what it waits for is done.
using async_work = std::function<void(responder)>;
// How the application answers a request: now, on the I/O thread that read it (from memory, no
// lock held for long), on the worker pool, or asynchronously.
using answer = std::variant<response, blocking_work, async_work>;

// Why a request could not be read; the application says how that is answered.
enum class read_error { malformed, timeout, body_too_large, headers_too_large };

// What the server serves. The server owns sockets and threads; the application decides, once
// per request, what answers it. Called on I/O threads: neither function may block.
class application {
  public:
    virtual ~application() = default;
    virtual answer serve(std::shared_ptr<const request> req, const request_context& ctx) = 0;
    virtual response refuse(read_error e, const request_context& ctx) = 0;
};

struct server_options {
    std::string host = "127.0.0.1";
    unsigned short port = 8080;  // 0 = any free port
    std::size_t body_limit = 1 << 20;
    std::chrono::seconds read_timeout{15};  // whole request, headers and body
    std::chrono::seconds idle_timeout{30};  // keep-alive between requests
    std::size_t workers = 8;
    // The io_context is run by one thread: its handlers never run concurrently, so sessions
    // need no strand of their own (each strand hand-off locks and re-queues).
    bool single_io_thread = false;
};

inline constexpr std::size_t header_limit = 16 * 1024;
// The limits every request is read with (the fuzz target reads bytes the same way).
void apply_limits(request_parser& p, const server_options& opts);

class server {
  public:
    server(boost::asio::io_context& ioc, server_options opts, application& app);
    ~server();
    unsigned short port() const { return port_; }
    void start();
    // Stops accepting, lets in-flight requests finish and their responses go out.
    void stop();
    std::size_t in_flight() const { return in_flight_.load(); }

  private:
    class session;
    void accept();

    boost::asio::io_context& ioc_;
    server_options opts_;
    application& app_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::thread_pool workers_;
    unsigned short port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> in_flight_{0};
    std::atomic<std::uint64_t> next_id_{0};
    std::string id_prefix_;
};

}  // namespace bb::http
