// Test doubles for the transaction core: a node:crypto signer (unit tests only; integration uses
// SoftHSM), a scripted card reader and PIN pad, a manual clock, an in-memory link, and an HQ key
// that seals configs, acks and authorisation answers with @bianmin/wire.
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { fingerprint, type PayloadInput, PayloadType, publicKeySpkiDer, sealEnvelope } from '@bianmin/wire';
import { pino } from 'pino';
import { Pkcs11Signer } from '../../src/adapters/pkcs11/pkcs11-signer.js';
import { ensureSigningKey } from '../../src/adapters/pkcs11/provision-key.js';
import { Pan } from '../../src/domain/pin/pan.js';
import { PinBlock } from '../../src/domain/pin/secret.js';
import type { CardReader } from '../../src/ports/card-reader.js';
import type { ClockPort, TimerHandle } from '../../src/ports/clock.js';
import type { PinPad } from '../../src/ports/pin-pad.js';
import type { DownMessage, LinkState, PublisherPort } from '../../src/ports/publisher.js';
import type { Signer } from '../../src/ports/signer.js';
import { softhsmModulePath, startSoftHsm } from '../helpers/softhsm.js';

export const silentLogger = pino({ level: 'silent' });

/** A logger that keeps every line; `codes` lists each line's error code; `waitForCode` resolves on one. */
export function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const waiters: { code: string; resolve: () => void }[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(text: string) {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (line.code !== waiter.code) continue;
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      },
    },
  );
  return {
    logger,
    lines,
    codes: () => lines.map((line) => line.code).filter((code): code is string => typeof code === 'string'),
    waitForCode(code: string): Promise<void> {
      if (lines.some((line) => line.code === code)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ code, resolve }));
    },
  };
}

/** 2026-11-28 10:00 Asia/Shanghai. */
export const TEN_AM_MS = Date.UTC(2026, 10, 28, 2, 0, 0);

