// Goal (issue 9): in the agent's own flow, a kiosk short of disk space refuses new business with
// AGENT_TX_DISK_LOW before it waits for a card (listed with every other reason, R21), a kiosk
// whose clock HQ's signed acks show a day ahead refuses withdrawals with AGENT_TX_CLOCK_SKEW
// (bill payments go on), telemetry tells HQ both, and the measurement reaches doctor. Method: the
// real SQLite store and a SoftHSM signer, an in-memory link that plays HQ (acks sealed with an HQ
// key at a chosen HQ time), free space and the clock injected.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downTopic, openVerifiedEnvelope, PayloadType } from '@bianmin/wire';
import t from 'tap';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { KioskAgent } from '../../src/agent.js';
import { checkClockDrift } from '../../src/cli/doctor/checks.js';
import type { CardReader } from '../../src/ports/card-reader.js';
import {
  fakeCardReader,
  fakePinPad,
  HqKey,
  ManualClock,
  MemoryLink,
  silentLogger,
  softHsmSigner,
  TEN_AM_MS,
} from './helpers.js';

const STATION = 'ST0002';
const PAN = '6222021234567890128';
const DAY_MS = 24 * 3600 * 1000;
const MIB = 1024 * 1024;
const uk = softHsmSigner('AGENT-HW');
t.teardown(() => uk.close());
const hq = new HqKey();

async function rig(t: import('tap').Test) {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-hw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'kiosk.db');
  const db = new KioskDb({ path });
  const clock = new ManualClock();
  const disk = { freeBytes: 500 * MIB };
  const cards = { waits: 0 };
  const reader = fakeCardReader([PAN, PAN]);
  const cardReader: CardReader = {
    ...reader,
    waitForCard: async (timeoutMs) => {
      cards.waits += 1;
      return reader.waitForCard(timeoutMs);
    },
    readCard: () => reader.readCard(),
  };
  let link: MemoryLink | undefined;
  const agent = await KioskAgent.open({
    stationId: STATION,
    keyId: uk.keyId,
    db,
    signer: uk.signer,
    cardReader,
    pinPad: fakePinPad(),
    clock,
    logger: silentLogger,
    hqPublicKeys: hq.pinned(),
    cardTokenKey: new Uint8Array(32).fill(7),
    tpkKeyId: 'TPK1',
    mqtt: { brokerUrl: 'mqtt://unused' },
    autoDailyClose: false,
    diskFreeBytes: () => disk.freeBytes,
    diskReserveBytes: 64 * MIB,
    clockSkewMsMax: 5 * 60 * 1000,
    makeLink: () => {
      link = new MemoryLink(db);
      return link;
    },
  });
  agent.start();
  t.teardown(async () => {
    await agent.stop();
    db.close();
  });
  link!.deliver(downTopic(STATION, 'config'), hq.config(STATION));
  for (let i = 0; i < 100_000 && agent.status().configVersion === 0; i += 1)
    await new Promise((resolve) => setImmediate(resolve));
  t.equal(agent.status().configVersion, 1, 'HQ config applied');
  return { agent, db, link: link!, clock, disk, cards, path };
}

const bill = (txId: string, amountFen = 5_000) => ({
  txId,
  amountFen,
  billerKind: 'ELECTRICITY' as const,
  billerCode: 'SGCC-ZJ',
  accountNumber: '1234567890',
});

async function telemetryOf(r: Awaited<ReturnType<typeof rig>>) {
  await r.agent.runCommand({ commandId: `tele-${r.link.direct.length}`, sendTelemetry: {} });
  const sent = r.link.direct.at(-1)!;
  const opened = openVerifiedEnvelope(sent.payload, () => uk.publicKeyPem);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_TELEMETRY) throw new Error('not telemetry');
  return opened.body;
}

