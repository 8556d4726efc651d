#!/usr/bin/env bash
# Builds the library's packages for other languages into dist/, with
# jsii-pacmak, as a release would:
#   dist/python/  the wheel and the sdist (pip install dist/python/*.whl)
#   dist/java/    the jar, sources and javadoc in a Maven repository layout
#   dist/go/      the Go module (source, as Go modules are; compiled here)
#   dist/dotnet/  .NET: generated C# only. There is no .NET SDK on the build
#                 machines, so no NuGet package is built or tested here.
# Python and Java build in one jsii-pacmak run, Go beside it (2 cores).
# Logs: dist/bindings-logs/. Caches: see common.sh.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
LOGS="$DIST/bindings-logs"
mkdir -p "$LOGS"
started=$(date +%s)

# The packages carry the compiled library (lib/, .jsii) and its bundled
# processor code (assets/): build whichever is missing or older than src/.
if [ ! -d assets/container ] || [ ! -d assets/runtime ]; then
  timed "bundle (assets/)" npx projen bundle
fi
if [ ! -f .jsii ] || [ ! -f lib/index.js ] || [ -n "$(find src -name '*.ts' -newer .jsii -print -quit)" ]; then
  timed "compile (jsii)" npx jsii --fail-on-warnings
fi

rm -rf "$DIST/python" "$DIST/java" "$DIST/go" "$DIST/dotnet"

run_logged() {  # run_logged NAME command...: output to dist/bindings-logs/NAME.log
  local name="$1"
  shift
  if timed "$name" "$@" > "$LOGS/$name.log" 2>&1; then return 0; fi
  log "$name FAILED; the end of $LOGS/$name.log:"
  tail -n 60 "$LOGS/$name.log" >&2
  return 1
}

run_logged python-java npx jsii-pacmak -v --target python --target java --outdir "$DIST" \
  --no-npmignore --maven-local-repository "$MAVEN_REPO_LOCAL" &
pj=$!
run_logged go bash "$ROOT/scripts/bindings/package-go.sh" &
go=$!
failed=0
wait "$pj" || failed=1
wait "$go" || failed=1
[ "$failed" = 0 ] || exit 1
grep -h WARNING "$LOGS/go.log" >&2 || true

run_logged dotnet-code npx jsii-pacmak --code-only --target dotnet --outdir "$DIST" --no-npmignore

grep -h "^\[bindings" "$LOGS"/*.log | grep -v WARNING >&2 || true
log "built in $(($(date +%s) - started)) s:"
(cd "$ROOT" && ls -1 dist/python/* "dist/java/dev/cdk-data-pipeline/cdk-data-pipeline/$LIB_VERSION/"*.jar \
  && echo "${GO_MODULE_DIR#"$ROOT"/}" && echo "dist/dotnet/ (C# source only)") >&2
