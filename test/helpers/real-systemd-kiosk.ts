// Test helper: a kiosk installed by the release's own install.sh inside a real systemd
// (test/helpers/real-systemd.ts), with everything the agent needs before it sends READY=1 running on
// the host: a real Mosquitto (TLS, per-station ACLs), a fake HQ that publishes the signed config
// and counts births, the UK key on a SoftHSM token, and the card-reader and PIN-pad simulators on
// socat PTYs. The x64 release bundle is built by `npm run release` with a release key in its own
// SoftHSM token (as test/e2e/release-install.test.ts does). The shipped units are used as
// install.sh lays them out; the only change is one drop-in, `test-world.conf`, for what differs
// from a kiosk's hardware (see kioskTestDropIn).
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { PtyPair } from '../../packages/device-agent/src/sim/pty-pair.js';
import { FakeHq } from '../../packages/device-agent/test/agent/fake-hq.js';
import { ALWAYS_OPEN, HqKey, softHsmSigner } from '../../packages/device-agent/test/agent/helpers.js';
import { SimChild } from '../../packages/device-agent/test/serial/helpers/sim-child.js';
import { writeManifest } from '../../scripts/release/manifest-writer.ts';
import { signManifest } from '../../scripts/release/sign.ts';
import { startMosquitto } from './mosquitto.js';
import { nsShare, type RealSystemd } from './real-systemd.js';
import { type ReleaseToken, runReleaseBuild, softhsmModuleX64, startReleaseToken } from './release-token.js';

export const kioskUnit = 'bianmin-kiosk.service';
export const stationId = 'ST1301';
/** The group of serial devices on Debian (install.sh puts bianmin in it); fixed gid 20. */
const dialoutGid = 20;

/**
 * The one test drop-in on the shipped kiosk unit, for what differs from a kiosk's hardware.
 * Nothing in the hardening is switched off.
 */
export const kioskTestDropIn = `[Service]
# The simulators are PTYs (/dev/pts/N, device class char-pts); a kiosk's card reader and PIN pad
# are USB serial (char-ttyUSB / char-ttyACM), which the unit's DevicePolicy=closed already allows.
DeviceAllow=char-pts rw
# The UK key is a SoftHSM token here, found through its config file (a kiosk has a USB token).
Environment=SOFTHSM2_CONF=/etc/bianmin/softhsm2.conf
`;

const secretFiles = 'uk-pin operator-token card-token-key mqtt-password mqtt-key.pem';

export interface KioskWorld {
  readonly systemd: RealSystemd;
  readonly fakeHq: FakeHq;
  /** HQ's signing key (configs, commands), pinned by the kiosk. */
  readonly hq: HqKey;
  readonly releaseToken: ReleaseToken;
  /** The built bundle, on the host and as the namespace sees it. */
  readonly bundleHost: string;
  readonly bundleInside: string;
  readonly version: string;
  /** Stops or starts the card-reader simulator (the agent is not READY without it). */
  readonly cardReader: { stop(): Promise<void>; start(): Promise<void> };
}

/** A further release made from the built bundle: copied, changed by `edit`, re-signed as `version`. */
export interface ExtraRelease {
  /** The folder name under the share (the agent's slot name, e.g. 0.2.0-linux-x64). */
  readonly slot: string;
  readonly version: string;
  readonly edit: (copy: string) => void;
}

/**
 * Builds and installs the release in `systemd`, makes `extraReleases` (in the share, folder = slot)
 * and starts the kiosk's world; everything is torn down by `t`. The extra releases are signed
 * before the UK token is opened: SoftHSM reads SOFTHSM2_CONF once per process, so after that
 * this process could no longer reach the release token.
 */
