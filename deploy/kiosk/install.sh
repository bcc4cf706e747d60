#!/bin/sh
# Installs a kiosk release bundle (npm run release) on a kiosk, or into a staging root (--destdir):
#   /opt/bianmin/kiosk/releases/<version>/   the bundle, verified, owned by root, modes from the manifest
#   /opt/bianmin/kiosk/current -> releases/<version>   switched atomically (rename of a new link)
#   /opt/bianmin/kiosk/previous -> the release current pointed at before (for a rollback)
#   /etc/bianmin/          0750 root:bianmin (config, secrets; release-keys/*.pem = trusted release keys)
#   /var/lib/bianmin/      0750 bianmin:bianmin (journal/, ota/ and ota/staging/ for the OTA switch)
#   /usr/lib/bianmin/ota-switch   the OTA switch's root helper (the bundle's bin/ota-switch.sh), root 0755
#   /etc/systemd/system/   the bundle's systemd/ units; bianmin-ota-switch.path enabled (docs/ota.md)
#   user bianmin           system user, no login, in group dialout (the serial ports)
#   /etc/udev/rules.d/70-bianmin-serial.rules   stable names /dev/bianmin/card-reader, /dev/bianmin/pin-pad
# Verification comes first and is done on the COPY in releases/ (what is installed is what was
# checked): the signature under a trusted release key and every file's SHA-256, by the INSTALLED
# release's verifier when there is one (trusted code checks the new bytes). On a first install the
# new bundle checks itself, so the manifest's SHA-256 must also match the one HQ printed at
# `hq release publish` (--expect-manifest-sha256). Nothing is switched unless everything passed;
# a refusal leaves the previous release current and removes the copy.
#
# Usage: install.sh BUNDLE_DIR [--destdir DIR] [--release-key FILE]... [--expect-manifest-sha256 HEX]
#                   [--card-reader-usb VID:PID:SERIAL] [--pin-pad-usb VID:PID:SERIAL]
# Exit 0 installed (or already installed), 1 refused (a line "install: CODE: why" on stderr), 2 usage.
# Codes: docs/errors/release.md (RELEASE_INSTALL_*, RELEASE_BUNDLE_MISMATCH, WIRE_RELEASE_*).
set -eu

fail() { printf 'install: %s: %s\n' "$1" "$2" >&2; exit "${3:-1}"; }
usage() { fail RELEASE_USAGE "$1" 2; }

bundle="" destdir="" keys="" expect_sha="" card_reader="" pin_pad=""
while [ $# -gt 0 ]; do
  case $1 in
    --destdir) [ $# -ge 2 ] || usage "--destdir DIR"; destdir=$2; shift 2 ;;
    --release-key) [ $# -ge 2 ] || usage "--release-key FILE"; keys="$keys
$2"; shift 2 ;;
    --expect-manifest-sha256) [ $# -ge 2 ] || usage "--expect-manifest-sha256 HEX"; expect_sha=$2; shift 2 ;;
    --card-reader-usb) [ $# -ge 2 ] || usage "--card-reader-usb VID:PID:SERIAL"; card_reader=$2; shift 2 ;;
    --pin-pad-usb) [ $# -ge 2 ] || usage "--pin-pad-usb VID:PID:SERIAL"; pin_pad=$2; shift 2 ;;
    -*) usage "unknown flag $1" ;;
    *) [ -z "$bundle" ] || usage "one BUNDLE_DIR only"; bundle=$1; shift ;;
  esac
done
[ -n "$bundle" ] || usage "BUNDLE_DIR is required"
[ -n "$destdir" ] || [ "$(id -u)" -eq 0 ] || fail RELEASE_INSTALL_NOT_ROOT "run as root (or with --destdir for a staging root)"
[ -f "$bundle/manifest.json" ] || fail RELEASE_INSTALL_NOT_A_BUNDLE "$bundle has no manifest.json"
[ -z "$expect_sha" ] || printf '%s' "$expect_sha" | grep -Eq '^[0-9a-f]{64}$' || usage "--expect-manifest-sha256 takes 64 lowercase hex digits"
# A udev match is written into a rules file: only plain values, so nothing can be injected.
usb_pattern='^[0-9a-f]{4}:[0-9a-f]{4}:[A-Za-z0-9._-]{1,64}$'
for device in "$card_reader" "$pin_pad"; do
  [ -z "$device" ] || printf '%s' "$device" | grep -Eq "$usb_pattern" || usage "USB device '$device' is not VID:PID:SERIAL (hex ids, serial [A-Za-z0-9._-])"
