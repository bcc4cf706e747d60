#!/usr/bin/env bash
# The one test command (README): bootstrap, then type-check, lint + format check, the test-hygiene
# check, and the tests. Ends with a line "N passed, N failed" and exits non-zero on any failure.
#   npm test                 every layer (what CI runs)
#   npm run test:unit        the fast layer: logic with fakes, no broker/token/PTY/child process
#   npm run test:e2e         the layer that starts real components
# The split is computed from what each test file does (scripts/test-layers.mjs).
# Extra arguments go to tap (e.g. one file: npm test -- packages/wire/test/topics.test.ts).
set -uo pipefail
cd "$(dirname "$0")/.."
layer=all
if [ "${1:-}" = "--layer" ]; then layer=$2; shift 2; fi
bash scripts/bootstrap.sh || { echo "0 passed, 1 failed"; exit 1; }

failed_steps=0
echo "== type-check of tests, benches and scripts (src is type-checked by the build)"
npx tsc -p tsconfig.check.json || failed_steps=$((failed_steps + 1))

echo "== lint and format check (biome)"
npx biome check . || failed_steps=$((failed_steps + 1))

echo "== every test asserts something of its own"
node scripts/check-test-assertions.mjs || failed_steps=$((failed_steps + 1))

echo "== at least one assertion per function in the pure code (core-ledger, src/domain)"
node scripts/assertion-density.mjs --min 1 || failed_steps=$((failed_steps + 1))

files=()
if [ "$layer" != all ] && [ $# -eq 0 ]; then
  mapfile -t files < <(node scripts/test-layers.mjs "$layer")
fi
echo "== tests (tap, layer: $layer)"
tap_out=$(mktemp)
# The unit layer is mostly process start-up (tsx per file): four files at a time overlap it.
jobs=()
if [ "$layer" = unit ]; then jobs=(--jobs=4); fi
npx tap "${jobs[@]}" "${files[@]}" "$@" 2>&1 | tee "$tap_out"
tap_rc=${PIPESTATUS[0]}

summary=$(grep -E '^# \{ total: ' "$tap_out" | tail -1)
pass=$(echo "$summary" | sed -nE 's/.*pass: ([0-9]+).*/\1/p'); pass=${pass:-0}
fail=$(echo "$summary" | sed -nE 's/.*fail: ([0-9]+).*/\1/p'); fail=${fail:-0}
if [ "$tap_rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
rm -f "$tap_out"
fail=$((fail + failed_steps))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
