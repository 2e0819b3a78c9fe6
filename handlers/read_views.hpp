#pragma once

#include <nlohmann/json.hpp>

#include "projections/employee_scores.hpp"
#include "projections/prevention.hpp"
#include "projections/sla.hpp"

namespace bb {

// JSON shapes of the reports (docs/api.md, openapi.yaml). Instants as RFC 3339, rates 0..1,
// compliance as percent.
nlohmann::json to_json(const projection::sla_summary& s);
nlohmann::json to_json(const projection::at_risk_item& i);
nlohmann::json to_json(const projection::pareto_row& r);
nlohmann::json to_json(const projection::repeat_complainer& r);
nlohmann::json to_json(const projection::action_effect& e);
nlohmann::json to_json(const projection::trend_point& t);
nlohmann::json to_json(const projection::employee_score& e);

// Whole reports, shared by the HTTP API and `bounceback replay`.
nlohmann::json prevention_report(const projection::read_model& m,
                                 const projection::report_filter& f, projection::pareto_grouping g,
                                 int weeks, instant now);
nlohmann::json weights_json(const projection::score_weights& w);

}  // namespace bb
