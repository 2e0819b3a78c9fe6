// The HTTP request path: raw bytes into Beast's request parser with the server's limits, then
// through our routes on a real embedded service (SQLite store in a temp dir, the shipped example
// configuration). Every answer is a well-formed response; every error is problem+json with the
// same status; nothing answers 500 (an unexpected exception) for any input.
#include <cstdint>
#include <memory>
#include <string>

#include <boost/beast/core/buffers_to_string.hpp>
#include <nlohmann/json.hpp>

#include "handlers/http/router.hpp"
#include "handlers/ingress/local_ingress.hpp"
#include "infra/sqlite/sqlite_event_log.hpp"
#include "infra/sqlite/webhook_receipts.hpp"
#include "infra/standard_webhooks.hpp"
#include "services/command_service.hpp"
#include "services/read_side.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/infra/temp_dir.hpp"

using namespace bb;

namespace {

const auto now = instant{std::chrono::seconds{1'800'000'000}};

config load() {
    auto c = load_config_file(BOUNCEBACK_SOURCE_DIR "/config/bounceback.yaml");
    if (!c) {
        std::fprintf(stderr, "config: %s\n", c.error().c_str());
        std::abort();
    }
    return *c;
}

// One service for the whole run: building it per input would measure SQLite, not our parser.
struct service {
    test::temp_dir dir;
    config cfg = load();
    sqlite_event_log log{{(dir.path() / "events.db").string(), false, 1024}};
    webhook_receipts receipts{(dir.path() / "receipts.db").string()};
    metrics m;
    command_service commands{log, cfg.book, m};
    read_side reads{log};
    local_ingress in{commands};
    router api{{cfg, in, reads, log, receipts, m, [] { return true; }, [] { return now; },
                [](const std::string&) {}, "openapi: 3.0.3\n"}};

    service() {
        if (!commands.rebuild() || !reads.start()) std::abort();
    }
};

service& the_service() {
    static service s;
    return s;
}

// Lets the fuzzer past the signature check: when asked, the harness signs the body it sent.
void sign(http::request& req, const service& s) {
    const std::string target(req.target());
    const std::string prefix = "/v1/webhooks/";
    if (!target.starts_with(prefix)) return;
    const auto source = s.cfg.webhook_sources.find(target.substr(prefix.size()));
    if (source == s.cfg.webhook_sources.end() || source->second.secrets.empty()) return;
    const std::string id = "msg-" + std::to_string(req.body().size());
    const auto ts = std::to_string(now.time_since_epoch().count());
    req.set("webhook-id", id);
    req.set("webhook-timestamp", ts);
    req.set("webhook-signature",
            webhooks::sign(source->second.secrets.front(), id, ts, req.body()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& s = the_service();
    fuzz::input in{data, size};
    const bool signed_by_harness = in.take_bool();
    const auto bytes = in.rest();

    http::request_parser parser;
    http::apply_limits(parser, http::server_options{});
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (!ec && !parser.is_done()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;  // the server answers 400/413/431 before routing

    auto req = parser.release();
    if (signed_by_harness) sign(req, s);
    const auto res = s.api.handle(req, http::request_context{"fuzz-request", "127.0.0.1"});
    const auto status = res.result_int();
    fuzz::require(status >= 200 && status < 600, "status out of range", bytes);
    fuzz::require(status != 500, "an input made the service answer 500", bytes);
    if (status >= 400) {
        fuzz::require(res[http::beast_http::field::content_type] == "application/problem+json",
                      "an error is not problem+json", bytes);
        const auto body = nlohmann::json::parse(res.body(), nullptr, false);
        fuzz::require(body.is_object() && body.value("status", 0U) == status,
                      "the problem body does not carry the status", bytes);
    }
    return 0;
}
