#!/usr/bin/env bash
# The README's run command: imports the CFPB sample as demo data (once), then serves the
# embedded service on 127.0.0.1:8080 until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/app/bounceback
cfg=config/bounceback.yaml
data=var/demo
if [ ! -f "$data/events.db" ]; then
  echo "== importing demo data (1,000 CFPB complaints) into $data"
  "$bin" import --format cfpb data/cfpb-complaints-sample.csv --config "$cfg" --data "$data"
  echo "== adding a day of live demo complaints"
  scripts/demo-events.py > "$data/demo-events.jsonl"
  "$bin" process --config "$cfg" --data "$data" --input "$data/demo-events.jsonl"
fi
cat <<EOT
== Bounceback is starting on http://127.0.0.1:8080 (data in $data, Ctrl-C to stop)
   open   http://127.0.0.1:8080/?token=demo-manager-token     (the manager dashboard)
   curl http://127.0.0.1:8080/healthz
   curl -H 'Authorization: Bearer demo-agent-token'   http://127.0.0.1:8080/v1/complaints/7523056
   curl -H 'Authorization: Bearer demo-agent-token'   http://127.0.0.1:8080/v1/complaints/7523056/history
   curl -H 'Authorization: Bearer demo-manager-token' http://127.0.0.1:8080/metrics
   scripts/send-webhook.sh examples/complaint-filed.json   # a signed webhook from the demo helpdesk
EOT
exec "$bin" serve --config "$cfg" --data-dir "$data"
