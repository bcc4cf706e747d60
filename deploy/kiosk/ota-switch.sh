#!/bin/sh
# The kiosk's privileged OTA step (docs/ota.md "The switch under the shipped unit"), RAUC's split:
# the agent (user bianmin, ProtectSystem=strict) downloads, verifies and unpacks a release into
# /var/lib/bianmin/ota/staging/<version> and writes a request; this script, run as root by
# bianmin-ota-switch.service (started by bianmin-ota-switch.path when the request appears), checks
# the staged folder AGAIN with the installed release's verifier and the root-owned trusted keys,
# installs it under /opt/bianmin/kiosk/releases/<version>, switches the links and restarts the agent.
# The agent only reads the outcome file on its next start.
#
#   ota-switch.sh switch     act on the request file (action=switch or action=rollback)
#   ota-switch.sh rollback   `previous` back to `current` (bianmin-kiosk.service's OnFailure=)
#
# Request (written by the agent: temp file + rename, one key=value a line, at most 4 KiB):
#   id=<request id>  action=switch|rollback  version=<slot name>  staged=<staging dir>/<version>
# Outcome (written here: temp file + rename, 0640 root:bianmin, read by the agent):
#   id=  action=  ok=1|0  code=  version=  current=  previous=  detail=
# Every refusal writes an outcome with a stable code (docs/errors/release.md, RELEASE_OTA_SWITCH_*
# or the verifier's own code), removes the request and changes nothing else; exit 1. Exit 0 done.
#
# The root half travels with the release (RAUC/Mender: the slot is the whole system): after the
# switch (or a rollback) the units in /etc/systemd/system and this helper itself are the ones of the
# release `current` names, taken ONLY from its verified, root-owned folder under releases/ (never
# from the staging folder the agent can write), each file a temp copy renamed over the old one, then
# `systemctl daemon-reload` before the agent is restarted. Only the shipped unit names are installed
# (shipped_units below): a release whose systemd/ holds any other file is refused before anything is
# switched (RELEASE_OTA_SWITCH_UNIT_UNKNOWN), so a bundle cannot enable or override another unit.
# Site drop-ins (<unit>.d/*.conf) are never touched. A crash between two files is repaired by the
# next run (the path unit fires again at boot while the request is there; "already current" re-syncs).
#
# Loops: a rollback acts only when `previous` exists, names an installed release and differs from
# `current`, and never goes back to a release it rolled back from (the root-owned marker
# <kiosk>/rolled-back-from, cleared by the next successful switch): a kiosk where no release starts
# rolls back once, then stays failed for a technician.
#
# Paths (environment, for tests in a temp root; defaults are the installed kiosk's):
#   OTA_SWITCH_KIOSK_DIR  /opt/bianmin/kiosk         OTA_SWITCH_STATE_DIR  /var/lib/bianmin/ota
#   OTA_SWITCH_KEYS_DIR   /etc/bianmin/release-keys  OTA_SWITCH_UNIT       bianmin-kiosk.service
#   OTA_SWITCH_GROUP      bianmin (outcome's group; empty: not changed)
#   OTA_SWITCH_UNITS_DIR  /etc/systemd/system        OTA_SWITCH_HELPER     /usr/lib/bianmin/ota-switch
set -eu
umask 0022
PATH=${OTA_SWITCH_PATH:-$PATH}

kiosk=${OTA_SWITCH_KIOSK_DIR:-/opt/bianmin/kiosk}
state=${OTA_SWITCH_STATE_DIR:-/var/lib/bianmin/ota}
keys_dir=${OTA_SWITCH_KEYS_DIR:-/etc/bianmin/release-keys}
unit=${OTA_SWITCH_UNIT:-bianmin-kiosk.service}
group=${OTA_SWITCH_GROUP-bianmin}
units_dir=${OTA_SWITCH_UNITS_DIR:-/etc/systemd/system}
helper=${OTA_SWITCH_HELPER:-/usr/lib/bianmin/ota-switch}
# The units a release may bring (deploy/systemd); anything else in its systemd/ is refused.
shipped_units='bianmin-kiosk.service bianmin-kiosk-rollback.service bianmin-ota-switch.path bianmin-ota-switch.service'
request_file="$state/switch-request"
outcome_file="$state/switch-outcome"
staging="$state/staging"
request_bytes_max=4096
slot_pattern='^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
id_pattern='^[A-Za-z0-9._-]{1,64}$'

