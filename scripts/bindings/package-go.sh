#!/usr/bin/env bash
# Builds the Go module into dist/go/cdkdatapipeline.
#
# jsii-pacmak generates the module; this then does what pacmak's own Go build
# does (`go mod tidy` and `go build ./...` with a local copy of go.mod, so the
# published go.mod is left as generated), with one difference: a requirement
# of the generated go.mod that the Go module proxy refuses is dropped from the
# local copy, so the build takes the version the CDK's own go.mod asks for.
# Each such swap is written to dist/go/replacements.txt for the smoke test and
# printed as a warning: the published module needs that version on the proxy.
# (Seen here: the generated go.mod pins cloud-assembly-schema-go v53.28.0, the
# version npm installed, and the proxy this machine reaches does not serve it;
# aws-cdk-go v2.257.0 itself asks for v53.25.0.)
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

npx jsii-pacmak --code-only --target go --outdir "$DIST" --no-npmignore

cd "$GO_MODULE_DIR"
cp go.mod local.go.mod
: > "$GO_REPLACEMENTS"
dropped=()
while read -r path version; do
  if out=$(go mod download "$path@$version" 2>&1); then continue; fi
  if ! grep -qiE 'not available|403|404|410|not found|unknown revision' <<<"$out"; then
    log "go: could not download $path@$version (not a refusal, so not worked around):"
    printf '%s\n' "$out" >&2
    exit 1
  fi
  log "WARNING go: the Go module proxy does not serve $path@$version, which the generated go.mod requires; building with the version the other requirements ask for"
  go mod edit -modfile local.go.mod -droprequire "$path"
  dropped+=("$path")
done < <(go mod edit -json go.mod | node -e '
  const mod = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const r of mod.Require ?? []) console.log(r.Path, r.Version);')

go mod tidy -modfile local.go.mod
go build -modfile local.go.mod ./...
for path in "${dropped[@]}"; do
  version=$(go list -modfile local.go.mod -m -f '{{.Version}}' "$path")
  log "go: built with $path@$version"
  echo "$path=$path@$version" >> "$GO_REPLACEMENTS"
done
rm -f local.go.mod local.go.sum
log "go: module $GO_MODULE built in ${GO_MODULE_DIR#"$ROOT"/}"