export async function startKioskWorld(
  t: Test,
  systemd: RealSystemd,
  extraReleases: readonly ExtraRelease[] = [],
  /** More top-level blocks of kiosk.json (e.g. `ota`). */
  kioskConfig: Readonly<Record<string, unknown>> = {},
): Promise<KioskWorld> {
  const releaseToken = startReleaseToken('SYSTEMD-RELEASE');
  t.teardown(() => releaseToken.close());
  const build = runReleaseBuild(releaseToken, ['--arch', 'x64', '--out', join(systemd.share, 'out')]);
  if (build.status !== 0) throw new Error(`release build failed: ${build.stderr.slice(-3000)}`);
  const bundleHost = String(build.result?.bundleDir);
  const bundleInside = bundleHost.replace(systemd.share, nsShare);
  const version = String(build.result?.version);
  for (const extra of extraReleases)
    await resignedBundle(
      releaseToken,
      bundleHost,
      join(systemd.share, extra.slot),
      extra.version,
      extra.edit,
    );

  const broker = await startMosquitto({ stationIds: [stationId] });
  t.teardown(() => broker.close());
  const uk = softHsmSigner('SYSTEMD-UK');
  t.teardown(() => uk.close());
  const hq = new HqKey();
  const fakeHq = new FakeHq(
    broker.tlsUrl,
    broker.password('hq'),
    hq,
    uk.publicKeyPem,
    broker.tlsOptions('hq'),
  );
  await fakeHq.start();
  t.teardown(() => fakeHq.stop());
  await fakeHq.publishConfig(stationId, hq.config(stationId, { serviceHours: ALWAYS_OPEN }));
  const readerPty = await PtyPair.start();
  t.teardown(() => readerPty.close());
  const padPty = await PtyPair.start();
  t.teardown(() => padPty.close());
  const simDir = join(systemd.share, 'sims');
  mkdirSync(simDir);
  const startReader = () =>
    SimChild.start('card-reader', readerPty.devicePath, { cards: [{ pan: '6222021234567890128' }] }, simDir);
  let reader: SimChild | null = await startReader();
  t.teardown(() => reader?.stop());
  const pad = await SimChild.start(
    'pin-pad',
    padPty.devicePath,
    { defaultPin: '1234', keys: { tpk: '0123456789ABCDEFFEDCBA9876543210' } },
    simDir,
  );
  t.teardown(() => pad.stop());
  // The agent (user bianmin, group dialout) opens the PTYs as it would /dev/ttyUSB0: 0660 dialout.
  const ttyOf = (pair: PtyPair) => {
    const tty = realpathSync(pair.hostPath);
    chownSync(tty, 0, dialoutGid);
    chmodSync(tty, 0o660);
    return tty;
  };

  // The kiosk's files, laid out by a technician after install.sh (docs/operations.md).
  const etc = join(systemd.share, 'etc-bianmin');
  mkdirSync(etc);
  const put = (name: string, text: string) => writeFileSync(join(etc, name), text);
  put('card-token-key', `${randomBytes(32).toString('hex')}\n`);
  put('operator-token', `${randomBytes(16).toString('hex')}\n`);
  put('mqtt-password', `${broker.password(stationId)}\n`);
  put('hq.pem', `${hq.pinned()[0]?.publicKey}\n`);
  put('broker-ca.pem', readFileSync(broker.ca.caFile, 'utf8'));
  put('mqtt-cert.pem', readFileSync(broker.clientCert(stationId).certFile, 'utf8'));
  put('mqtt-key.pem', readFileSync(broker.clientCert(stationId).keyFile, 'utf8'));
  put(
    'softhsm2.conf',
    [
      'directories.tokendir = /var/lib/bianmin/softhsm/tokens',
      'objectstore.backend = file',
      'log.level = ERROR',
      'slots.removable = false',
      'slots.mechanisms = ALL',
      '',
    ].join('\n'),
  );
  const tokenDir = /directories\.tokendir\s*=\s*(\S+)/.exec(
    readFileSync(String(uk.env.SOFTHSM2_CONF), 'utf8'),
  )?.[1];
  cpSync(String(tokenDir), join(systemd.share, 'tokens'), { recursive: true });
  const device = (path: string) => ({ path, baudRate: 115_200, commandTimeoutMs: 20_000 });
  put(
    'kiosk.json',
    JSON.stringify({
      station: { id: stationId, orgCode: 'ORG130', cardTokenKeyFile: '/etc/bianmin/card-token-key' },
      serial: {
        cardReader: device(ttyOf(readerPty)),
        pinPad: { ...device(ttyOf(padPty)), tpkKeyId: 'TPK1' },
      },
      token: {
        modulePath: softhsmModuleX64,
        label: uk.tokenLabel,
        keyLabel: 'kiosk-signing',
        userPin: { file: '/etc/bianmin/uk-pin' },
      },
      mqtt: {
        url: broker.tlsUrl,
        passwordFile: '/etc/bianmin/mqtt-password',
        tls: {
          caPath: '/etc/bianmin/broker-ca.pem',
          certPath: '/etc/bianmin/mqtt-cert.pem',
          keyPath: '/etc/bianmin/mqtt-key.pem',
          serverName: 'localhost',
        },
      },
      journal: { path: '/var/lib/bianmin/journal/kiosk.db' },
      operatorApi: { socketPath: '/run/bianmin/operator.sock', tokenFile: '/etc/bianmin/operator-token' },
      hq: { configPublicKeyPath: '/etc/bianmin/hq.pem' },
      log: { level: 'info' },
      ...kioskConfig,
    }),
  );
  put('uk-pin', readFileSync(uk.pinFile, 'utf8'));

  // install.sh as on a kiosk: root, no --destdir; it reloads systemd and starts the path unit.
  const manifestSha = inside(systemd, 'sha256sum', [`${bundleInside}/manifest.json`]).split(' ')[0] ?? '';
  writeFileSync(join(systemd.share, 'release.pem'), releaseToken.publicKeyPem);
  inside(systemd, 'sh', [
    `${bundleInside}/bin/install.sh`,
    bundleInside,
    '--release-key',
    `${nsShare}/release.pem`,
    '--expect-manifest-sha256',
    manifestSha,
  ]);
  inside(systemd, 'sh', [
    '-c',
    [
      'set -e',
      `cp ${nsShare}/etc-bianmin/* /etc/bianmin/`,
      // Files only: release-keys/ stays the 0755 folder install.sh made (the agent reads its key).
      'find /etc/bianmin -maxdepth 1 -type f -exec chown root:bianmin {} + -exec chmod 0640 {} +',
      // Secrets: 0600 and the agent's own, or it refuses to start (AGENT_SECRET_FILE_EXPOSED).
      `cd /etc/bianmin && chown bianmin:bianmin ${secretFiles} && chmod 0600 ${secretFiles}`,
      `cp ${nsShare}/release.pem /etc/bianmin/release-keys/release-2026.pem`,
      'chmod 0644 /etc/bianmin/release-keys/release-2026.pem',
      'mkdir -p /var/lib/bianmin/softhsm',
      `cp -R ${nsShare}/tokens /var/lib/bianmin/softhsm/tokens`,
      'chown -R bianmin:bianmin /var/lib/bianmin/softhsm',
    ].join('\n'),
  ]);
  systemd.writeFile(`/etc/systemd/system/${kioskUnit}.d/test-world.conf`, kioskTestDropIn);
  inside(systemd, 'systemctl', ['daemon-reload']);
  return {
    systemd,
    fakeHq,
    hq,
    releaseToken,
    bundleHost,
    bundleInside,
    version,
    cardReader: {
      stop: async () => {
        await reader?.stop();
        reader = null;
      },
      start: async () => {
        reader ??= await startReader();
      },
    },
  };
}

