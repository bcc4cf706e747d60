#!/usr/bin/env bash
# What the arm64 release needs on an x64 Debian host (called by scripts/bootstrap.sh): the arm64
# foreign architecture, qemu-user-static with binfmt_misc enabled (so an arm64 ELF runs directly),
# the arm64 C and C++ runtimes, the cross compiler for the native addons, and an arm64 SoftHSM
# library for the qemu smoke test (test/e2e/release-arm64.test.ts).
# Idempotent and quick when everything is present (each step checks first).
# TRAP (docs/shared TOOLCHAIN): `apt-get install libsofthsm2:arm64` REMOVES the amd64 softhsm2
# (softhsm2-common is not multi-arch) that every other test uses; the arm64 library is therefore
# downloaded and unpacked with dpkg-deb -x into $ARM64_SOFTHSM_DIR, never installed.
set -euo pipefail

ARM64_SOFTHSM_DIR=${BIANMIN_ARM64_SOFTHSM_DIR:-/usr/local/lib/bianmin-arm64/softhsm}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "bootstrap-arm64: adding the arm64 architecture"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
fi

need=()
for package in qemu-user-static binfmt-support libc6:arm64 libstdc++6:arm64 libssl3:arm64 \
  libsqlite3-0:arm64 g++-aarch64-linux-gnu binutils-aarch64-linux-gnu; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "bootstrap-arm64: installing ${need[*]}"
  # An arm64 package list may be missing on a machine where arm64 was added but never updated.
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# binfmt_misc: mounted and the qemu-aarch64 handler enabled (the package leaves it disabled in a
# container where binfmt_misc was not mounted at install time).
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
  echo "bootstrap-arm64: enabling binfmt qemu-aarch64"
  $SUDO update-binfmts --enable qemu-aarch64
fi

if [ ! -f "$ARM64_SOFTHSM_DIR/libsofthsm2.so" ]; then
  echo "bootstrap-arm64: unpacking the arm64 SoftHSM library into $ARM64_SOFTHSM_DIR"
  work=$(mktemp -d)
  (cd "$work" && apt-get download -qq libsofthsm2:arm64 >/dev/null)
  mkdir -p "$work/x"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
  $SUDO mkdir -p "$ARM64_SOFTHSM_DIR"
  $SUDO cp "$work/x/usr/lib/softhsm/libsofthsm2.so" "$ARM64_SOFTHSM_DIR/libsofthsm2.so"
  rm -rf "$work"
fi
