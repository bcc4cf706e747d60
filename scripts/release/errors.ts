// The release builder's error codes (scripts/release): every refusal of `npm run release` has a
// stable code, listed in docs/errors/release.md; test/e2e/release-build-errors.test.ts checks the two agree.

export const releaseErrorCodes = {
  RELEASE_USAGE: 'a flag is missing or of the wrong form (--arch arm64|x64, token flags)',
  RELEASE_NOT_BUILT: 'a package to bundle has no compiled dist/ (the TypeScript build failed or was not run)',
  RELEASE_DEPENDENCY_MISSING: 'a production dependency is not installed in node_modules (run npm ci)',
  RELEASE_CROSS_BUILD_FAILED:
    'cross-compiling a native addon for arm64 failed (g++-aarch64-linux-gnu missing?)',
  RELEASE_WRONG_ARCH:
    'a native file in the bundle (an addon or bin/node) is not an ELF object for the target',
  RELEASE_RUNTIME_UNAVAILABLE:
    'the Node runtime for the target could not be fetched (npm pack node-linux-<arch>)',
  RELEASE_SIGNING_FAILED:
    'the release key on the PKCS#11 token could not sign the manifest (token, PIN or key label)',
  RELEASE_FORBIDDEN_FILE: 'a simulator, mock, test file or source map would end up in the bundle',
  RELEASE_DEB_FAILED: 'dpkg-deb could not build the .deb around the bundle (--deb)',
  // The kiosk side: deploy/kiosk/install.sh and verify-bundle.mjs print these (signature problems
  // keep their WIRE_RELEASE_* codes).
  RELEASE_BUNDLE_MISMATCH:
    'a bundle file is missing, extra, resized, not a regular file or has another SHA-256 than the manifest',
  RELEASE_INSTALL_NOT_A_BUNDLE: 'the folder given to install.sh has no manifest.json',
  RELEASE_INSTALL_NOT_ROOT: 'install.sh runs as root (or with --destdir for a staging root)',
  RELEASE_INSTALL_NO_KEY:
    'no trusted release key to verify with (--release-key or /etc/bianmin/release-keys/*.pem), or it cannot be read',
  RELEASE_INSTALL_WRONG_ARCH: 'the bundle is for another architecture than this machine',
  RELEASE_INSTALL_MANIFEST_HASH:
    "first install without --expect-manifest-sha256, or manifest.json's SHA-256 differs from it",
  RELEASE_INSTALL_VERSION_CONFLICT:
    'another build of the same version is already installed (a version is never reused)',
  // The root half of the OTA switch, deploy/kiosk/ota-switch.sh (docs/ota.md): written into the
  // outcome file the agent reads (a staged release that fails verification keeps the verifier's code).
  RELEASE_OTA_SWITCH_USAGE: 'ota-switch.sh: not run as root, no state folder, or not `switch`/`rollback`',
  RELEASE_OTA_SWITCH_NO_REQUEST:
    'ota-switch.sh switch: no request file, or it is not a regular file (a symlink)',
  RELEASE_OTA_SWITCH_BAD_REQUEST:
    'ota-switch.sh: the request is too large, has an unknown line, a bad id or an unknown action',
  RELEASE_OTA_SWITCH_BAD_VERSION:
    'ota-switch.sh: the requested version is not a slot name, or a rollback names another release than previous',
  RELEASE_OTA_SWITCH_PATH_ESCAPE:
    'ota-switch.sh: the staged folder is not <staging>/<version> (a path or a symlink leading out of the staging folder)',
  RELEASE_OTA_SWITCH_NO_VERIFIER:
    'ota-switch.sh: the current release has no bin/node and bin/verify-bundle.mjs',
  RELEASE_OTA_SWITCH_NO_KEY: 'ota-switch.sh: no trusted release key in /etc/bianmin/release-keys/*.pem',
  RELEASE_OTA_SWITCH_VERSION_MISMATCH:
    'ota-switch.sh: the verified manifest names another version or architecture than the request',
  RELEASE_OTA_SWITCH_VERSION_CONFLICT:
    'ota-switch.sh: releases/<version> holds another build of the version (a version is never reused)',
  RELEASE_OTA_SWITCH_NO_PREVIOUS:
    'ota-switch.sh rollback: no previous link, it names no installed release, or it equals current',
  RELEASE_OTA_SWITCH_ROLLBACK_LOOP:
    'ota-switch.sh rollback: previous is the release the last rollback left (no ping-pong between two bad releases)',
  RELEASE_OTA_SWITCH_UNIT_UNKNOWN:
    'ota-switch.sh switch: the verified release brings a systemd/ file that is not one of the shipped units',
} as const;

export type ReleaseErrorCode = keyof typeof releaseErrorCodes;

export class ReleaseBuildError extends Error {
  readonly code: ReleaseErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ReleaseErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    cause?: unknown,
  ) {
    super(`${code}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'ReleaseBuildError';
    this.code = code;
    this.details = details;
  }
}