done
root=${destdir%/}
kiosk="$root/opt/bianmin/kiosk"

# Trusted release keys: the flags, then the ones provisioned in /etc/bianmin/release-keys.
key_args=""
old_ifs=$IFS; IFS='
'
for key in $keys $(ls "$root/etc/bianmin/release-keys/"*.pem 2>/dev/null || true); do
  [ -n "$key" ] && key_args="$key_args
--release-key
$key"
done
IFS=$old_ifs
[ -n "$key_args" ] || fail RELEASE_INSTALL_NO_KEY "no trusted release key (--release-key FILE or $root/etc/bianmin/release-keys/*.pem)"

# Refuse another architecture early (the manifest is not trusted yet; checked again after verifying).
case $(uname -m) in aarch64 | arm64) host_arch=arm64 ;; x86_64 | amd64) host_arch=x64 ;; *) host_arch=$(uname -m) ;; esac
bundle_arch=$(sed -n 's/^  "arch": "\([a-z0-9]*\)",$/\1/p' "$bundle/manifest.json")
[ "$bundle_arch" = "$host_arch" ] || fail RELEASE_INSTALL_WRONG_ARCH "the bundle is for linux-$bundle_arch, this machine is $host_arch"

mkdir -p "$kiosk/releases"
incoming="$kiosk/releases/.incoming-$$"
trap 'rm -rf "$incoming"' EXIT INT TERM
rm -rf "$incoming"
cp -R "$bundle/." "$incoming/"

if [ -x "$kiosk/current/bin/node" ] && [ -f "$kiosk/current/bin/verify-bundle.mjs" ]; then
  verifier="$kiosk/current/bin/node
$kiosk/current/bin/verify-bundle.mjs"
  echo "install: verifying with the installed release ($(readlink "$kiosk/current"))"
else
  [ -n "$expect_sha" ] || fail RELEASE_INSTALL_MANIFEST_HASH "first install: pass --expect-manifest-sha256 (the manifestSha256 that hq release publish printed)"
  verifier="$incoming/bin/node
$incoming/bin/verify-bundle.mjs"
  echo "install: first install: the bundle verifies itself, its manifest hash is checked against HQ's"
fi
if [ -n "$expect_sha" ]; then
  actual_sha=$(sha256sum "$incoming/manifest.json" | cut -d' ' -f1)
  [ "$actual_sha" = "$expect_sha" ] || fail RELEASE_INSTALL_MANIFEST_HASH "manifest.json SHA-256 is $actual_sha, HQ published $expect_sha"
fi
IFS='
'
# shellcheck disable=SC2086 # the verifier command and key flags are newline-separated words
if ! answer=$($verifier "$incoming" $key_args --apply-modes); then
  IFS=$old_ifs
  code=$(printf '%s' "$answer" | sed -n 's/.*"code":"\([A-Z_]*\)".*/\1/p')
  fail "${code:-RELEASE_BUNDLE_MISMATCH}" "verification failed: $answer"
fi
IFS=$old_ifs
version=$(printf '%s' "$answer" | sed -n 's/.*"version":"\([0-9A-Za-z.+-]*\)".*/\1/p')
arch=$(printf '%s' "$answer" | sed -n 's/.*"arch":"\([a-z0-9]*\)".*/\1/p')
[ -n "$version" ] && [ "$arch" = "$host_arch" ] || fail RELEASE_INSTALL_WRONG_ARCH "verified manifest says $arch"
echo "install: verified release $version (linux-$arch): $answer"

target="$kiosk/releases/$version"
if [ -e "$target" ]; then
  cmp -s "$target/manifest.json" "$incoming/manifest.json" ||
    fail RELEASE_INSTALL_VERSION_CONFLICT "$target holds another build of $version: a version is never reused"
  echo "install: $version already installed"
else
  chmod 0755 "$incoming"
  find "$incoming" -type d -exec chmod 0755 {} +
  chown -R 0:0 "$incoming"
  mv "$incoming" "$target"
fi

# The service user: a system user in dialout, its groups and passwd in $root/etc.
prefix_args=""
[ -z "$root" ] || prefix_args="--prefix $root"
# shellcheck disable=SC2086
grep -q '^dialout:' "$root/etc/group" || groupadd $prefix_args --system dialout
if ! grep -q '^bianmin:' "$root/etc/passwd"; then
  # shellcheck disable=SC2086
  useradd $prefix_args --system --user-group --no-create-home --home-dir /var/lib/bianmin \
    --shell /usr/sbin/nologin --comment 'bianmin kiosk agent' --groups dialout bianmin
  echo "install: created user bianmin (groups: bianmin dialout)"
