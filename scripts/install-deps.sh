#!/usr/bin/env bash
# Installs the Debian packages Bounceback needs to build and test, only when missing.
set -euo pipefail
packages=(
  cmake ninja-build g++ make pkg-config clang-format
  libboost-dev libboost-system-dev nlohmann-json3-dev libsimdjson-dev
  catch2 librapidcheck-dev libhowardhinnant-date-dev tzdata
  libyaml-cpp-dev libsqlite3-dev sqlite3 libssl-dev zlib1g-dev librdkafka-dev libgoogle-perftools-dev
  prometheus-cpp-dev
  curl python3 openssl
)
# Node.js and npm build the dashboard's bundle; use the machine's own when it has one.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
# `--test` adds what only the tests need: Chromium for the dashboard's browser test, clang 16 and
# its runtime for the libFuzzer targets (built in the ASan preset), pip for the
# independent Standard Webhooks implementation the outbound tests verify with, kcat to write a
# previous release's Kafka records back into a topic (tests/system/kafka_upgrade_test.py), and
# Prometheus (its server scrapes the service in tests/system/prometheus_test.py; promtool checks
# the metrics text, the alert rules and the dashboard's queries).
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium clang-16 libclang-rt-16-dev kcat prometheus)
  python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The dashboard's JavaScript dependencies (Chart.js, bundled into the binary; playwright-core for
# the browser test), pinned by web/package-lock.json.
cd "$(dirname "$0")/../web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# Python test tools from PyPI, pinned, into a git-ignored folder (not the system's site-packages).
if [ "${1:-}" = "--test" ]; then
  pylib="$(cd .. && pwd)/.cache/python"
  if [ ! -f "$pylib/.standardwebhooks-1.1.0" ]; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$pylib" standardwebhooks==1.1.0
    touch "$pylib/.standardwebhooks-1.1.0"
  fi
  # The CloudEvents Python SDK, to send the bodies and headers an SDK makes (tests/system), in a
  # folder of its own: it pins python-dateutil 4, which other tools there do not want.
  celib="$(cd .. && pwd)/.cache/cloudevents"
  if [ ! -f "$celib/.cloudevents-2.2.0" ]; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$celib" cloudevents==2.2.0
    touch "$celib/.cloudevents-2.2.0"
  fi
  # Confluent's Python client (its wheel carries its own librdkafka), for the Kafka upgrade test
  # that writes a fixture's records back at their offsets (transactions), in a folder of its own.
  cklib="$(cd .. && pwd)/.cache/confluent-kafka"
  if [ ! -f "$cklib/.confluent-kafka-2.16.1" ]; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$cklib" confluent-kafka==2.16.1
    touch "$cklib/.confluent-kafka-2.16.1"
  fi
  # schemathesis for the API conformance test (tests/api), in a folder of its own: its many
  # dependencies stay out of the other tests' path.
  stlib="$(cd .. && pwd)/.cache/schemathesis"
  if [ ! -f "$stlib/.schemathesis-4.32.5" ]; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$stlib" schemathesis==4.32.5
    touch "$stlib/.schemathesis-4.32.5"
  fi
fi
