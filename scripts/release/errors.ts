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
