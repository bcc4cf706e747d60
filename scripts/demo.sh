#!/usr/bin/env bash
# `npm run demo`: the main job. Bootstraps what it needs, then runs a business day end to end:
# an MQTT broker, HQ, and kiosks with simulated card readers, PIN pads and SoftHSM tokens
# (scripts/demo/main.ts, docs/demo.md). `npm run demo -- --ledger-only` runs the ledger-only demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
args=()
ledger_only=0
for arg in "$@"; do
  if [ "$arg" = "--ledger-only" ]; then ledger_only=1; else args+=("$arg"); fi
done
if [ "$ledger_only" -eq 1 ]; then
  exec npx tsx scripts/ledger-demo.ts ${args[@]+"${args[@]}"}
fi
exec npx tsx scripts/demo/main.ts ${args[@]+"${args[@]}"}
