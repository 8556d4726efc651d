# shellcheck shell=bash disable=SC2034  # sourced; the variables are used by the scripts that source it
# Shared by scripts/bindings/*.sh (sourced, not run): where things are and
# which caches the builds use.
#
# The caches are the usual ones of each tool (pip's, ~/.m2/repository, Go's
# module and build caches), so a second run is fast. To measure or check a
# cold start, point them at empty folders:
#   PIP_CACHE_DIR=/tmp/c/pip GOMODCACHE=/tmp/c/gomod GOCACHE=/tmp/c/gobuild \
#   MAVEN_REPO_LOCAL=/tmp/c/m2 JSII_RUNTIME_PACKAGE_CACHE_ROOT=/tmp/c/jsii \
#   bash scripts/bindings/package.sh

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="$ROOT/dist"
# Scratch space of the smoke tests (dist/ is ignored by git).
SMOKE_DIR="$DIST/bindings-smoke"
MAVEN_REPO_LOCAL="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
# The Go module's path, as declared by publishToGo in .projenrc.ts.
GO_MODULE="github.com/cdk-data-pipeline/cdk-data-pipeline-go/cdkdatapipeline"
GO_MODULE_DIR="$DIST/go/cdkdatapipeline"
# Requirements of the built Go module that the Go module proxy does not serve,
# with the served version used instead (written by package.sh, one
# `path=path@version` per line; see go-served-pins.sh).
GO_REPLACEMENTS="$DIST/go/replacements.txt"

# The library's version (what the built packages are called) and the
# aws-cdk-lib version the smoke apps use: the one this repository builds and
# tests against, so every language checks the same CDK.
LIB_VERSION="$(node -p "require('$ROOT/package.json').version")"
AWS_CDK_LIB_VERSION="${AWS_CDK_LIB_VERSION:-$(node -p "require('$ROOT/package.json').devDependencies['aws-cdk-lib'].replace(/^[^0-9]*/, '')")}"

log() { printf '[bindings %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# Runs "$@" and prints how long it took: `timed LABEL command...`.
timed() {
  local label="$1" start end
  shift
  start=$(date +%s)
  "$@"
  end=$(date +%s)
  log "$label: $((end - start)) s"
}
