#!/usr/bin/env bash
# Go smoke test: test/bindings/go is a Go module whose go.mod replaces the
# library's module path with the built module (dist/go/cdkdatapipeline);
# `go run .` synthesizes a pipeline and checks its template.
#
# It runs on a local copy of go.mod (local.go.mod, ignored by git) that also
# carries the swaps of dist/go/replacements.txt: requirements of the built
# module that the Go module proxy does not serve (see package-go.sh).
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ -f "$GO_MODULE_DIR/go.mod" ] || { log "go: no $GO_MODULE_DIR; run scripts/bindings/package.sh first"; exit 1; }

cd "$ROOT/test/bindings/go"
cp go.mod local.go.mod
rm -f local.go.sum
go mod edit -modfile local.go.mod -require "github.com/aws/aws-cdk-go/awscdk/v2@v$AWS_CDK_LIB_VERSION"
if [ -f "$GO_REPLACEMENTS" ]; then
  while IFS= read -r replacement; do
    [ -z "$replacement" ] || go mod edit -modfile local.go.mod -replace "$replacement"
  done < "$GO_REPLACEMENTS"
fi
timed "go: go mod tidy" go mod tidy -modfile local.go.mod
timed "go: go build" go build -modfile local.go.mod -o "$SMOKE_DIR/go-smoke" .
timed "go: synth and assertions" "$SMOKE_DIR/go-smoke"
