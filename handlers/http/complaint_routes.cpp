#include "handlers/http/complaint_routes.hpp"

#include "handlers/audit_view.hpp"
#include "handlers/complaint_view.hpp"
#include "handlers/http/responses.hpp"
#include "handlers/stream_fold.hpp"

namespace bb {

namespace bh = http::beast_http;

bool complaint_routes::read_model_current() const {
    return d_.reads.position() >= d_.log.head();
}

bool complaint_routes::complaint_in_memory(const std::string& id) const {
    return d_.in.complaint_in_memory(complaint_id{id}) || read_model_current();
}

http::response complaint_routes::complaint(const std::string& id,
                                           const http::request_context& ctx) {
    const complaint_id cid{id};
    complaint_lookup s;
    // The root cause is the read side's (the command side does not keep it): a complaint the
    // read side has not caught up with yet shows none for those milliseconds.
    std::optional<projection::complaint_progress> progress;
    const bool from_reads = !d_.in.complaint_in_memory(cid) && read_model_current();
    d_.reads.read([&](const projection::read_model& m) {
        const auto it = m.complaints.find(id);
        if (it == m.complaints.end()) return 0;
        if (from_reads) s = it->second.state;
        // Only what the view shows: the pauses and credits are not copied on this hot route.
        const auto& p = it->second.progress.get();
        if (p.root_cause) {
            progress.emplace();
            progress->root_cause = p.root_cause;
            progress->root_cause_detail = p.root_cause_detail;
            progress->attributed_to = p.attributed_to;
        }
        return 0;
    });
    if (!from_reads) s = d_.in.complaint(cid);
    if (!s) return problem(problem_kind::storage_unavailable, s.error().message(), ctx);
    if (!*s) return problem(problem_kind::unknown_complaint, "no complaint " + id, ctx);
    return json_text_response(bh::status::ok, complaint_view(**s, progress ? &*progress : nullptr,
                                                             d_.cfg.book.default_currency));
}

http::response complaint_routes::history(const std::string& id, const http::request_context& ctx) {
    const auto events = d_.log.read_stream(complaint_stream(complaint_id{id}), 1);
    if (!events) return problem(problem_kind::storage_unavailable, events.error().message(), ctx);
    if (events->empty()) return problem(problem_kind::unknown_complaint, "no complaint " + id, ctx);
    return json_response(bh::status::ok, complaint_audit(id, *events).body);
}

}  // namespace bb
