// One kiosk agent on a real SQLite journal and a SoftHSM key, an in-memory link to play HQ, and a
// manual clock: the rig of the agent tests written after the split (agent.test.ts keeps its own).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downTopic, openVerifiedEnvelope, PayloadType } from '@bianmin/wire';
import type { Logger } from 'pino';
import type { Test } from 'tap';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { KioskAgent } from '../../src/agent.js';
import type { OtaWiring } from '../../src/app/ota-link.js';
import {
  fakeCardReader,
  fakePinPad,
  HqKey,
  ManualClock,
  MemoryLink,
  silentLogger,
  softHsmSigner,
  TEN_AM_MS,
  type TestSigner,
} from './helpers.js';

export const STATION = 'ST0001';
export const PAN = '6222021234567890128';

export interface Rig {
  readonly agent: KioskAgent;
  readonly db: KioskDb;
  readonly link: MemoryLink;
  readonly clock: ManualClock;
  readonly path: string;
}

export interface RigSet {
  readonly uk: TestSigner;
  readonly hq: HqKey;
  open(
    t: Test,
    options?: {
      path?: string;
      clock?: ManualClock;
      logger?: Logger;
      pans?: string[];
      calendarDir?: string;
      autoDailyClose?: boolean;
      /** Issue 13: the OTA runner's ports (test/ota/ota-fixture.ts wiringFor). */
      ota?: OtaWiring;
    },
  ): Promise<Rig>;
}

/** A SoftHSM key and an HQ key for one test file, and a way to open agents with them. */
export function rigSet(t: Test, tokenLabel: string): RigSet {
  const uk = softHsmSigner(tokenLabel);
  t.teardown(() => uk.close());
  const hq = new HqKey();
  return {
    uk,
    hq,
    async open(t, options = {}) {
      let path = options.path;
      if (path === undefined) {
        const dir = mkdtempSync(join(tmpdir(), 'kiosk-agent-'));
        t.teardown(() => rmSync(dir, { recursive: true, force: true }));
        path = join(dir, 'kiosk.db');
      }
      const db = new KioskDb({ path });
      const clock = options.clock ?? new ManualClock();
      let link: MemoryLink | undefined;
      const agent = await KioskAgent.open({
        stationId: STATION,
        keyId: uk.keyId,
        db,
        signer: uk.signer,
        cardReader: fakeCardReader(options.pans ?? [PAN, PAN, PAN, PAN, PAN, PAN]),
        pinPad: fakePinPad(),
        clock,
        logger: options.logger ?? silentLogger,
        hqPublicKeys: hq.pinned(),
        cardTokenKey: new Uint8Array(32).fill(7),
        tpkKeyId: 'TPK1',
        mqtt: { brokerUrl: 'mqtt://unused' },
        autoDailyClose: options.autoDailyClose ?? false,
        ...(options.calendarDir === undefined ? {} : { calendarDir: options.calendarDir }),
        ...(options.ota === undefined ? {} : { ota: options.ota }),
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
      return { agent, db, link: link!, clock, path };
    },
  };
}

export async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200_000 && !check(); i += 1) await new Promise((resolve) => setImmediate(resolve));
  if (!check()) throw new Error('condition never became true');
}

/** The authorisation request the agent sent last, opened. */
export function lastAuthRequest(r: Rig, uk: TestSigner) {
  const sent = r.link.direct.at(-1)!;
  const opened = openVerifiedEnvelope(sent.payload, () => uk.publicKeyPem);
  if (opened.type !== PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST) throw new Error('not an auth request');
  return opened.body;
}

/** Approves the pending authorisation request with the fee it asked for. */
export function approve(r: Rig, set: RigSet): void {
  const request = lastAuthRequest(r, set.uk);
  r.link.deliver(
    downTopic(STATION, 'auth-resp'),
    set.hq.seal(STATION, PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE, {
      requestId: request.requestId,
      transactionId: request.transactionId,
      decision: 1,
      declineReason: 0,
      bankResponseCode: '00',
      bankReference: 'BANK-1',
      amountFen: Number(request.amountFen),
      feeFen: Number(request.feeFen),
      respondedAtMs: TEN_AM_MS,
    }),
  );
}

/** A withdrawal approved by HQ and posted (cash confirmed). */
export async function withdraw(r: Rig, set: RigSet, amountFen: number, txId: string): Promise<void> {
  const sentBefore = r.link.direct.length;
  const pending = r.agent.startWithdrawal({ amountFen, txId });
  await waitFor(() => r.link.direct.length > sentBefore);
  approve(r, set);
  const started = await pending;
  if (!started.ok || started.withdrawal.phase !== 'authorised')
    throw new Error(`withdrawal ${txId} not authorised`);
  const posted = await r.agent.confirmCash(txId);
  if (!posted.ok) throw new Error(`withdrawal ${txId} not posted`);
}

/** Every signed DailyClose in the outbox, opened. */
export function closesSent(r: Rig, uk: TestSigner) {
  return r.db
    .read(1, r.db.headSeq())
    .filter((row) => row.payloadType === 'PAYLOAD_TYPE_DAILY_CLOSE')
    .map((row) => {
      const opened = openVerifiedEnvelope(row.envelopeBytes, () => uk.publicKeyPem);
      if (opened.type !== PayloadType.PAYLOAD_TYPE_DAILY_CLOSE) throw new Error('not a close');
      return opened.body;
    });
}