/** A command in the namespace that must succeed; its stdout. */
export function inside(systemd: RealSystemd, command: string, args: readonly string[]): string {
  const run = systemd.run(command, args);
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')}: exit ${run.status}\n${run.stderr}`);
  return run.stdout;
}

/**
 * A copy of the bundle folder `from` (host path) at `to`, changed by `edit`, with its manifest
 * rewritten for `version` and signed by the release key: what HQ would publish.
 */
async function resignedBundle(
  releaseToken: ReleaseToken,
  from: string,
  to: string,
  version: string,
  edit: (copy: string) => void,
): Promise<void> {
  cpSync(from, to, { recursive: true });
  edit(to);
  const manifest = writeManifest(to, {
    version,
    arch: 'x64',
    nodeVersion: process.versions.node,
    builtAtMs: Date.now(),
  });
  const conf = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = String(releaseToken.env.SOFTHSM2_CONF);
  try {
    const { signatureFile } = await signManifest(manifest.bytes, {
      modulePath: softhsmModuleX64,
      tokenLabel: releaseToken.tokenLabel,
      keyLabel: 'hq-release',
      pinFile: releaseToken.pinFile,
    });
    writeFileSync(join(to, 'manifest.sig'), signatureFile);
  } finally {
    if (conf === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = conf;
  }
}
