#!/usr/bin/env bash
# Sends a JSON file as a webhook signed with the demo helpdesk secret (Standard Webhooks).
# usage: scripts/send-webhook.sh FILE [URL]
set -euo pipefail
file=${1:?usage: send-webhook.sh FILE [URL]}
url=${2:-http://127.0.0.1:8080/v1/webhooks/helpdesk}
secret_b64=ZGVtby1oZWxwZGVzay1zZWNyZXQtMDEyMzQ1Njc4OQ==   # config/bounceback.yaml, demo only
id="msg_$(date +%s%N)"
ts=$(date +%s)
sig=$( (printf '%s.%s.' "$id" "$ts"; cat "$file") |
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(printf "%s" "$secret_b64" | base64 -d | od -An -tx1 | tr -d " \n")" -binary | base64)
curl -sS -X POST "$url" -H "content-type: application/json" -H "webhook-id: $id" \
  -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" --data-binary @"$file"
echo