id="" action="" version="" staged=""

link_target() { # the release a link names (releases/<v> -> <v>), empty when there is none
  [ -L "$kiosk/$1" ] || return 0
  basename "$(readlink "$kiosk/$1")"
}

write_outcome() { # ok code detail
  detail=$(printf '%s' "$3" | tr -c '[:print:]' ' ' | cut -c1-600)
  tmp=$(mktemp "$state/.switch-outcome.XXXXXX")
  {
    echo "id=$id"
    echo "action=$action"
    echo "ok=$1"
    echo "code=$2"
    echo "version=$version"
    echo "current=$(link_target current)"
    echo "previous=$(link_target previous)"
    echo "detail=$detail"
  } > "$tmp"
  chmod 0640 "$tmp"
  [ -z "$group" ] || chgrp "$group" "$tmp"
  mv -T "$tmp" "$outcome_file"
}

refuse() { # code detail: nothing changed but the outcome and the removed request
  printf 'ota-switch: %s: %s\n' "$1" "$2" >&2
  write_outcome 0 "$1" "$2"
  rm -f "$request_file"
  exit 1
}

restart_agent() {
  # reset-failed: after OnFailure= the unit may have hit its start limit and would refuse a start.
  systemctl reset-failed "$unit" || true
  systemctl restart --no-block "$unit"
}

