#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "infra/config/config.hpp"
#include "infra/event_log.hpp"

namespace bb {

// A helpdesk subscription's request for one event: the ticket the complaint came from, updated
// through that helpdesk's REST API (docs/integrations.md, "Back into the helpdesk").
struct helpdesk_request {
    std::string method;
    std::string url;  // the subscription's base URL + the API path
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// The complaint's ticket id in the subscription's helpdesk: complaints filed from its source are
// "<source>:<ticket id>"; nothing for any other complaint (or any other stream).
std::optional<std::string> ticket_of(const subscription_config& s, const event_record& e);

// What to send for a warning, a breach or an escalation of such a complaint; nothing for events
// the helpdesk is not told about (or whose data does not decode).
//   Zendesk: PUT /api/v2/tickets/{id}.json, an internal note (comment, public: false), tags
//            (additional_tags), priority high / urgent on escalation to level 1 / 2 and above.
//   Zammad:  PUT /api/v1/tickets/{id}, an internal note article, priority "3 high" on escalation.
//   Jira SM: POST /rest/servicedeskapi/request/{id}/comment, an internal comment (public: false).
std::optional<helpdesk_request> helpdesk_update(const subscription_config& s,
                                                const event_record& e);

// Whether a subscription wants an event: its types, and for a helpdesk, the complaint's origin.
bool wanted(const subscription_config& s, const event_record& e);

}  // namespace bb
