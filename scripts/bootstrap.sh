#!/usr/bin/env bash
# Bootstrap a fresh Debian machine for this repo: system packages (only when missing),
# npm ci (only when the lock file changed), and a build. Idempotent: a second run is fast.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v socat >/dev/null 2>&1 || need_apt+=(socat)
# The systemd unit test (issue 13) runs systemd-analyze verify/security on deploy/systemd/.
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)
command -v softhsm2-util >/dev/null 2>&1 || need_apt+=(softhsm2)
command -v mosquitto >/dev/null 2>&1 || need_apt+=(mosquitto)
# Issue 14: the 3-node NATS cluster (MQTT for the kiosks + JetStream R3) that scripts/nats/cluster.ts starts.
command -v nats-server >/dev/null 2>&1 || need_apt+=(nats-server)
command -v pkcs11-tool >/dev/null 2>&1 || need_apt+=(opensc)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
# HQ's production store and its tests (issue 11): PostgreSQL on 127.0.0.1:5432.
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
# The HQ console's browser tests (issue 12): Debian's Chromium driven by playwright-core.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# A CJK font, so the browser renders the console's zh-CN (tests, screenshots); the console itself
# names system fonts only and loads none.
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need_apt+=(fonts-wqy-microhei)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing system packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# PostgreSQL must answer on 127.0.0.1:5432 (the HQ store tests create and drop their own databases
# there; they connect as postgres with trust auth, or as HQ_TEST_PG_URL says). Start the cluster
# when it does not answer; a test that cannot connect fails, it never skips.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "bootstrap: starting PostgreSQL"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  for version in $(ls /etc/postgresql 2>/dev/null); do
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  pg_isready -q -h 127.0.0.1 -p 5432 || echo "bootstrap: WARNING: PostgreSQL does not answer on 127.0.0.1:5432"
fi

# The arm64 release and its qemu smoke test (test/e2e/release-arm64.test.ts): the arm64 architecture,
# qemu-user-static + binfmt, the cross compiler and an unpacked arm64 SoftHSM. Quick when present.
bash scripts/release/bootstrap-arm64.sh

stamp=node_modules/.bootstrap-stamp
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "bootstrap: npm ci (better-sqlite3 compiles from source: about 2 minutes on 2 cores)"
  npm ci --no-audit --no-fund --loglevel=error
  # tap compiles its plugin set (see .taprc) into node_modules once; do it here, not in the first test run.
  npx tap build >/dev/null
  echo "$lock_hash" > "$stamp"
fi

# The release builder's cache: arm64 addons cross-compiled (~1 min once), Node runtimes for arm64
# and x64 (npm pack). Quick when cached; npm ci above empties it with node_modules.
npx tsx scripts/release/warm-cache.ts

echo "bootstrap: build"
# tsc -b for the packages, then the HQ console (Vite, about 2 s) that the gateway serves.
npm run build --silent
