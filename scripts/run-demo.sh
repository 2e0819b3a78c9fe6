#!/usr/bin/env bash
# The README's run command: runs Bounceback on its built-in demo scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/release/app/bounceback demo
