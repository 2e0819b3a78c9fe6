#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http.hpp>

namespace bb::http {

namespace beast_http = boost::beast::http;
using request = beast_http::request<beast_http::string_body>;
using response = beast_http::response<beast_http::string_body>;
using request_parser = beast_http::request_parser<beast_http::string_body>;

struct request_context {
    std::string request_id;
    std::string remote;
};

// A route table: a function from request to response that never touches the socket. It may
// block (durable appends); the server runs it on a worker pool, never on the I/O threads.
using handler = std::function<response(const request&, const request_context&)>;
// Whether a request's route answers from memory without waiting (no disk, no lock held for
// long): such requests run on the I/O thread that read them, saving two thread hand-offs.
// Everything else runs on the worker pool.
using quick_predicate = std::function<bool(const request&)>;
// Answers a request later, from any thread, exactly once: `build` runs on the connection's
// strand and its response goes out.
using responder = std::function<void(std::function<response()> build)>;
// Takes a request that is answered asynchronously, without blocking the I/O thread that read
// it (a webhook whose events are queued for a durable append); false leaves it to the handler.
using deferred_handler =
    std::function<bool(const request&, const request_context&, responder reply)>;
// Builds the response for an error detected before routing (413, 408, 400).
using error_responder =
    std::function<response(unsigned status, const std::string& detail, const request_context&)>;

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
    server(boost::asio::io_context& ioc, server_options opts, handler h, error_responder err,
           quick_predicate quick = {}, deferred_handler deferred = {});
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
    handler handler_;
    error_responder error_;
    quick_predicate quick_;
    deferred_handler deferred_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::thread_pool workers_;
    unsigned short port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> in_flight_{0};
    std::atomic<std::uint64_t> next_id_{0};
    std::string id_prefix_;
};

}  // namespace bb::http
