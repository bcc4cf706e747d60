#!/usr/bin/env bash
# `npm run bench`: bootstrap, then run every benchmark file with tsx, one after another (never in
# parallel: they measure throughput on a shared 2-core machine). Each bench prints its figures next to
# a baseline measured in the same run, and the ratio. Pass a substring to run only matching benches;
# arguments after it go to each bench run (npm run bench ingest -- --store postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh >/dev/null
filter="${1:-}"
[ $# -gt 0 ] && shift
shopt -s nullglob
status=0
for f in packages/*/bench/*.bench.ts test/bench/*.bench.ts; do
  if [ -n "$filter" ] && [[ "$f" != *"$filter"* ]]; then continue; fi
  echo "== $f"
  npx tsx "$f" "$@" || { echo "bench failed: $f"; status=1; }
done
exit $status
