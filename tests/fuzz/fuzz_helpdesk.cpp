// The helpdesk adapters (Zammad, Zendesk, Jira, mapped), fed any body: whatever they accept must be
// a complaint.synced event of this source that survives the trip through the inbound topic (encode
// -> decode) with the same command and partition key; whatever they refuse is a 400 or a 422.
// The signature checks never accept a body signed with another secret.
#include <cstdint>
#include <string_view>

#include "handlers/ingress/helpdesk_adapter.hpp"
#include "infra/helpdesk_signatures.hpp"
#include "tests/fuzz/fuzz_input.hpp"

using namespace bb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in{data, size};
    webhook_source src;
    src.kind = static_cast<source_kind>(1 + in.take_byte() % 4);
    if (src.kind == source_kind::mapped)
        src.map = {{"complaint_id", "/id"}, {"status", "/s"},      {"customer", "/c"},
                   {"owner", "/o"},         {"value", "/v"},       {"created_at", "/t0"},
                   {"updated_at", "/t1"},   {"delivery_id", "/d"}, {"segment", "/g"}};
    src.secrets = {"fuzz-secret"};
    if (in.take_bool()) src.categories = {"billing"};
    const auto delivery = std::string(in.take_line());
    const auto body = in.rest();
    const inbound::header_lookup headers = [&](std::string_view name) -> std::string_view {
        if (name == "x-zammad-delivery" || name == "x-atlassian-webhook-identifier")
            return delivery;
        return {};
    };
    const auto read = inbound::read_helpdesk(src, "desk", headers, body, instant{});
    if (!read) {
        fuzz::require(read.error().status == 400 || read.error().status == 422,
                      "a refused body is a 400 or a 422", body);
    } else {
        const auto& e = read->event.event;
        fuzz::require(e.type == "complaint.synced", "a ticket becomes complaint.synced", body);
        fuzz::require(!read->delivery_id.empty(), "every delivery has an id", body);
        const auto* sync = std::get_if<complaint_command>(&read->event.cmd);
        fuzz::require(sync && std::holds_alternative<sync_ticket>(*sync),
                      "a ticket becomes a sync_ticket command", body);
        fuzz::require(command_target(*sync).value().starts_with("desk:"),
                      "complaint ids carry the source's name", body);
        const auto again = inbound::parse_body(inbound::to_json(e).dump());
        fuzz::require(again && again->size() == 1, "the event decodes after encoding", body);
        const auto cmd = inbound::to_command(again->front());
        fuzz::require(cmd && *cmd == read->event.cmd, "the re-decoded event is the same command",
                      body);
        fuzz::require(
            inbound::routing_key(again->front(), *cmd) == inbound::routing_key(e, read->event.cmd),
            "the re-decoded event routes to the same partition", body);
    }
    // A signature made with another secret never verifies.
    const auto d =
        src.kind == source_kind::zammad ? webhooks::digest::sha1 : webhooks::digest::sha256;
    const auto other = std::string(d == webhooks::digest::sha1 ? "sha1=" : "sha256=") +
                       webhooks::to_hex(webhooks::hmac(d, "another-secret", body));
    fuzz::require(!webhooks::verify_hub_signature(d, src.secrets, other, body),
                  "a body signed with another secret verifies", body);
    const auto own = std::string(d == webhooks::digest::sha1 ? "sha1=" : "sha256=") +
                     webhooks::to_hex(webhooks::hmac(d, "fuzz-secret", body));
    fuzz::require(webhooks::verify_hub_signature(d, src.secrets, own, body).has_value(),
                  "a body signed with the secret verifies", body);
    return 0;
}
