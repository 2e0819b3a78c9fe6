#!/usr/bin/env bash
# Copies the runtime jars of artifacts from Maven Central, with what they depend on, into a
# folder, through Maven (installed from Debian with Java if missing), once:
#
#   scripts/maven-jars.sh OUT_DIR group:artifact:version [group:artifact:version ...]
#
# Downloads are cached in .cache/kafka/m2 (git-ignored, shared by every caller); OUT_DIR/.complete
# marks a finished copy, so a second call with the same OUT_DIR does nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1; shift
[ -f "$out/.complete" ] && exit 0
missing=()
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if ((${#missing[@]})); then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
{
  echo '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
  echo '<groupId>dev.bounceback</groupId><artifactId>jars</artifactId><version>1</version><dependencies>'
  for gav in "$@"; do
    IFS=: read -r g a v <<<"$gav"
    echo "<dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"
  done
  echo '</dependencies></project>'
} > "$work/pom.xml"
echo "fetching $* from Maven Central (once; cached in .cache/kafka/m2)" >&2
mvn -q -B -f "$work/pom.xml" -Dmaven.repo.local="$root/.cache/kafka/m2" \
  org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$out" >&2
touch "$out/.complete"
