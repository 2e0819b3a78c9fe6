#include "handlers/audit_view.hpp"

#include "infra/codec/cloudevent_codec.hpp"

namespace bb {

using nlohmann::json;

audit_trail complaint_audit(const std::string& complaint_id,
                            const std::vector<event_record>& events) {
    json out = json::array();
    bool intact = true;
    for (const auto& e : events) {
        auto ce = codec::to_cloudevent(e);
        const bool ok = chain_hash(e.prev_hash, e) == e.hash;
        ce["hash_ok"] = ok;
        intact = intact && ok;
        out.push_back(std::move(ce));
    }
    return {{{"complaint_id", complaint_id}, {"intact", intact}, {"events", std::move(out)}},
            intact};
}

namespace {
json first_bad_json(const chain_report& r) {
    return {{"position", r.first_bad->position},
            {"stream", r.first_bad->stream},
            {"version", r.first_bad->version},
            {"type", r.first_bad->type},
            {"problem", r.problem}};
}
}  // namespace

json chain_report_json(const chain_report& r) {
    json body{{"intact", r.intact}, {"events", r.events}, {"checked", r.checked}, {"head", r.head}};
    if (r.first_bad) body["first_bad"] = first_bad_json(r);
    return body;
}

json partition_reports_json(const std::vector<chain_report>& reports) {
    json partitions = json::array();
    bool intact = true;
    std::int64_t events = 0, checked = 0;
    for (std::size_t p = 0; p < reports.size(); ++p) {
        auto one = chain_report_json(reports[p]);
        one["partition"] = p;
        intact = intact && reports[p].intact;
        events += reports[p].events;
        checked += reports[p].checked;
        partitions.push_back(std::move(one));
    }
    return {
        {"intact", intact}, {"events", events}, {"checked", checked}, {"partitions", partitions}};
}

}  // namespace bb
