// `npm run release -- --arch … --deb`: wraps a finished, signed bundle in a Debian package, for
// kiosks updated through apt (the repository's signature then vouches for the .deb). The package
// puts the bundle at /opt/bianmin/kiosk/releases/<version>/ unchanged (manifest and signature
// included) and the HQ release public key at /etc/bianmin/release-keys/ (a conffile); its postinst
// runs the bundle's own installer on that folder, so the layout, the user, the links and the
// verification are the installer's (deploy/kiosk/install.sh), with the manifest's SHA-256 fixed at
// build time. USB ids for the udev rules come from /etc/bianmin/peripherals.env when present
// (CARD_READER_USB=VID:PID:SERIAL, PIN_PAD_USB=…). Maintainer scripts honour DPKG_ROOT, so
// `dpkg --root DIR --force-script-chrootless` installs into a staging root (the test does).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReleaseArch } from '@bianmin/wire';
import { ReleaseBuildError } from './errors.ts';

const debArch: Record<ReleaseArch, string> = { arm64: 'arm64', x64: 'amd64' };

export interface DebInput {
  readonly bundleDir: string;
  readonly outDir: string;
  readonly version: string;
  readonly arch: ReleaseArch;
  readonly sizeBytes: number;
  readonly keyId: string;
  readonly publicKeyPem: string;
}

function postinst(version: string, manifestSha256: string, keyFile: string): string {
  return `#!/bin/sh
# postinst of bianmin-kiosk ${version}: lay the release out with its own installer (user bianmin in
# dialout, /etc/bianmin, /var/lib/bianmin, udev rules, current/previous links), verifying the
# unpacked files against the signed manifest first.
set -e
[ "$1" = configure ] || exit 0
root="\${DPKG_ROOT:-}"
release="$root/opt/bianmin/kiosk/releases/${version}"
usb=""
if [ -f "$root/etc/bianmin/peripherals.env" ]; then
  CARD_READER_USB="" PIN_PAD_USB=""
  . "$root/etc/bianmin/peripherals.env"
  [ -z "$CARD_READER_USB" ] || usb="$usb --card-reader-usb $CARD_READER_USB"
  [ -z "$PIN_PAD_USB" ] || usb="$usb --pin-pad-usb $PIN_PAD_USB"
fi
destdir=""
[ -z "$root" ] || destdir="--destdir $root"
# shellcheck disable=SC2086
sh "$release/bin/install.sh" "$release" $destdir $usb \\
  --release-key "$root${keyFile}" --expect-manifest-sha256 ${manifestSha256}
`;
}

/** Builds <outDir>/bianmin-kiosk_<version>_<debarch>.deb and returns its path. */
export function buildDeb(input: DebInput): string {
  const name = `bianmin-kiosk_${input.version}_${debArch[input.arch]}`;
  const staging = join(input.outDir, `.${name}.deb-root-${process.pid}`);
  const debPath = join(input.outDir, `${name}.deb`);
  rmSync(staging, { recursive: true, force: true });
  try {
    cpSync(input.bundleDir, join(staging, 'opt/bianmin/kiosk/releases', input.version), { recursive: true });
    const keyFile = `/etc/bianmin/release-keys/hq-release-${input.keyId.slice(0, 16)}.pem`;
    mkdirSync(join(staging, 'etc/bianmin/release-keys'), { recursive: true });
    writeFileSync(join(staging, keyFile), input.publicKeyPem, { mode: 0o644 });
    mkdirSync(join(staging, 'DEBIAN'));
    const manifestSha256 = createHash('sha256')
      .update(readFileSync(join(input.bundleDir, 'manifest.json')))
      .digest('hex');
    writeFileSync(
      join(staging, 'DEBIAN/control'),
      [
        'Package: bianmin-kiosk',
        `Version: ${input.version}`,
        `Architecture: ${debArch[input.arch]}`,
        'Maintainer: bianmin kiosk release team <kiosk-release@bianmin.invalid>',
        'Section: misc',
        'Priority: optional',
        `Installed-Size: ${Math.ceil(input.sizeBytes / 1024)}`,
        'Depends: libc6 (>= 2.28), libstdc++6, passwd',
        'Recommends: udev',
        'Description: China Post convenience-station kiosk agent and CLI',
        ` Release bundle ${input.version} (manifest SHA-256 ${manifestSha256}): the kiosk agent,`,
        ' its CLI, their Node runtime and native addons, verified against the HQ release',
        ' signature at installation.',
        '',
      ].join('\n'),
    );
    writeFileSync(join(staging, 'DEBIAN/conffiles'), `${keyFile}\n`);
    writeFileSync(join(staging, 'DEBIAN/postinst'), postinst(input.version, manifestSha256, keyFile));
    chmodSync(join(staging, 'DEBIAN/postinst'), 0o755);
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', staging, debPath], {
      stdio: 'pipe',
    });
  } catch (error) {
    throw new ReleaseBuildError('RELEASE_DEB_FAILED', `dpkg-deb could not build ${name}.deb`, {
      reason: String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).slice(0, 500),
    });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return debPath;
}
