#!/usr/bin/env bash
# Builds bench/streams/StreamsPeer.java against Kafka Streams 3.9.1 (the broker's version) from
# Maven Central; jars and classes are cached under .cache/kafka-streams (git-ignored). Prints the
# classpath to run it with. A JDK and Maven are installed from Debian if missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=3.9.1
cache="$root/.cache/kafka-streams"
lib="$cache/lib-$version"
missing=()
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if ((${#missing[@]})); then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
if [ ! -f "$lib/.complete" ]; then
  mkdir -p "$cache"
  cat > "$cache/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.bounceback</groupId><artifactId>streams-peer</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-streams</artifactId><version>$version</version></dependency>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>2.16.2</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
  echo "fetching Kafka Streams $version from Maven Central (once; cached in $cache)" >&2
  mvn -q -B -f "$cache/pom.xml" -Dmaven.repo.local="$root/.cache/kafka/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib" >&2
  touch "$lib/.complete"
fi
src="$root/bench/streams/StreamsPeer.java"
classes="$cache/classes"
if [ ! -f "$classes/StreamsPeer.class" ] || [ "$src" -nt "$classes/StreamsPeer.class" ]; then
  mkdir -p "$classes"
  javac -Xlint:all -Werror -d "$classes" -cp "$lib/*" "$src" >&2
fi
echo "$lib/*:$classes"
