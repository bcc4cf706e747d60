// Runs one simulated device as its own process on a serial path (one end of a socat PTY pair):
//   node dist/sim/card-reader-sim.js --port /tmp/x/dev-b --script card-reader.json
// Control: one JSON object per line on stdin ({"op":"insert","card":0}, {"op":"remove"},
// {"op":"tamper"}, {"op":"cancel"}, {"op":"vanish","durationMs":3000},
// {"op":"fault","fault":{"kind":"bad-crc","on":"READ"}}, {"op":"quit"}); every op is acknowledged.
// Status: one JSON object per line on stdout ({"status":"open"}, {"status":"request","command":"READ"},
// …) so a test waits on what happened instead of sleeping. The port is reopened by itself when the
// PTY goes away and comes back (socat restarted): we poll the link path, since a dead PTY gives no
// event until a write.

import { readFileSync, realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SerialPort } from 'serialport';
import { systemClock } from '../adapters/system/clock.js';
import { CardReaderDevice } from './card-reader-device.js';
import { PinPadDevice } from './pin-pad-device.js';
import { SimEngine, type SimNotify } from './sim-engine.js';
import { parseFault, parseSimScript, type SimScript } from './sim-script.js';

export type SimKind = 'card-reader' | 'pin-pad';

interface SimArgs {
  readonly port: string;
  readonly scriptPath: string | undefined;
  readonly baudRate: number;
}

function parseArgs(argv: readonly string[]): SimArgs | string[] {
  const problems: string[] = [];
  let port: string | undefined;
  let scriptPath: string | undefined;
  let baudRate = 115_200;
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index];
    const value = argv[index + 1];
    if (flag === '--port' && value !== undefined) port = value;
    else if (flag === '--script' && value !== undefined) scriptPath = value;
    else if (flag === '--baud' && value !== undefined && /^[0-9]+$/.test(value)) baudRate = Number(value);
    else {
      problems.push(`unknown or incomplete flag: ${flag}`);
      continue;
    }
    index += 1;
  }
  if (port === undefined) problems.push('--port PATH is required');
  return problems.length > 0 || port === undefined ? problems : { port, scriptPath, baudRate };
}

function loadScript(path: string | undefined): SimScript | string[] {
  let raw: unknown = {};
  if (path !== undefined) {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      return [`--script ${path}: ${(error as Error).message}`];
    }
  }
  const parsed = parseSimScript(raw);
  return parsed.ok ? parsed.script : parsed.problems;
}

/** Keeps the serial port open, reopening when the PTY behind the path changes or disappears. */
class PortKeeper {
  #port: SerialPort | undefined;
  #target: string | undefined;
  #stopped = false;
  #opening = false;

  constructor(
    readonly args: SimArgs,
    readonly onData: (chunk: Buffer) => void,
    readonly notify: SimNotify,
    readonly onOpen: () => void,
  ) {}

