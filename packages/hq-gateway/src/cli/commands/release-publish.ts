// `hq release publish BUNDLE_DIR --release-key FILE --releases-dir DIR`: checks a kiosk release
// bundle (npm run release) against the trusted HQ release key — the signature over manifest.json,
// then every file's size and SHA-256 — and records it in the release store for OTA
// (adapters/release/release-store.ts, docs/ota.md). A tampered file, a changed manifest, a bundle
// signed by another key or another bundle under a published version is refused with its code.
import { readFileSync } from 'node:fs';
import { toPublicKey } from '@bianmin/wire';
import type { PublishedRelease } from '../../adapters/release/release-store.js';
import { publishRelease } from '../../adapters/release/release-store.js';
import { HqError } from '../../errors.js';
import { type HqCommand, usageError } from '../command.js';

/** What an HQ person reads (zh-CN, Beijing time); --json gives the record itself. */
function releaseText(record: PublishedRelease): string {
  const beijing = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}（北京时间）`;
  return [
    `发布版本 ${record.version}（linux-${record.arch}）：${record.created ? '已校验并登记' : '此前已登记，本次未写入任何内容'}`,
    `  文件 ${record.fileCount} 个，共 ${(record.sizeBytes / 1e6).toFixed(1)} MB，逐个校验 SHA-256 通过`,
    `  清单 SHA-256：${record.manifestSha256}（首次安装时请核对）`,
    `  签名密钥：${record.keyId}`,
    `  构建时间：${beijing(record.builtAt)}；登记时间：${beijing(record.publishedAt)}；登记人：${record.publishedBy}`,
    '',
  ].join('\n');
}

export const releasePublishCommand: HqCommand = {
  name: 'release publish',
  summary: 'verify a kiosk release bundle (signature and every file hash) and record it for OTA',
  usage: 'hq release publish BUNDLE_DIR --release-key FILE --releases-dir DIR',
  flags: {
    'release-key': {
      type: 'string',
      valueName: 'FILE',
      description: 'PEM public key of the HQ release key (default: $HQ_RELEASE_KEY_FILE)',
    },
    'releases-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'the release store (default: $HQ_RELEASES_DIR)',
    },
  },
  positionals: 1,
  async run(parsed) {
    const keyFile = (parsed.values['release-key'] as string | undefined) ?? process.env.HQ_RELEASE_KEY_FILE;
    const releasesDir = (parsed.values['releases-dir'] as string | undefined) ?? process.env.HQ_RELEASES_DIR;
    const missing = [
      ...(keyFile === undefined
        ? [
            {
              code: 'HQ_CLI_USAGE' as const,
              field: '--release-key',
              message: '--release-key FILE (or HQ_RELEASE_KEY_FILE) is required',
            },
          ]
        : []),
      ...(releasesDir === undefined
        ? [
            {
              code: 'HQ_CLI_USAGE' as const,
              field: '--releases-dir',
              message: '--releases-dir DIR (or HQ_RELEASES_DIR) is required',
            },
          ]
        : []),
    ];
    if (missing.length > 0) throw usageError(missing);
    let keyPem: string;
    try {
      keyPem = readFileSync(keyFile!, 'utf8');
      toPublicKey(keyPem); // a P-256 public key, or refused here rather than as an internal error later
    } catch (cause) {
      throw new HqError('HQ_FILE_UNREADABLE', `${keyFile}: not a readable P-256 public key (PEM)`, { cause });
    }
    const record = publishRelease({
      bundleDir: parsed.positionals[0]!,
      trustedKeys: [keyPem],
      releasesDir: releasesDir!,
      nowMs: Date.now(),
    });
    const text = releaseText(record);
    return { data: record, text };
  },
};
