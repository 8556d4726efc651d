#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian/Ubuntu machine, then
# builds the library and runs every test (constructs, cdk-nag, runtime against
# a real PostgreSQL and moto_server, jsii targets, lint).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# PostgreSQL server binaries (the tests start their own throwaway server).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql postgresql-client >/dev/null
fi

# openssl: the TLS tests make their own CA and server certificates.
if ! command -v openssl >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq openssl >/dev/null
fi

# moto_server (S3, SNS, Secrets Manager stand-ins) and cfn-lint.
if ! command -v moto_server >/dev/null || ! command -v cfn-lint >/dev/null; then
  python3 -m pip install --quiet 'moto[server]' cfn-lint
fi

# `npm ci` rejects this lock file (npm 11 and the optional platform packages of
# unrs-resolver, even with a freshly generated lock), so install from it instead.
npm install --no-audit --no-fund
# CI=true: package only the npm tarball (the other jsii targets need
# toolchains; the test suite generates their code with jsii-pacmak --code-only).
CI=true npx projen build
