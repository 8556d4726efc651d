#!/usr/bin/env bash
# Verifies the examples' integration snapshots (test/integ/integ.*.ts.snapshot/)
# with integ-runner, without deploying: each integ.<example>.ts is
# synthesized and compared with its committed snapshot; any difference fails.
#
#   npx projen integ                              verify every example
#   npx projen integ integ.lambda-table.ts        verify one
#   npx projen integ --update-on-failed --dry-run rewrite changed snapshots, no deploy
#   npx projen integ [integ.<example>.ts ...] --update-on-failed --force --parallel-regions us-east-1
#                                                 deploy, run the assertions, destroy,
#                                                 and save the snapshots (AWS account)
#
# Test names go before --parallel-regions/--profiles, which would take them as values.
#
# Extra arguments go to integ-runner. See test/integ/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The examples import 'cdk-data-pipeline'; examples/tsconfig.json maps it to src/.
export TS_NODE_PROJECT="$PWD/examples/tsconfig.json"
app='node -r ts-node/register/transpile-only -r tsconfig-paths/register {filePath}'

# One synth per worker; each takes about one core. INTEG_WORKERS overrides.
workers="${INTEG_WORKERS:-$(nproc 2>/dev/null || echo 2)}"

# integ-runner compares the pipeline stacks; the integ apps compare their
# assertion stacks themselves (pipeline-integ.ts, synthIntegApp) when only
# verifying, not when integ-runner writes new snapshots.
# A verification deploys nothing: one region, so integ-runner does not warn
# that it has fewer workers than the default three regions. It goes last:
# an array option takes the test names that follow it as its values.
regions=()
case " $* " in
  *" --update-on-failed "*|*" --force "*|*" --watch "*) ;;
  *) export INTEG_VERIFY_ASSERTIONS=1
     case " $* " in *" --parallel-regions "*) ;; *) regions=(--parallel-regions us-east-1) ;; esac ;;
esac

status=0
npx integ-runner --directory test/integ --language typescript --app "$app" \
  --max-workers "$workers" "$@" "${regions[@]}" || status=$?

# integ-runner keeps the assertion handler's 2 MB bundle in a snapshot it
# writes; the comparison does not need it (asset hashes are not compared).
rm -rf test/integ/*.snapshot/asset.*
exit "$status"