export interface TestSigner {
  readonly signer: Signer;
  readonly keyId: string;
  readonly publicKeyPem: string;
  /** For a child process that opens the same token. */
  readonly tokenLabel: string;
  readonly pinFile: string;
  readonly env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** A real PKCS#11 signer on a fresh SoftHSM token (the key is generated on the token). */
/** Service hours open all day, for tests that run on the wall clock. */
export const ALWAYS_OPEN = {
  timeZone: 'Asia/Shanghai',
  opensAtMinute: 0,
  closesAtMinute: 1440,
  maintenanceWindows: [],
};

export function softHsmSigner(label = 'AGENT-T'): TestSigner {
  const hsm = startSoftHsm({ label });
  const base = {
    modulePath: softhsmModulePath,
    token: { label: hsm.label },
    keyLabel: 'kiosk-signing',
    pin: { file: hsm.pinFile },
  };
  const ensured = ensureSigningKey(base);
  const signer = new Pkcs11Signer({ ...base, logger: silentLogger, probe: { enabled: false } });
  if (signer.open().kind !== 'ready') throw new Error('SoftHSM signer not ready');
  return {
    signer,
    keyId: ensured.publicKey.fingerprintSha256Hex,
    publicKeyPem: ensured.publicKey.pem,
    tokenLabel: hsm.label,
    pinFile: hsm.pinFile,
    env: hsm.env,
    async close() {
      await signer.close();
      hsm.close();
    },
  };
}

export class ManualClock implements ClockPort {
  nowMsValue: number;
  #timers: { atMs: number; callback: () => void; cancelled: boolean }[] = [];
  constructor(startMs = TEN_AM_MS) {
    this.nowMsValue = startMs;
  }
  nowMs(): number {
    return this.nowMsValue;
  }
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer = { atMs: this.nowMsValue + delayMs, callback, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
  random01(): number {
    return 0.5;
  }
  /** Moves time forward and fires due timers in order. */
  advance(ms: number): void {
    this.nowMsValue += ms;
    const due = this.#timers
      .filter((t) => !t.cancelled && t.atMs <= this.nowMsValue)
      .sort((a, b) => a.atMs - b.atMs);
    this.#timers = this.#timers.filter((t) => !due.includes(t));
    for (const t of due) t.callback();
  }
}

/** Card reader that hands out the scripted PANs in order. */
export function fakeCardReader(pans: string[]): CardReader {
  return {
    start() {},
    async stop() {},
    linkState: { kind: 'open' } as unknown as CardReader['linkState'],
    async whenOpen() {},
    async identify() {
      return { model: 'fake', serialNumber: '1', firmwareVersion: '1' };
    },
    async heartbeat() {},
    async waitForCard() {},
    async readCard() {
      const text = pans.shift();
      if (text === undefined) throw new Error('no more cards');
      const pan = Pan.parse(text);
      if (pan === undefined) throw new Error('bad test PAN');
      return { pan, expiryYymm: '2912', serviceCode: '220' };
    },
    async eject() {},
    subscribe() {
      return () => undefined;
    },
  };
}

export function fakePinPad(onEntry?: () => void): PinPad {
  return {
    start() {},
    async stop() {},
    linkState: { kind: 'open' } as unknown as PinPad['linkState'],
    async whenOpen() {},
    async identify() {
      return { model: 'fake', serialNumber: '1', firmwareVersion: '1' };
    },
    async heartbeat() {},
    async display() {},
    async loadTmkComponent() {
      return { componentKcv: '000000' };
    },
    async loadTpk() {
      return { kcv: '000000' };
    },
    async startPinEntry() {
      onEntry?.();
      return PinBlock.fromBytes(randomBytes(16));
    },
    async cancelPinEntry() {},
    subscribe() {
      return () => undefined;
    },
  };
}

/** A link that records what it would publish; tests deliver HQ messages with `deliver`. */
export class MemoryLink implements PublisherPort {
  readonly direct: { topic: string; payload: Uint8Array }[] = [];
  outboxNudges = 0;
  acked = 0;
  #down: ((message: DownMessage) => void)[] = [];
  #state: LinkState = { kind: 'idle' };
  onDirect: ((topic: string, payload: Uint8Array) => void) | null = null;
  constructor(private readonly outbox: { acknowledgeThrough(seq: number): number }) {}
  start(): void {
    this.#state = { kind: 'online', sinceMs: 0, bdSeq: 1 };
  }
  async stop(): Promise<void> {
    this.#state = { kind: 'stopped' };
  }
  state(): LinkState {
    return this.#state;
  }
  outboxChanged(): void {
    this.outboxNudges += 1;
  }
  acknowledged(ackSeq: number): void {
    this.acked = Math.max(this.acked, ackSeq);
    this.outbox.acknowledgeThrough(ackSeq);
  }
  async sendDirect(topic: string, payload: Uint8Array): Promise<boolean> {
    this.direct.push({ topic, payload });
    this.onDirect?.(topic, payload);
    return true;
  }
  resends = 0;
  resendUnacked(): void {
    this.resends += 1;
  }
  onDown(handler: (message: DownMessage) => void): void {
    this.#down.push(handler);
  }
  onStateChange(): void {}
  deliver(topic: string, payload: Uint8Array): void {
    for (const handler of this.#down) handler({ topic, payload });
  }
}

export class HqKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;
  #n = 0;
  constructor() {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.keyId = fingerprint(publicKeySpkiDer(pair.publicKey));
  }
  pinned() {
    return [
      { keyId: this.keyId, publicKey: this.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    ];
  }
  seal<T extends Parameters<typeof sealEnvelope>[0]['type']>(
    stationId: string,
    type: T,
    body: PayloadInput<T>,
    nowMs = TEN_AM_MS,
  ): Uint8Array {
    this.#n += 1;
    return sealEnvelope(
      {
        stationId,
        keyId: this.keyId,
        seq: 0,
        eventId: `hq-${this.#n}-${randomBytes(4).toString('hex')}`,
        createdAtMs: nowMs,
        type,
        body,
      },
      this.privateKey,
    );
  }
  config(
    stationId: string,
    overrides: Partial<PayloadInput<typeof PayloadType.PAYLOAD_TYPE_STATION_CONFIG>> = {},
  ): Uint8Array {
    return this.seal(stationId, PayloadType.PAYLOAD_TYPE_STATION_CONFIG, {
      configVersion: 1,
      orgCode: 'ORG001',
      quotaAccountId: 'QA001',
      feeSchedules: [
        {
          version: 1,
          effectiveDate: '2026-01-01',
          announcedAtMs: 0,
          withdrawalFeeFen: 100,
          billPaymentFeeFen: 0,
          mobileTopupFeeFen: 0,
        },
      ],
      quotaFenBalance: 100_000,
      quotaPurchases: [{ purchaseId: 'P-OPEN', amountFen: 100_000, purchasedAtMs: TEN_AM_MS }],
      quotaBalanceThroughSeq: 0,
      serviceHours: {
        timeZone: 'Asia/Shanghai',
        opensAtMinute: 480,
        closesAtMinute: 1200,
        maintenanceWindows: [{ startMinute: 840, endMinute: 960 }],
      },
      limits: {
        withdrawalFenMaxPerTransaction: 500_000,
        billPaymentFenMaxPerTransaction: 200_000,
        topupFenMaxPerTransaction: 50_000,
        authorisationTimeoutMs: 5_000,
      },
      issuedAtMs: TEN_AM_MS,
      ...overrides,
    });
  }
}
