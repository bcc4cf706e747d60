// Test helper: a driver wired to a simulated device in the same process (InProcessPair + SimEngine
// + device behaviour) under a FakeClock, with every log line captured as parsed JSON.

import { pino } from 'pino';
import { InProcessPair } from '../../../src/adapters/serial/in-process-channel.js';
import type { Logger } from '../../../src/logging.js';
import { CardReaderDevice } from '../../../src/sim/card-reader-device.js';
import { PinPadDevice } from '../../../src/sim/pin-pad-device.js';
import { SimEngine } from '../../../src/sim/sim-engine.js';
import { parseSimScript, type SimScript } from '../../../src/sim/sim-script.js';
import { FakeClock } from './fake-clock.js';

export interface LogCapture {
  readonly logger: Logger;
  readonly lines: Array<Record<string, unknown>>;
  codes(): unknown[];
}

export function captureLogs(): LogCapture {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines, codes: () => lines.map((line) => line.code).filter((code) => code !== undefined) };
}

export function script(raw: object): SimScript {
  const parsed = parseSimScript(raw);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.script;
}

export interface SimHarness<Device> {
  readonly clock: FakeClock;
  readonly pair: InProcessPair;
  readonly engine: SimEngine;
  readonly device: Device;
  readonly statuses: Array<Readonly<Record<string, unknown>>>;
  readonly logs: LogCapture;
}

function base(raw: object) {
  const clock = new FakeClock();
  const pair = new InProcessPair();
  const statuses: Array<Readonly<Record<string, unknown>>> = [];
  const parsed = script(raw);
  const engine = new SimEngine({
    clock,
    write: (bytes) => pair.device.write(bytes),
    notify: (s) => statuses.push(s),
    script: parsed,
  });
  pair.device.onData = (chunk) => engine.receive(chunk);
  return { clock, pair, statuses, engine, parsed, logs: captureLogs() };
}

export function cardReaderHarness(raw: object): SimHarness<CardReaderDevice> {
  const b = base(raw);
  const device = new CardReaderDevice({
    engine: b.engine,
    script: b.parsed,
    clock: b.clock,
    notify: (s) => b.statuses.push(s),
  });
  return { ...b, device };
}

export function pinPadHarness(raw: object): SimHarness<PinPadDevice> {
  const b = base(raw);
  const device = new PinPadDevice({
    engine: b.engine,
    script: b.parsed,
    clock: b.clock,
    notify: (s) => b.statuses.push(s),
  });
  return { ...b, device };
}

/** Awaits a promise while advancing the fake clock in steps until it settles (or `limitMs` passes). */
export async function settle<T>(
  clock: FakeClock,
  promise: Promise<T>,
  limitMs = 120_000,
  stepMs = 50,
): Promise<T> {
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  tracked.catch(() => undefined);
  for (let elapsedMs = 0; !done && elapsedMs < limitMs; elapsedMs += stepMs) await clock.advance(stepMs);
  return tracked;
}

export const cards = {
  good: { pan: '6222021234567894', expiry: '2812', serviceCode: '220' },
  visa: { pan: '4111111111111111', expiry: '3001', serviceCode: '201' },
  badLuhn: { pan: '6222021234567890', expiry: '2812', serviceCode: '220' },
  unreadable: { pan: '6217000000000014', expiry: '2812', serviceCode: '220', readFails: true },
};
