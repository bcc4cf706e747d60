#!/usr/bin/env bash
# `npm run demo`: the main job. Bootstraps what it needs, then runs a day of business.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec npx tsx scripts/ledger-demo.ts "$@"
