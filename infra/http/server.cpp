#include "infra/http/server.hpp"

#include <optional>
#include <random>
#include <variant>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include "domain/overloaded.hpp"

namespace bb::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class server::session : public std::enable_shared_from_this<session> {
  public:
    session(tcp::socket&& socket, server& srv)
        : stream_(std::move(socket)), srv_(srv), remote_(remote_address(stream_.socket())) {}

    void run() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
    }

  private:
    void read() {
        parser_.emplace();
        apply_limits(*parser_, srv_.opts_);
        stream_.expires_after(first_ ? srv_.opts_.read_timeout : srv_.opts_.idle_timeout);
        first_ = false;
        beast::http::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        // A closed connection between requests is the normal end of a keep-alive session.
        if (ec == beast::http::error::end_of_stream || ec == asio::error::eof ||
            ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
            return close();
        request_context ctx{srv_.id_prefix_ + std::to_string(++srv_.next_id_), remote_, {}};
        if (ec == beast::error::timeout) {
            if (parser_->got_some()) return refuse(read_error::timeout, ctx);
            return close();
        }
        if (ec == beast::http::error::body_limit) return refuse(read_error::body_too_large, ctx);
        if (ec == beast::http::error::header_limit)
            return refuse(read_error::headers_too_large, ctx);
        if (ec) return refuse(read_error::malformed, ctx);

        stream_.expires_never();
        std::shared_ptr<const request> req = std::make_shared<request>(parser_->release());
        const auto header = [&req](const char* name) {
            const auto v = (*req)[name];
            return std::string_view(v.data(), v.size());
        };
        ctx.trace = trace::continue_or_start(header("traceparent"), header("tracestate"));
        const bool keep = req->keep_alive();
        ++srv_.in_flight_;
        auto answer = srv_.app_.serve(std::move(req), ctx);
        std::visit(overloaded{[&](response& now) { send(std::move(now), ctx.request_id, keep); },
                              [&](blocking_work& work) { on_workers(std::move(work), ctx, keep); },
                              [&](async_work& work) { work(responder_for(ctx, keep)); }},
                   answer);
    }

    void send(response res, const std::string& request_id, bool keep_alive) {
        res.set("x-request-id", request_id);
        reply_owned(std::make_shared<response>(std::move(res)), keep_alive && !srv_.stopping_);
    }

    // The work runs on the worker pool; its response comes back to this connection's executor.
    void on_workers(blocking_work work, const request_context& ctx, bool keep) {
        asio::post(srv_.workers_,
                   [self = shared_from_this(), work = std::move(work), id = ctx.request_id, keep] {
                       auto res = std::make_shared<response>(work());
                       asio::post(self->stream_.get_executor(), [self, res, id, keep]() mutable {
                           self->send(std::move(*res), id, keep);
                       });
                   });
    }

    responder responder_for(const request_context& ctx, bool keep) {
        return [self = shared_from_this(), keep, id = ctx.request_id](auto build) {
            asio::post(self->stream_.get_executor(), [self, keep, id, build = std::move(build)] {
                self->send(build(), id, keep);
            });
        };
    }

    // An answer given before routing (the request could not be read): it carries its request id
    // like every routed answer does, and the connection closes after it.
    void refuse(read_error e, request_context& ctx) {
        ++srv_.in_flight_;
        ctx.trace = trace::start();
        send(srv_.app_.refuse(e, ctx), ctx.request_id, false);
    }

    void reply_owned(std::shared_ptr<response> res, bool keep_alive) {
        res->keep_alive(keep_alive);
        res->prepare_payload();
        stream_.expires_after(srv_.opts_.read_timeout);
        beast::http::async_write(
            stream_, *res,
            [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
                --self->srv_.in_flight_;
                if (ec || !keep_alive || self->srv_.stopping_) return self->close();
                self->read();
            });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.close();
    }

    static std::string remote_address(const tcp::socket& socket) {
        beast::error_code ec;
        const auto ep = socket.remote_endpoint(ec);
        return ec ? std::string{} : ep.address().to_string();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<request_parser> parser_;
    server& srv_;
    const std::string remote_;  // asked once: getpeername is a system call
    bool first_ = true;
};

void apply_limits(request_parser& p, const server_options& opts) {
    p.body_limit(opts.body_limit);
    p.header_limit(header_limit);
}

server::server(asio::io_context& ioc, server_options opts, application& app)
    : ioc_(ioc),
      opts_(std::move(opts)),
      app_(app),
      acceptor_(asio::make_strand(ioc)),
      workers_(opts_.workers) {
    const tcp::endpoint ep{asio::ip::make_address(opts_.host), opts_.port};
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    std::random_device rd;
    id_prefix_ = std::to_string(rd() % 100000) + "-";
}

server::~server() {
    stop();
    workers_.join();
}

void server::start() {
    accept();
}

void server::accept() {
    const auto executor = opts_.single_io_thread ? asio::any_io_executor(ioc_.get_executor())
                                                 : asio::any_io_executor(asio::make_strand(ioc_));
    acceptor_.async_accept(executor, [this](beast::error_code ec, tcp::socket socket) {
        if (stopping_) return;
        if (!ec) std::make_shared<session>(std::move(socket), *this)->run();
        accept();
    });
}

void server::stop() {
    if (stopping_.exchange(true)) return;
    asio::post(acceptor_.get_executor(), [this] {
        beast::error_code ignored;
        acceptor_.close(ignored);
    });
}

}  // namespace bb::http
