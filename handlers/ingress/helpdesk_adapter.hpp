#pragma once

#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "handlers/ingress/cloudevent_decoder.hpp"
#include "infra/config/config.hpp"

namespace bb::inbound {

// Helpdesks' own webhooks (Zammad, Zendesk, Jira Service Management, or any JSON through a
// configured mapping): checked as the vendor signs
// them, and the ticket they carry turned into one complaint.synced event, the same event a
// `standard` source could send (docs/integrations.md has the mapping tables).

// A request header by name (case-insensitive, as HTTP has them); empty when absent.
using header_lookup = std::function<std::string_view(std::string_view name)>;

// Why a delivery is refused before its body is read (401).
struct unauthentic {
    std::string detail;
};

// The delivery's signature, checked against the source's secrets; `now` for Zendesk's timestamp.
std::expected<void, unauthentic> verify_helpdesk(const webhook_source& src,
                                                 const header_lookup& headers,
                                                 std::string_view body, instant now);

// A verified delivery: the id that makes a redelivery recognisable (the vendor's delivery or
// event id), and its ticket as a complaint.synced event with its command.
struct helpdesk_delivery {
    std::string delivery_id;
    decoded_event event;
};

// `source` is the source's name in the configuration (complaint ids are "<source>:<ticket id>");
// `received` stamps a mapped payload that carries no time of its own. Errors name the vendor's
// field ("ticket.state", "detail.priority", "issue.fields.status.name"; a mapped source's JSON
// Pointer).
std::expected<helpdesk_delivery, invalid_input> read_helpdesk(const webhook_source& src,
                                                              std::string_view source,
                                                              const header_lookup& headers,
                                                              std::string_view body,
                                                              instant received);

// The kind's own tables (lower-case keys), before the source's configuration adds to them.
const std::map<std::string, severity>& default_priorities(source_kind k);
const std::map<std::string, ticket_status>& default_statuses(source_kind k);

}  // namespace bb::inbound