else
  # shellcheck disable=SC2086
  usermod $prefix_args -a -G dialout bianmin
fi
uid=$(awk -F: '$1 == "bianmin" { print $3 }' "$root/etc/passwd")
gid=$(awk -F: '$1 == "bianmin" { print $3 }' "$root/etc/group")

install -d -m 0755 -o 0 -g 0 "$root/etc" "$root/var/lib"
install -d -m 0750 -o 0 -g "$gid" "$root/etc/bianmin"
install -d -m 0755 -o 0 -g 0 "$root/etc/bianmin/release-keys"
install -d -m 0750 -o "$uid" -g "$gid" "$root/var/lib/bianmin" "$root/var/lib/bianmin/journal" \
  "$root/var/lib/bianmin/ota" "$root/var/lib/bianmin/ota/staging"

if [ -n "$card_reader$pin_pad" ]; then
  rules="$root/etc/udev/rules.d/70-bianmin-serial.rules"
  install -d -m 0755 "$root/etc/udev/rules.d"
  rule() { # name VID:PID:SERIAL
    vid=${2%%:*} rest=${2#*:}; pid=${rest%%:*} serial=${rest#*:}
    printf 'SUBSYSTEM=="tty", ATTRS{idVendor}=="%s", ATTRS{idProduct}=="%s", ATTRS{serial}=="%s", SYMLINK+="bianmin/%s", GROUP="dialout", MODE="0660"\n' \
      "$vid" "$pid" "$serial" "$1"
  }
  {
    echo "# Written by the bianmin kiosk installer: stable names for the kiosk's serial peripherals,"
    echo "# matched by USB vendor, product and serial number (a swapped cable keeps its name; another"
    echo "# device does not get it). The kernel's /dev/serial/by-id/ names exist as well."
    [ -z "$card_reader" ] || rule card-reader "$card_reader"
    [ -z "$pin_pad" ] || rule pin-pad "$pin_pad"
  } > "$rules.new"
  chmod 0644 "$rules.new"
  mv "$rules.new" "$rules"
  echo "install: udev rules $rules"
  if [ -z "$root" ] && command -v udevadm >/dev/null 2>&1; then
    udevadm control --reload-rules && udevadm trigger --subsystem-match=tty
  fi
fi

# Switch: a new link renamed over the old one (rename is atomic: current is never missing).
previous=$(readlink "$kiosk/current" 2>/dev/null || true)
ln -sfn "releases/$version" "$kiosk/current.new"
mv -T "$kiosk/current.new" "$kiosk/current"
if [ -n "$previous" ] && [ "$previous" != "releases/$version" ]; then
  ln -sfn "$previous" "$kiosk/previous.new"
  mv -T "$kiosk/previous.new" "$kiosk/previous"
fi
echo "install: current -> releases/$version${previous:+ (previous: $previous)}"

# The OTA switch (docs/ota.md): the agent stages a release and asks; root verifies again and switches.
# The helper and units come from the release just verified and made current, root-owned; an OTA
# switch (or a rollback) puts the new (or previous) release's own in force the same way (ota-switch.sh
# install_root_half).
release_dir="$kiosk/releases/$version"
if [ -f "$release_dir/bin/ota-switch.sh" ]; then
  install -d -m 0755 -o 0 -g 0 "$root/usr/lib/bianmin"
  install -m 0755 -o 0 -g 0 "$release_dir/bin/ota-switch.sh" "$root/usr/lib/bianmin/ota-switch.new"
  mv -T "$root/usr/lib/bianmin/ota-switch.new" "$root/usr/lib/bianmin/ota-switch"
fi
if [ -d "$release_dir/systemd" ]; then
  units="$root/etc/systemd/system"
  install -d -m 0755 "$units" "$units/multi-user.target.wants"
  for unit in "$release_dir"/systemd/*; do
    install -m 0644 -o 0 -g 0 "$unit" "$units/$(basename "$unit")"
  done
  # enabled as `systemctl enable` does it (works in a staging root too)
  ln -sfn ../bianmin-ota-switch.path "$units/multi-user.target.wants/bianmin-ota-switch.path"
  if [ -z "$root" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl daemon-reload && systemctl start bianmin-ota-switch.path
  fi
  echo "install: systemd units in $units, bianmin-ota-switch.path enabled, helper /usr/lib/bianmin/ota-switch"
fi