t.test(
  'AGENT_TX_DISK_LOW: below the reserve, refused before a card, with every other reason (R21)',
  async (t) => {
    const r = await rig(t);
    t.match(await r.agent.payBill(bill('bp-ok')), { ok: true }, 'with room, business as usual');
    r.disk.freeBytes = 10 * MIB;
    const withdrawal = await r.agent.startWithdrawal({ txId: 'wd-1', amountFen: 900_000 });
    t.match(withdrawal, { ok: false });
    t.same(
      withdrawal.ok ? [] : withdrawal.reasons.map((reason) => reason.code),
      ['AGENT_TX_OVER_LIMIT', 'AGENT_TX_DISK_LOW'],
      'both reasons at once',
    );
    t.equal(r.cards.waits, 0, 'the customer was never asked for a card');
    const payment = await r.agent.payBill(bill('bp-2'));
    t.same(payment.ok ? [] : payment.reasons.map((reason) => reason.code), ['AGENT_TX_DISK_LOW']);
    t.equal(r.db.rowsOfTx('bp-2').length, 0, 'nothing journaled for the refusal');
    const telemetry = await telemetryOf(r);
    t.same(telemetry.refusingCodes, ['AGENT_TX_DISK_LOW'], 'telemetry tells HQ');
    t.equal(Number(telemetry.diskReserveBytes), 64 * MIB);
    r.disk.freeBytes = 500 * MIB;
    t.match(await r.agent.payBill(bill('bp-3')), { ok: true }, 'space back: business again, no restart');
  },
);

t.test(
  'AGENT_TX_CLOCK_SKEW: HQ acks show the clock a day ahead: withdrawals refused, bills go on',
  async (t) => {
    const r = await rig(t);
    r.clock.nowMsValue = TEN_AM_MS + DAY_MS; // the battery died and the clock jumped a day ahead
    t.match(await r.agent.payBill(bill('bp-1')), { ok: true });
    const head = r.db.headSeq();
    r.clock.advance(300);
    r.link.deliver(
      downTopic(STATION, 'ack'),
      hq.seal(
        STATION,
        PayloadType.PAYLOAD_TYPE_ACK,
        { handledThroughSeq: head, ackedAtMs: TEN_AM_MS + 100 },
        TEN_AM_MS + 100,
      ),
    );
    t.equal(r.db.ackedThroughSeq(), head, 'the ack itself is applied');
    const withdrawal = await r.agent.startWithdrawal({ txId: 'wd-skew', amountFen: 10_000 });
    t.same(withdrawal.ok ? [] : withdrawal.reasons.map((reason) => reason.code), ['AGENT_TX_CLOCK_SKEW']);
    t.match(
      withdrawal.ok ? '' : withdrawal.reasons[0]!.message,
      /kiosk ahead of HQ by 86399\.\d\.\.86400\.\d s/,
    );
    t.equal(r.cards.waits, 0, 'refused before a card');
    t.match(
      await r.agent.payBill(bill('bp-2')),
      { ok: true },
      'quota payments are not refused for the clock',
    );
    const telemetry = await telemetryOf(r);
    t.same(telemetry.refusingCodes, ['AGENT_TX_CLOCK_SKEW']);
    t.equal(telemetry.clockOffsetKnown, true);
    t.ok(Number(telemetry.clockOffsetMsLow) > DAY_MS - 1_000, `offset low ${telemetry.clockOffsetMsLow}`);
    t.match(
      checkClockDrift(r.path, r.clock.nowMs()),
      { status: 'FAIL', code: 'AGENT_DOCTOR_CLOCK_SKEW' },
      'doctor sees it',
    );
    // The technician sets the clock: the next ack shows it right and withdrawals resume.
    r.clock.nowMsValue = TEN_AM_MS + 10_000;
    t.match(await r.agent.payBill(bill('bp-3')), { ok: true });
    r.clock.advance(200);
    r.link.deliver(
      downTopic(STATION, 'ack'),
      hq.seal(
        STATION,
        PayloadType.PAYLOAD_TYPE_ACK,
        { handledThroughSeq: r.db.headSeq(), ackedAtMs: TEN_AM_MS + 10_100 },
        TEN_AM_MS + 10_100,
      ),
    );
    // It goes on to the card (and waits for HQ's answer, which never comes: stop() settles it).
    const after = r.agent.startWithdrawal({ txId: 'wd-ok', amountFen: 10_000 });
    void after.catch(() => undefined);
    for (let i = 0; i < 100_000 && r.cards.waits === 0; i += 1)
      await new Promise((resolve) => setImmediate(resolve));
    t.equal(r.cards.waits, 1, 'the card was asked for');
  },
);
