#!/usr/bin/env bash
# Python smoke test: a fresh virtual environment with aws-cdk-lib from PyPI
# and the built wheel (dist/python), then test/bindings/python/app.py, which
# synthesizes a pipeline and checks its template.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

wheel="$DIST/python/cdk_data_pipeline-$LIB_VERSION-py3-none-any.whl"
[ -f "$wheel" ] || { log "python: no $wheel; run scripts/bindings/package.sh first"; exit 1; }

venv="$SMOKE_DIR/python-venv"
rm -rf "$venv"
mkdir -p "$SMOKE_DIR"
python3 -m venv "$venv"
timed "python: pip install aws-cdk-lib==$AWS_CDK_LIB_VERSION and the wheel" \
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  "aws-cdk-lib==$AWS_CDK_LIB_VERSION" "$wheel"
cd "$ROOT/test/bindings/python"
timed "python: synth and assertions" "$venv/bin/python" app.py
