#!/usr/bin/env bash
# Builds bench/streams/StreamsPeer.java against Kafka Streams 3.9.1 (the broker's version) from
# Maven Central; jars and classes are cached under .cache/kafka-streams (git-ignored). Prints the
# classpath to run it with. A JDK and Maven are installed from Debian if missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=3.9.1
cache="$root/.cache/kafka-streams"
lib="$cache/lib-$version"
command -v javac >/dev/null 2>&1 || {
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends default-jdk-headless >&2
}
"$root/scripts/maven-jars.sh" "$lib" org.apache.kafka:kafka-streams:$version \
  com.fasterxml.jackson.core:jackson-databind:2.16.2 org.slf4j:slf4j-nop:1.7.36
src="$root/bench/streams/StreamsPeer.java"
classes="$cache/classes"
if [ ! -f "$classes/StreamsPeer.class" ] || [ "$src" -nt "$classes/StreamsPeer.class" ]; then
  mkdir -p "$classes"
  javac -Xlint:all -Werror -d "$classes" -cp "$lib/*" "$src" >&2
fi
echo "$lib/*:$classes"
