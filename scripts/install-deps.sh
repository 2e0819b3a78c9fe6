#!/usr/bin/env bash
# Installs the Debian packages Bounceback needs to build and test, only when missing.
set -euo pipefail
packages=(
  cmake ninja-build g++ make pkg-config clang-format
  libboost-dev libboost-system-dev nlohmann-json3-dev
  catch2 librapidcheck-dev libhowardhinnant-date-dev tzdata
  libyaml-cpp-dev libsqlite3-dev sqlite3 libssl-dev librdkafka-dev
  curl python3 openssl
)
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
