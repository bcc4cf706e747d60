#!/usr/bin/env bash
# The one test command (README): bootstrap, then type-check, lint + format check, the test-hygiene
# check, and the tests. Ends with a line "N passed, N failed" and exits non-zero on any failure.
#   npm test                 every layer (what CI runs)
#   npm run test:unit        the fast layer: logic with fakes, no broker/token/PTY/child process;
#                            run in lanes, many files per tap process (scripts/test-lane.mjs)
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
# Incremental: the type information of unchanged files is kept between runs (a cache only; a
# fresh clone checks everything).
npx tsc -p tsconfig.check.json --incremental --tsBuildInfoFile node_modules/.cache/bianmin/tsconfig.check.tsbuildinfo ||
  failed_steps=$((failed_steps + 1))
# The console's tests import its .tsx pages: checked with the console's own settings (JSX, DOM).
npx tsc -p packages/hq-console/tsconfig.test.json || failed_steps=$((failed_steps + 1))

echo "== lint and format check (biome)"
npx biome check . || failed_steps=$((failed_steps + 1))

echo "== every test asserts something of its own"
node scripts/check-test-assertions.mjs || failed_steps=$((failed_steps + 1))

echo "== at least one assertion per function in the pure code (core-ledger, src/domain)"
node scripts/assertion-density.mjs --min 1 || failed_steps=$((failed_steps + 1))

files=()
tap_args=()
queue_dir=""
if [ "$layer" != all ] && [ $# -eq 0 ]; then
  mapfile -t files < <(node scripts/test-layers.mjs "$layer")
fi
if [ "$layer" = unit ] && [ $# -eq 0 ]; then
  # The unit layer runs in lanes (scripts/test-lane.mjs): one tap process per core, each taking
  # the next file from a shared queue, each file its own subtest. A process per file cost ~1.2 s
  # of start-up each (node, tap's loaders, tsx), most of the layer's time. The .taprc hooks stay
  # hooks (tap does not run them as tests either), so the counts equal a file-per-process run.
  queue_dir=$(mktemp -d)
  hooks=$(sed -nE 's/^(before|after):[[:space:]]*//p' .taprc)
  # A file that starts a worker thread keeps a process of its own: under mockImport the worker's
  # module loading never finished (HQ's VerifyPool in packages/hq-gateway/test/domain.test.ts).
  solo_pattern='VerifyPool|worker_threads|new Worker\('
  mapfile -t solo_files < <(grep -lE "$solo_pattern" "${files[@]}")
  printf '%s\n' "${files[@]}" | grep -vxF -e "${hooks:-/}" | grep -vxF -e "$(printf '%s\n' "${solo_files[@]}" /)" \
    > "$queue_dir/files.txt"
  lane_count=$(nproc)
  [ "$lane_count" -lt 2 ] && lane_count=2
  file_count=$(wc -l < "$queue_dir/files.txt")
  [ "$lane_count" -gt "$file_count" ] && lane_count=$file_count
  lane_dir=.tap/unit-lanes
  rm -rf "$lane_dir" && mkdir -p "$lane_dir"
  files=("${solo_files[@]}")
  for lane in $(seq 1 "$lane_count"); do
    echo "import '../../scripts/test-lane.mjs';" > "$lane_dir/lane-$lane.mjs"
    files+=("$lane_dir/lane-$lane.mjs")
  done
  # A lane may run every file: its process gets the sum of the per-file bounds (.taprc timeout).
  file_timeout_s=$(sed -nE 's/^timeout:[[:space:]]*([0-9]+)[[:space:]]*$/\1/p' .taprc)
  tap_args=(--jobs="$lane_count" --timeout=$((file_timeout_s * file_count)))
  export BIANMIN_TEST_QUEUE=$queue_dir
fi
echo "== tests (tap, layer: $layer)"
tap_out=$(mktemp)
npx tap "${tap_args[@]}" "${files[@]}" "$@" 2>&1 | tee "$tap_out"
tap_rc=${PIPESTATUS[0]}
[ -n "$queue_dir" ] && rm -rf "$queue_dir"

summary=$(grep -E '^# \{ total: ' "$tap_out" | tail -1)
pass=$(echo "$summary" | sed -nE 's/.*pass: ([0-9]+).*/\1/p'); pass=${pass:-0}
fail=$(echo "$summary" | sed -nE 's/.*fail: ([0-9]+).*/\1/p'); fail=${fail:-0}
if [ "$tap_rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
rm -f "$tap_out"
fail=$((fail + failed_steps))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
