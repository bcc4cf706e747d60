#!/bin/sh
# Boots a real systemd as PID 1 of new PID, mount and cgroup namespaces, walled off from the host
# (test/helpers/real-systemd.ts drives it; docs/ota.md "Under a real systemd"). A naive
# `unshare … systemd --system` boots the machine's default target: it started the host's
# PostgreSQL cluster inside (which removed the host's postmaster.pid), ran systemd-tmpfiles --boot
# on the host's /tmp and left /run/systemd behind. Here nothing is shared that systemd writes:
#   - /run, /tmp and /etc/systemd/system are fresh tmpfs; /etc, /var, /opt and /usr are overlays
#     whose writes land in WORK_DIR/overlay (the host's files are the read-only lower layer);
#   - unit search path = /etc/systemd/system (install.sh's units, the test's) + an allow-list of
#     the host's units copied to WORK_DIR/units; no generators (no fstab, sysv, postgresql units);
#   - PID 1 boots only bianmin-test.target (its sysinit.target wants nothing but journald);
#   - cgroups: the namespace's root is a fresh child cgroup of the caller's in each hierarchy,
#     removed by the teardown; inside, only unified, name=systemd, memory and devices are mounted;
#   - container=bianmin-test, --log-target=journal: PID 1 logs to its own journal (its stderr
#     before journald runs), never to the host's /dev/kmsg.
#   real-systemd-ns.sh outer WORK_DIR CGROUP_NAME   (host side: cgroups, then unshare)
#   real-systemd-ns.sh inner WORK_DIR               (PID 1 of the namespace: mounts, exec systemd)
set -eu
mode=$1 work=$2

if [ "$mode" = outer ]; then
  name=$3
  # A child of the caller's cgroup in every mounted hierarchy, the caller moved into it: the
  # cgroup namespace's root, so nothing systemd creates lands beside the host's cgroups.
  while IFS=: read -r _ controllers own; do
    if [ -z "$controllers" ]; then
      point=$(findmnt -rn -t cgroup2 -o TARGET | head -n 1)
    else
      point=$(findmnt -rn -t cgroup -O "$controllers" -o TARGET | head -n 1)
    fi
    [ -n "$point" ] || continue
    dir="$point${own%/}/$name"
    mkdir -p "$dir"
    echo "$dir" >> "$work/cgroups"
    # v1 cpuset: a new cgroup has no CPUs or memory nodes until given its parent's.
    if [ -f "$dir/cpuset.cpus" ]; then
      cat "$dir/../cpuset.cpus" > "$dir/cpuset.cpus"
      cat "$dir/../cpuset.mems" > "$dir/cpuset.mems"
    fi
    echo $$ > "$dir/cgroup.procs"
  done < /proc/self/cgroup
  exec unshare --pid --fork --mount --cgroup --propagation private --mount-proc \
    sh "$0" inner "$work"
fi

[ "$mode" = inner ] && [ "$$" -eq 1 ] || { echo "real-systemd-ns: inner runs as PID 1" >&2; exit 2; }
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mkdir -p /run/bianmin-test/generators
cp -R "$work/units" /run/bianmin-test/units
# The test's way in for files (its own /tmp is hidden below).
mkdir /run/bianmin-test/host
mount --bind "$work/share" /run/bianmin-test/host
for dir in etc var opt usr; do
  mkdir -p "$work/overlay/$dir/upper" "$work/overlay/$dir/work"
  mount -t overlay overlay \
    -o "lowerdir=/$dir,upperdir=$work/overlay/$dir/upper,workdir=$work/overlay/$dir/work" "/$dir"
done
# The host's enabled units (multi-user.target.wants/postgresql…, timers.target.wants/apt-daily…)
# live here: hidden, so only what install.sh and the test put here is enabled.
mount -t tmpfs -o mode=0755 tmpfs /etc/systemd/system
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
# cgroupfs mounted inside the cgroup namespace is rooted at the namespace's cgroup.
mount -t tmpfs -o mode=0755,nosuid,nodev,noexec tmpfs /sys/fs/cgroup
mkdir /sys/fs/cgroup/unified /sys/fs/cgroup/systemd
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup/unified
mount -t cgroup -o nosuid,nodev,noexec,none,name=systemd cgroup /sys/fs/cgroup/systemd
for controller in memory devices; do
  mkdir "/sys/fs/cgroup/$controller"
  mount -t cgroup -o "nosuid,nodev,noexec,$controller" cgroup "/sys/fs/cgroup/$controller" ||
    rmdir "/sys/fs/cgroup/$controller"
done
# Read-only, as systemd-nspawn leaves it: systemd mounts no other hierarchy (those would be rooted
# outside the namespace's cgroup, or be new hierarchies left behind in the kernel).
mount -o remount,ro tmpfs /sys/fs/cgroup
exec env -i container=bianmin-test PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  SYSTEMD_UNIT_PATH=/etc/systemd/system:/run/bianmin-test/units \
  SYSTEMD_GENERATOR_PATH=/run/bianmin-test/generators \
  SYSTEMD_ENVIRONMENT_GENERATOR_PATH=/run/bianmin-test/generators \
  /lib/systemd/systemd --system --unit=bianmin-test.target --show-status=no --log-target=journal
