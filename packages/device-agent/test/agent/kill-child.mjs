// Child process for the SIGKILL test (plain JS over the built dist/, so 50 restarts stay fast):
// one kiosk agent with scripted peripherals, the real SQLite journal, a SoftHSM signer (token
// made by the parent), the real Mosquitto link and the operator API on a Unix socket. Prints
// READY once the API listens. Argument: one JSON object. Build first: npx tsc -b packages/device-agent.
// args.killAt = { site, nth } arms a kill point: the process SIGKILLs itself at the nth journal
// write (site 'append-before': before it commits; 'append-after': right after) or at the nth UK key
// signature (site 'sign': the token signed, the caller never sees it). The parent draws the point
// from its seeded PRNG, so a seed replays where every kill lands (no wall-clock delay decides it).
import { randomBytes } from 'node:crypto';
import {
  KioskAgent,
  KioskDb,
  OperatorApi,
  Pan,
  PinBlock,
  Pkcs11Signer,
  systemClock,
} from '@bianmin/device-agent';
import { pino } from 'pino';

const args = JSON.parse(process.argv[2] ?? '{}');
const logger = pino({ level: 'silent' });
const noop = () => undefined;
const identity = async () => ({ model: 'script', serialNumber: '1', firmwareVersion: '1' });
const cardReader = {
  start: noop,
  stop: async () => undefined,
  linkState: { kind: 'open' },
  whenOpen: async () => undefined,
  identify: identity,
  heartbeat: async () => undefined,
  waitForCard: async () => undefined,
  readCard: async () => ({ pan: Pan.parse('6222021234567890128'), expiryYymm: '2912', serviceCode: '220' }),
  eject: async () => undefined,
  subscribe: () => noop,
};
const pinPad = {
  start: noop,
  stop: async () => undefined,
  linkState: { kind: 'open' },
  whenOpen: async () => undefined,
  identify: identity,
  heartbeat: async () => undefined,
  display: async () => undefined,
  loadTmkComponent: async () => ({ componentKcv: '000000' }),
  loadTpk: async () => ({ kcv: '000000' }),
  startPinEntry: async () => PinBlock.fromBytes(randomBytes(16)),
  cancelPinEntry: async () => undefined,
  subscribe: () => noop,
};
const signer = new Pkcs11Signer({
  modulePath: '/usr/lib/softhsm/libsofthsm2.so',
  token: { label: args.tokenLabel },
  keyLabel: 'kiosk-signing',
  pin: { file: args.pinFile },
  logger,
  probe: { enabled: false },
});
signer.open();
const db = new KioskDb({ path: args.dbPath });
armKillPoint(args.killAt);

/** Wraps the journal's append or the signer's signDigest to die at the nth call (see header). */
function armKillPoint(killAt) {
  if (killAt === undefined) return;
  let calls = 0;
  const die = () => process.kill(process.pid, 'SIGKILL');
  if (killAt.site === 'sign') {
    const signDigest = signer.signDigest.bind(signer);
    signer.signDigest = async (digest) => {
      const signature = await signDigest(digest);
      calls += 1;
      if (calls === killAt.nth) die();
      return signature;
    };
    return;
  }
  const append = db.append.bind(db);
  db.append = (entry) => {
    calls += 1;
    if (calls === killAt.nth && killAt.site === 'append-before') die();
    const row = append(entry);
    if (calls === killAt.nth && killAt.site === 'append-after') die();
    return row;
  };
}
const agent = await KioskAgent.open({
  stationId: args.stationId,
  keyId: args.keyId,
  db,
  signer,
  cardReader,
  pinPad,
  clock: systemClock,
  logger,
  hqPublicKeys: [{ keyId: args.hqKeyId, publicKey: args.hqPublicKeyPem }],
  cardTokenKey: new Uint8Array(32).fill(9),
  tpkKeyId: 'TPK1',
  mqtt: {
    brokerUrl: args.brokerUrl,
    username: args.stationId,
    password: args.mqttPassword,
    backoffMsInitial: 50,
    backoffMsMax: 300,
  },
  autoDailyClose: false,
});
const api = new OperatorApi({
  listen: { kind: 'unix', socketPath: args.socketPath },
  token: args.operatorToken,
  operator: agent,
  logger,
});
await api.listen();
agent.start();
process.stdout.write('READY\n');
process.once('SIGTERM', () => {
  void api
    .close()
    .then(() => agent.stop())
    .then(() => {
      db.close();
      process.exit(0);
    });
});
