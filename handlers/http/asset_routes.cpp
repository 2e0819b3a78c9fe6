#include "handlers/http/asset_routes.hpp"

#include "handlers/http/responses.hpp"

namespace bb {

namespace bh = http::beast_http;

http::response asset_routes::healthz() {
    return json_text_response(bh::status::ok, R"({"status":"ok"})");
}

http::response asset_routes::readyz(const http::request_context& ctx) {
    if (!d_.ready()) return problem(problem_kind::not_ready, "rebuilding state from the log", ctx);
    return json_text_response(bh::status::ok, R"({"status":"ready"})");
}

http::response asset_routes::openapi() {
    http::response res{bh::status::ok, 11};
    res.set(bh::field::content_type, "application/yaml");
    res.body() = d_.openapi;
    return res;
}

http::response asset_routes::metrics() {
    http::response res{bh::status::ok, 11};
    res.set(bh::field::content_type, "text/plain; version=0.0.4");
    res.body() = d_.m.render();
    return res;
}

const static_asset* asset_routes::asset(std::string_view path) const {
    if (!d_.assets) return nullptr;
    const auto it = d_.assets->find(std::string(path));
    return it == d_.assets->end() ? nullptr : &it->second;
}

http::response asset_routes::serve_asset(const static_asset& a) {
    http::response res{bh::status::ok, 11};
    res.set(bh::field::content_type, a.content_type);
    res.set(bh::field::cache_control, "no-cache");
    res.body() = std::string(a.body);
    return res;
}

}  // namespace bb
