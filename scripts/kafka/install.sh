#!/usr/bin/env bash
# Copies the jars of the Apache Kafka broker the tests and the Kafka bench
# run (see pom.xml) from Maven Central into a cache directory:
#   scripts/kafka/install.sh [DIR]   (default: .test-services/kafka-libs)
# Needs Java 17+ and Maven; does nothing when the jars are there already.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:-${PIPELINE_KAFKA_LIBS:-$here/../../.test-services/kafka-libs}}"
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
if [ -f "$dir/kafka_2.13-$version.jar" ]; then exit 0; fi
command -v java >/dev/null || { echo "java not found. Install it: apt-get install -y openjdk-17-jre-headless" >&2; exit 1; }
command -v mvn >/dev/null || { echo "mvn not found. Install it: apt-get install -y maven" >&2; exit 1; }
mkdir -p "$dir"
# Into a temporary directory first, so an interrupted download is never taken for a complete one.
tmp="$(mktemp -d "$dir.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