  start(): void {
    if (this.#resolve() === undefined) this.notify({ status: 'waiting', port: this.args.port });
    void this.#tryOpen();
    const poll = setInterval(() => {
      if (this.#stopped) {
        clearInterval(poll);
        return;
      }
      const target = this.#resolve();
      if (this.#port !== undefined && target !== this.#target) this.#drop('pty changed');
      if (this.#port === undefined) void this.#tryOpen();
    }, 100);
  }

  write(bytes: Uint8Array): void {
    const port = this.#port;
    if (port === undefined || !port.isOpen) return;
    port.write(Buffer.from(bytes), (error) => {
      if (error) this.#drop(`write: ${error.message}`);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const port = this.#port;
    this.#port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  #resolve(): string | undefined {
    try {
      return realpathSync(this.args.port);
    } catch {
      return undefined;
    }
  }

  #drop(reason: string): void {
    const port = this.#port;
    if (port === undefined) return;
    this.#port = undefined;
    this.notify({ status: 'closed', reason });
    if (port.isOpen) port.close(() => undefined);
  }

  async #tryOpen(): Promise<void> {
    if (this.#opening || this.#stopped || this.#port !== undefined) return;
    const target = this.#resolve();
    if (target === undefined) return;
    this.#opening = true;
    const port = new SerialPort({
      path: this.args.port,
      baudRate: this.args.baudRate,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      rtscts: false,
      hupcl: false,
      autoOpen: false,
    });
    const error = await new Promise<Error | null>((resolve) => port.open(resolve));
    this.#opening = false;
    if (error || this.#stopped) return;
    this.#port = port;
    this.#target = target;
    port.on('data', (chunk: Buffer) => {
      if (this.#port === port) this.onData(chunk);
    });
    port.on('error', () => undefined);
    port.on('close', () => {
      if (this.#port === port) this.#drop('closed');
    });
    this.onOpen();
    this.notify({ status: 'open', port: this.args.port });
  }
}

export function runSimProcess(kind: SimKind, argv: readonly string[]): void {
  const args = parseArgs(argv);
  if (Array.isArray(args)) {
    for (const problem of args) process.stderr.write(`${kind}-sim: ${problem}\n`);
    process.stderr.write(`usage: ${kind}-sim --port PATH [--script FILE.json] [--baud 115200]\n`);
    process.exit(2);
  }
  const script = loadScript(args.scriptPath);
  if (Array.isArray(script)) {
    for (const problem of script) process.stderr.write(`${kind}-sim: script: ${problem}\n`);
    process.exit(2);
  }
  const notify: SimNotify = (status) => process.stdout.write(`${JSON.stringify(status)}\n`);
  let keeper: PortKeeper | undefined;
  const engine = new SimEngine({
    clock: systemClock,
    write: (bytes) => keeper?.write(bytes),
    notify,
    script,
  });
  const cardReader =
    kind === 'card-reader' ? new CardReaderDevice({ engine, script, clock: systemClock, notify }) : undefined;
  const pinPad =
    kind === 'pin-pad' ? new PinPadDevice({ engine, script, clock: systemClock, notify }) : undefined;
  keeper = new PortKeeper(
    args,
    (chunk) => engine.receive(chunk),
    notify,
    () => engine.resetStream(),
  );
  keeper.start();

  const quit = (): void => {
    void keeper?.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let command: Record<string, unknown>;
    try {
      command = JSON.parse(line) as Record<string, unknown>;
    } catch {
      notify({ status: 'control-error', problem: 'not JSON' });
      return;
    }
    const problem = control(command, { engine, cardReader, pinPad, quit });
    notify(
      problem === undefined
        ? { status: 'ack', op: command.op, id: command.id }
        : { status: 'control-error', op: command.op, problem },
    );
  });
}

function control(
  command: Record<string, unknown>,
  sim: {
    engine: SimEngine;
    cardReader: CardReaderDevice | undefined;
    pinPad: PinPadDevice | undefined;
    quit: () => void;
  },
): string | undefined {
  switch (command.op) {
    case 'insert':
      if (sim.cardReader === undefined) return 'not a card reader';
      return sim.cardReader.insert(Number(command.card ?? 0)) ? undefined : 'no such card';
    case 'remove':
      if (sim.cardReader === undefined) return 'not a card reader';
      sim.cardReader.remove();
      return undefined;
    case 'tamper':
      if (sim.pinPad === undefined) return 'not a PIN pad';
      sim.pinPad.tamper();
      return undefined;
    case 'cancel':
      if (sim.pinPad === undefined) return 'not a PIN pad';
      sim.pinPad.pressCancel();
      return undefined;
    case 'vanish': {
      const durationMs = Number(command.durationMs ?? 3000);
      if (!Number.isSafeInteger(durationMs) || durationMs <= 0) return 'durationMs';
      sim.engine.vanish(durationMs);
      return undefined;
    }
    case 'fault': {
      const problems: string[] = [];
      const fault = parseFault(command.fault, 'fault.', problems);
      if (fault === undefined) return problems.join('; ');
      sim.engine.addFault(fault);
      return undefined;
    }
    case 'quit':
      sim.quit();
      return undefined;
    default:
      return `unknown op ${String(command.op)}`;
  }
}
