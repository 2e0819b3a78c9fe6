// HTTP load generator for the benchmarks: keep-alive connections over loopback, closed loop (as
// fast as the server answers) or open loop at a fixed rate (latency measured from the scheduled
// send time, so a stalled server cannot hide its queueing: no coordinated omission).
//
//   bench_http --port P --path /healthz [--connections 8] [--seconds 10] [--rate 0]
//   bench_http --port P --webhook helpdesk --secret whsec_... --input events.jsonl ...
//   bench_http --port P --path /v1/complaints/{id} --ids ids.txt --token T ...
//   bench_http ... --header 'Accept-Encoding: gzip'    (any extra request header)
// Prints one JSON object: requests, errors, seconds, rps, p50_us, p99_us, p999_us, max_us, the mean
// response body size and how many responses came gzip-coded.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "infra/standard_webhooks.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
    unsigned short port = 8080;
    std::string path = "/healthz";
    std::string webhook, secret, input, ids, token;
    std::vector<std::pair<std::string, std::string>> headers;
    int connections = 8;
    double seconds = 10;
    double rate = 0;  // requests per second in all; 0 = closed loop
};

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i], v = argv[i + 1];
        if (k == "--port")
            o.port = static_cast<unsigned short>(std::stoi(v));
        else if (k == "--path")
            o.path = v;
        else if (k == "--webhook")
            o.webhook = v;
        else if (k == "--secret")
            o.secret = v;
        else if (k == "--input")
            o.input = v;
        else if (k == "--ids")
            o.ids = v;
        else if (k == "--token")
            o.token = v;
        else if (k == "--connections")
            o.connections = std::stoi(v);
        else if (k == "--seconds")
            o.seconds = std::stod(v);
        else if (k == "--rate")
            o.rate = std::stod(v);
        else if (k == "--header" && v.find(':') != std::string::npos) {
            auto value = v.substr(v.find(':') + 1);
            value.erase(0, value.find_first_not_of(' '));
            o.headers.emplace_back(v.substr(0, v.find(':')), value);
        }
    }
    return o;
}

std::vector<std::string> lines(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) out.push_back(l);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const auto o = parse(argc, argv);
    const auto bodies = o.input.empty() ? std::vector<std::string>{} : lines(o.input);
    const auto ids = o.ids.empty() ? std::vector<std::string>{} : lines(o.ids);
    std::atomic<std::size_t> next_body{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> body_bytes{0}, gzipped{0};
    std::mutex merge;
    std::vector<std::int64_t> all;
    std::map<unsigned, std::uint64_t> statuses;
    const auto start = clock_type::now();
    const auto end = start + std::chrono::duration_cast<clock_type::duration>(
                                 std::chrono::duration<double>(o.seconds));
    std::vector<std::thread> threads;
    for (int c = 0; c < o.connections; ++c)
        threads.emplace_back([&, c] {
            asio::io_context ioc;
            beast::tcp_stream stream(ioc);
            stream.connect(asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), o.port});
            // Room for a whole large body per read: an empty flat_buffer has each read ask for
            // 512 bytes, and a 91 KB summary then took ~180 recv calls, which saturated this
            // client's core long before the server's (docs/benchmarks.md, Query API).
            beast::flat_buffer buf;
            buf.reserve(256 * 1024);
            std::vector<std::int64_t> lat;
            std::map<unsigned, std::uint64_t> st;
            const double per_conn = o.rate / o.connections;
            auto due = start + std::chrono::microseconds(c * 97);
            for (std::uint64_t n = 0;; ++n) {
                if (per_conn > 0) {
                    due = start + std::chrono::duration_cast<clock_type::duration>(
                                      std::chrono::duration<double>(n / per_conn));
                    if (due >= end) break;
                    std::this_thread::sleep_until(due);
                } else {
                    due = clock_type::now();
                    if (due >= end) break;
                }
                http::request<http::string_body> req;
                req.version(11);
                req.set(http::field::host, "127.0.0.1");
                if (!o.token.empty()) req.set(http::field::authorization, "Bearer " + o.token);
                for (const auto& [name, value] : o.headers) req.set(name, value);
                if (!o.webhook.empty()) {
                    const auto i = next_body++;
                    if (i >= bodies.size()) break;  // the input is used once: every event is new
                    req.method(http::verb::post);
                    req.target("/v1/webhooks/" + o.webhook);
                    const auto id = "bench-" + std::to_string(i);
                    const auto ts =
                        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
                    req.set("webhook-id", id);
                    req.set("webhook-timestamp", ts);
                    req.set("webhook-signature", bb::webhooks::sign(o.secret, id, ts, bodies[i]));
                    req.set(http::field::content_type, "application/json");
                    req.body() = bodies[i];
                } else {
                    req.method(http::verb::get);
                    auto target = o.path;
                    if (const auto at = target.find("{id}");
                        at != std::string::npos && !ids.empty())
                        target.replace(at, 4,
                                       ids[(n * static_cast<std::uint64_t>(o.connections) +
                                            static_cast<std::uint64_t>(c)) %
                                           ids.size()]);
                    req.target(target);
                }
                req.prepare_payload();
                http::response<http::string_body> res;
                beast::error_code ec;
                http::write(stream, req, ec);
                if (!ec) http::read(stream, buf, res, ec);
                if (ec) {
                    ++errors;
                    break;
                }
                lat.push_back(
                    std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - due)
                        .count());
                ++st[res.result_int()];
                body_bytes += res.body().size();
                if (res[http::field::content_encoding] == "gzip") ++gzipped;
            }
            std::lock_guard lock(merge);
            all.insert(all.end(), lat.begin(), lat.end());
            for (const auto& [k, v] : st) statuses[k] += v;
        });
    for (auto& t : threads) t.join();
    const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
    std::sort(all.begin(), all.end());
    const auto pct = [&](double p) -> std::int64_t {
        if (all.empty()) return 0;
        return all[std::min(all.size() - 1,
                            static_cast<std::size_t>(p * static_cast<double>(all.size())))];
    };
    nlohmann::json status_json = nlohmann::json::object();
    for (const auto& [k, v] : statuses) status_json[std::to_string(k)] = v;
    std::cout << nlohmann::json{{"requests", all.size()},
                                {"errors", errors.load()},
                                {"statuses", status_json},
                                {"seconds", secs},
                                {"rps", static_cast<double>(all.size()) / secs},
                                {"connections", o.connections},
                                {"target_rate", o.rate},
                                {"p50_us", pct(0.50)},
                                {"p99_us", pct(0.99)},
                                {"p999_us", pct(0.999)},
                                {"max_us", all.empty() ? 0 : all.back()},
                                {"mean_body_bytes",
                                 all.empty() ? 0 : body_bytes.load() / all.size()},
                                {"gzip_responses", gzipped.load()}}
                     .dump()
              << '\n';
    return 0;
}