check_root_half() { # release dir (verified): refuse a systemd/ entry that is not a shipped unit file
  [ -d "$1/systemd" ] || return 0
  for file in "$1"/systemd/* "$1"/systemd/.[!.]*; do
    [ -e "$file" ] || [ -L "$file" ] || continue
    name=$(basename "$file")
    case " $shipped_units " in
      *" $name "*) [ -f "$file" ] && [ ! -L "$file" ] ||
        refuse RELEASE_OTA_SWITCH_UNIT_UNKNOWN "systemd/$name is not a regular file" ;;
      *) refuse RELEASE_OTA_SWITCH_UNIT_UNKNOWN "systemd/$name is not one of the shipped units ($shipped_units)" ;;
    esac
  done
}

put_file() { # from to mode: a root-owned temp copy renamed over `to` (a running shell keeps the old inode)
  if cmp -s "$1" "$2"; then return 1; fi
  install -m "$3" -o 0 -g 0 "$1" "$2.new"
  mv -T "$2.new" "$2"
}

install_root_half() { # release dir (verified, root-owned, under releases/): its units and helper in force
  reload=0
  for name in $shipped_units; do
    [ -f "$1/systemd/$name" ] && [ ! -L "$1/systemd/$name" ] || continue
    if put_file "$1/systemd/$name" "$units_dir/$name" 0644; then
      reload=1
      echo "ota-switch: unit $name from $(basename "$1")"
    fi
  done
  if [ -f "$1/bin/ota-switch.sh" ] && [ ! -L "$1/bin/ota-switch.sh" ] && [ -d "$(dirname "$helper")" ]; then
    if put_file "$1/bin/ota-switch.sh" "$helper" 0755; then echo "ota-switch: helper from $(basename "$1")"; fi
  fi
  [ "$reload" -eq 0 ] || systemctl daemon-reload
}

set_link() { # name version: a new link renamed over the old one (current is never missing)
  ln -sfn "releases/$2" "$kiosk/$1.new"
  mv -T "$kiosk/$1.new" "$kiosk/$1"
}

read_request() {
  [ -f "$request_file" ] && [ ! -L "$request_file" ] ||
    refuse RELEASE_OTA_SWITCH_NO_REQUEST "no request file $request_file (or not a regular file)"
  size=$(wc -c < "$request_file")
  [ "$size" -le "$request_bytes_max" ] ||
    refuse RELEASE_OTA_SWITCH_BAD_REQUEST "request is $size bytes, at most $request_bytes_max"
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      id=*) id=${line#id=} ;;
      action=*) action=${line#action=} ;;
      version=*) version=${line#version=} ;;
      staged=*) staged=${line#staged=} ;;
      '') ;;
      *) id="" action="" version="" staged=""; refuse RELEASE_OTA_SWITCH_BAD_REQUEST "unknown line in the request" ;;
    esac
  done < "$request_file"
  printf '%s' "$id" | grep -Eq "$id_pattern" || { id=""; refuse RELEASE_OTA_SWITCH_BAD_REQUEST "id is not [A-Za-z0-9._-]{1,64}"; }
  case $action in
    switch | rollback) ;;
    *) action=""; refuse RELEASE_OTA_SWITCH_BAD_REQUEST "action is not switch or rollback" ;;
  esac
  printf '%s' "$version" | grep -Eq "$slot_pattern" ||
    { version=""; refuse RELEASE_OTA_SWITCH_BAD_VERSION "version is not a slot name"; }
}

do_switch() {
  # The agent owns the state folder: a link there could send root's reads and writes elsewhere.
  [ ! -L "$state" ] && [ ! -L "$staging" ] ||
    refuse RELEASE_OTA_SWITCH_PATH_ESCAPE "$state or $staging is a symlink"
  [ "$staged" = "$staging/$version" ] ||
    refuse RELEASE_OTA_SWITCH_PATH_ESCAPE "staged must be $staging/$version"
  real_staging=$(realpath -e "$staging" 2> /dev/null) ||
    refuse RELEASE_OTA_SWITCH_PATH_ESCAPE "no staging folder $staging"
  [ -d "$staged" ] && [ ! -L "$staged" ] && [ "$(realpath -e "$staged")" = "$real_staging/$version" ] ||
    refuse RELEASE_OTA_SWITCH_PATH_ESCAPE "$staged is not a folder inside $staging"
  if [ "$(link_target current)" = "$version" ]; then
    # Switched before a crash, outcome not written yet: finish the job.
    install_root_half "$kiosk/releases/$version"
    write_outcome 1 "" "already current"
    rm -f "$request_file"
    restart_agent
    return
  fi

  # The installed release's verifier (trusted code checks the new bytes) and root-owned keys.
  [ -x "$kiosk/current/bin/node" ] && [ -f "$kiosk/current/bin/verify-bundle.mjs" ] ||
    refuse RELEASE_OTA_SWITCH_NO_VERIFIER "no installed verifier under $kiosk/current/bin"
  key_args=""
  for key in "$keys_dir"/*.pem; do
    [ -f "$key" ] && key_args="$key_args
--release-key
$key"
  done
  [ -n "$key_args" ] || refuse RELEASE_OTA_SWITCH_NO_KEY "no trusted release key $keys_dir/*.pem"

  # Verify the root-owned COPY: the agent could change the staged folder while it is read.
  mkdir -p "$kiosk/releases"
  incoming="$kiosk/releases/.incoming-$$"
  trap 'rm -rf "$incoming"' EXIT INT TERM
  rm -rf "$incoming"
  # 0700 until verified: whatever the copy holds is not readable by the agent meanwhile.
  mkdir -m 0700 "$incoming"
  cp -RP "$staged/." "$incoming/"
  chown -R 0:0 "$incoming"
  old_ifs=$IFS
  IFS='
'
  # shellcheck disable=SC2086 # the key flags are newline-separated words
  if ! answer=$("$kiosk/current/bin/node" "$kiosk/current/bin/verify-bundle.mjs" "$incoming" $key_args --apply-modes); then
    IFS=$old_ifs
    code=$(printf '%s' "$answer" | sed -n 's/.*"code":"\([A-Z_]*\)".*/\1/p')
    refuse "${code:-RELEASE_BUNDLE_MISMATCH}" "verification failed: $answer"
  fi
  IFS=$old_ifs
  manifest_version=$(printf '%s' "$answer" | sed -n 's/.*"version":"\([0-9A-Za-z.+-]*\)".*/\1/p')
  arch=$(printf '%s' "$answer" | sed -n 's/.*"arch":"\([a-z0-9]*\)".*/\1/p')
  case $(uname -m) in aarch64 | arm64) host_arch=arm64 ;; x86_64 | amd64) host_arch=x64 ;; *) host_arch=$(uname -m) ;; esac
  [ -n "$manifest_version" ] && [ "$arch" = "$host_arch" ] &&
    { [ "$version" = "$manifest_version" ] || [ "$version" = "$manifest_version-linux-$arch" ]; } ||
    refuse RELEASE_OTA_SWITCH_VERSION_MISMATCH "verified manifest is $manifest_version (linux-$arch), request $version on $host_arch"
  check_root_half "$incoming"

  target="$kiosk/releases/$version"
  if [ -e "$target" ]; then
    cmp -s "$target/manifest.json" "$incoming/manifest.json" ||
      refuse RELEASE_OTA_SWITCH_VERSION_CONFLICT "$target holds another build of $version"
  else
    chmod 0755 "$incoming"
    find "$incoming" -type d -exec chmod 0755 {} +
    mv -T "$incoming" "$target"
  fi

  before=$(link_target current)
  # previous first: a crash between the two renames leaves previous = current (no rollback target),
  # never a current that a rollback would skip.
  [ -z "$before" ] || set_link previous "$before"
  set_link current "$version"
  rm -f "$kiosk/rolled-back-from"
  install_root_half "$target"
  sync
  write_outcome 1 "" "verified $answer"
  rm -f "$request_file"
  # The staged folder is the agent's to remove (root never deletes by a path the agent controls).
  echo "ota-switch: current -> releases/$version${before:+ (previous: $before)}"
  restart_agent
}

