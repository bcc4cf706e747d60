// Goal (issue 13, the memory floor): near its memory budget the agent refuses NEW business with
// AGENT_TX_MEMORY_PRESSURE (before a card is asked for, listed with every other reason, R21),
// journals nothing for the refusal and keeps what it journaled, tells HQ in telemetry, and takes
// business again only below the low-water mark (hysteresis); so systemd's MemoryMax never has to
// kill it mid-transaction. Method: the pure rule as a table, then the real agent on SQLite and a
// SoftHSM signer with an in-memory link playing HQ and its memory sample injected.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downTopic, openVerifiedEnvelope, PayloadType } from '@bianmin/wire';
import t from 'tap';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { KioskAgent } from '../../src/agent.js';
import { type MemorySample, underMemoryPressure } from '../../src/domain/health/memory-pressure.js';
import { readinessReasons } from '../../src/domain/health/readiness.js';
import { memoryRssBytesHigh, memoryRssBytesLow } from '../../src/limits.js';
import type { CardReader } from '../../src/ports/card-reader.js';
import {
  fakeCardReader,
  fakePinPad,
  HqKey,
  ManualClock,
  MemoryLink,
  silentLogger,
  softHsmSigner,
} from './helpers.js';

const MIB = 1024 * 1024;
const budget = { rssBytesHigh: 116 * MIB, rssBytesLow: 104 * MIB, heapPercentHigh: 90, heapPercentLow: 75 };
const sample = (rssMib: number, heapMib = 20, limitMib = 51): MemorySample => ({
  rssBytes: rssMib * MIB,
  heapUsedBytes: heapMib * MIB,
  heapLimitBytes: limitMib * MIB,
});

t.test('the rule: high marks enter, only both low marks leave', async (t) => {
  const cases: [string, MemorySample, boolean, boolean][] = [
    ['well under', sample(90), false, false],
    ['RSS at the high mark', sample(116), false, true],
    ['heap at 90% of its limit', sample(90, 46), false, true],
    ['between the marks, was fine: stays fine', sample(110), false, false],
    ['between the marks, was under pressure: stays', sample(110), true, true],
    ['RSS low but heap still above its low mark: stays', sample(100, 40), true, true],
    ['both below their low marks: leaves', sample(100, 30), true, false],
  ];
  for (const [name, s, was, expected] of cases) t.equal(underMemoryPressure(s, budget, was), expected, name);
  t.throws(
    () => underMemoryPressure(sample(1), { ...budget, rssBytesLow: budget.rssBytesHigh }, false),
    /rssBytesLow/,
  );
  t.ok(memoryRssBytesLow < memoryRssBytesHigh, 'the shipped marks are ordered');
  const reasons = readinessReasons(
    {
      diskFreeBytes: 0,
      diskReserveBytes: 1,
      storeWriteFault: null,
      clock: { kind: 'unmeasured' } as never,
      clockSkewMsMax: 1,
      memoryPressure: 'RSS 120 MiB',
    },
    'quota-payment',
  );
  t.same(
    reasons.map((r) => r.code),
    ['AGENT_TX_DISK_LOW', 'AGENT_TX_MEMORY_PRESSURE'],
    'disk, then memory: every reason at once (R21)',
  );
});

const STATION = 'ST0013';
const PAN = '6222021234567890128';
const uk = softHsmSigner('AGENT-MEM');
t.teardown(() => uk.close());
const hq = new HqKey();

const bill = (txId: string) => ({
  txId,
  amountFen: 5_000,
  billerKind: 'ELECTRICITY' as const,
  billerCode: 'SGCC-ZJ',
  accountNumber: '1234567890',
});

t.test('the agent under memory pressure refuses new business and keeps its journal', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-mem-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = new KioskDb({ path: join(dir, 'kiosk.db') });
  const memory = { now: sample(90) };
  const cards = { waits: 0 };
  const reader = fakeCardReader([PAN]);
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
    clock: new ManualClock(),
    logger: silentLogger,
    hqPublicKeys: hq.pinned(),
    cardTokenKey: new Uint8Array(32).fill(7),
    tpkKeyId: 'TPK1',
    mqtt: { brokerUrl: 'mqtt://unused' },
    autoDailyClose: false,
    memorySample: () => memory.now,
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

  t.match(await agent.payBill(bill('bp-1')), { ok: true }, 'under budget: business as usual');
  const headBefore = db.headSeq();
  memory.now = sample(120);
  const payment = await agent.payBill(bill('bp-2'));
  t.same(payment.ok ? [] : payment.reasons.map((r) => r.code), ['AGENT_TX_MEMORY_PRESSURE']);
  t.match(payment.ok ? '' : payment.reasons[0]!.message, /RSS 120\.0 MiB \(high 116\.0\)/);
  t.equal(db.rowsOfTx('bp-2').length, 0, 'nothing journaled for the refusal');
  const withdrawal = await agent.startWithdrawal({ txId: 'wd-1', amountFen: 900_000 });
  t.same(
    withdrawal.ok ? [] : withdrawal.reasons.map((r) => r.code),
    ['AGENT_TX_OVER_LIMIT', 'AGENT_TX_MEMORY_PRESSURE'],
    'every reason at once (R21)',
  );
  t.equal(cards.waits, 0, 'the customer was never asked for a card');
  t.equal(db.headSeq(), headBefore, 'the journal is kept as it was');
  t.equal(db.rowsOfTx('bp-1').length > 0, true, 'the earlier payment is still journaled');

  await agent.runCommand({ commandId: 'tele-1', sendTelemetry: {} });
  const opened = openVerifiedEnvelope(link!.direct.at(-1)!.payload, () => uk.publicKeyPem);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_TELEMETRY) throw new Error('not telemetry');
  t.same(opened.body.refusingCodes, ['AGENT_TX_MEMORY_PRESSURE'], 'telemetry tells HQ');

  memory.now = sample(110);
  const between = await agent.payBill(bill('bp-3'));
  t.same(between.ok ? [] : between.reasons.map((r) => r.code), ['AGENT_TX_MEMORY_PRESSURE'], 'hysteresis');
  memory.now = sample(95);
  t.match(await agent.payBill(bill('bp-4')), { ok: true }, 'below the low mark: business again, no restart');
});
