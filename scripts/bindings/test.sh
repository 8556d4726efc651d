#!/usr/bin/env bash
# Installs each built package (scripts/bindings/package.sh) into a fresh
# project of its language, as a user would, and synthesizes a pipeline there:
#   bash scripts/bindings/test.sh                 # python, java and go, side by side
#   bash scripts/bindings/test.sh python go       # only these
# Each language's output is shown with its name in front; the last line is
# "bindings: N passed, N failed", and the exit code is non-zero on a failure.
# .NET is not tested: no .NET SDK on the build machines (code generation is
# checked by test/jsii-targets.test.ts).
set -uo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(python java go)
for lang in "${langs[@]}"; do
  case "$lang" in
    python | java | go) ;;
    *) log "unknown language '$lang' (python, java or go)"; exit 2 ;;
  esac
done

mkdir -p "$SMOKE_DIR"
started=$(date +%s)
declare -A pids
for lang in "${langs[@]}"; do
  (
    set -o pipefail
    bash "$ROOT/scripts/bindings/test-$lang.sh" 2>&1 | sed -u -e 's/\x1b\[[0-9;]*m//g' -e "s/^/[$lang] /"
  ) &
  pids[$lang]=$!
done

passed=0 failed=0 failures=()
for lang in "${langs[@]}"; do
  if wait "${pids[$lang]}"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$lang")
  fi
done
log "done in $(($(date +%s) - started)) s${failures[*]:+; failed: ${failures[*]}}"
echo "bindings: $passed passed, $failed failed"
[ "$failed" = 0 ]