do_rollback() {
  from=$(link_target current)
  to=$(link_target previous)
  [ -n "$to" ] && [ "$to" != "$from" ] && [ -d "$kiosk/releases/$to" ] ||
    refuse RELEASE_OTA_SWITCH_NO_PREVIOUS "no previous release to go back to (previous: '${to}', current: '${from}')"
  [ ! -f "$kiosk/rolled-back-from" ] || [ "$(cat "$kiosk/rolled-back-from")" != "$to" ] ||
    refuse RELEASE_OTA_SWITCH_ROLLBACK_LOOP "$to was rolled back from before: not going back to it"
  [ -z "$version" ] || [ "$version" = "$to" ] ||
    refuse RELEASE_OTA_SWITCH_BAD_VERSION "request names $version, previous is $to"
  version=$to
  printf '%s\n' "$from" > "$kiosk/rolled-back-from.new"
  mv -T "$kiosk/rolled-back-from.new" "$kiosk/rolled-back-from"
  set_link current "$to"
  set_link previous "$from"
  # The release gone back to brings its own units and helper back (verified when it was installed).
  install_root_half "$kiosk/releases/$to"
  sync
  write_outcome 1 "" "rolled back from $from"
  rm -f "$request_file"
  echo "ota-switch: rolled back: current -> releases/$to (from $from)"
  restart_agent
}

[ "$(id -u)" -eq 0 ] || { echo "ota-switch: RELEASE_OTA_SWITCH_USAGE: run as root" >&2; exit 2; }
[ -d "$state" ] && [ ! -L "$state" ] || { echo "ota-switch: RELEASE_OTA_SWITCH_USAGE: no state folder $state (or a symlink)" >&2; exit 2; }
case ${1:-} in
  switch)
    read_request
    if [ "$action" = switch ]; then do_switch; else do_rollback; fi
    ;;
  rollback)
    action=rollback id=on-failure
    do_rollback
    ;;
  *) echo "ota-switch: RELEASE_OTA_SWITCH_USAGE: ota-switch.sh switch|rollback" >&2; exit 2 ;;
esac
