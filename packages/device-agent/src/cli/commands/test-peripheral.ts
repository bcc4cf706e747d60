// `kiosk test card|pinpad`: a guided self-test of one peripheral. Card: identify, heartbeat, wait
// for a card, read it and show the MASKED PAN, expiry and service code, eject. PIN pad: identify,
// heartbeat, show a text on the display, run one PIN entry and show only that a 16-byte block
// arrived and how many digits were pressed. Nothing secret is printed or logged.

import { loadConfigFile } from '../../config/load.js';
import { validateStructure } from '../../config/validate.js';
import { Pan } from '../../domain/pin/pan.js';
import { isAgentError } from '../../errors.js';
import { cliPeripheralWaitMsMax } from '../../limits.js';
import type { CardReader } from '../../ports/card-reader.js';
import type { PinPad } from '../../ports/pin-pad.js';
import { commonFlags, type Problem, stringFlag } from '../args.js';
import { type Command, configFlag, configPathOf } from '../command.js';
import { exitProblems, exitUsage, reportJson, reportProblems } from '../report.js';

/** The PIN block binds the PIN to a PAN; the self-test uses this test PAN (ISO test range). */
const selfTestPanDigits = '4761739001010010';

interface Step {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
}

function failure(error: unknown): string {
  return isAgentError(error) ? `${error.code}: ${error.message}` : String(error);
}

async function runSteps(
  steps: Array<[string, () => Promise<string>]>,
  say: (line: string) => void,
): Promise<Step[]> {
  const done: Step[] = [];
  for (const [name, action] of steps) {
    try {
      const detail = await action();
      done.push({ step: name, ok: true, detail });
      say(`  ok    ${name}: ${detail}`);
    } catch (error) {
      done.push({ step: name, ok: false, detail: failure(error) });
      say(`  FAIL  ${name}: ${failure(error)}`);
      break; // later steps need the earlier ones
    }
  }
  return done;
}

async function testCard(
  reader: CardReader,
  waitMs: number,
  timeoutMs: number,
  say: (line: string) => void,
): Promise<Step[]> {
  return await runSteps(
    [
      [
        'open',
        async () => {
          await reader.whenOpen(timeoutMs);
          return 'link open';
        },
      ],
      [
        'identify',
        async () => {
          const id = await reader.identify();
          return `${id.model} serial ${id.serialNumber} firmware ${id.firmwareVersion}`;
        },
      ],
      [
        'heartbeat',
        async () => {
          await reader.heartbeat();
          return 'answered';
        },
      ],
      [
        'wait for card',
        async () => {
          say(`  ...   insert a card (waiting up to ${Math.round(waitMs / 1000)} s)`);
          await reader.waitForCard(waitMs);
          return 'card inserted';
        },
      ],
      [
        'read',
        async () => {
          const card = await reader.readCard();
          return `PAN ${card.pan.masked} expiry ${card.expiryYymm} service code ${card.serviceCode}`;
        },
      ],
      [
        'eject',
        async () => {
          await reader.eject();
          return 'card ejected';
        },
      ],
    ],
    say,
  );
}

async function testPinPad(pad: PinPad, timeoutMs: number, say: (line: string) => void): Promise<Step[]> {
  const pan = Pan.parse(selfTestPanDigits);
  if (pan === undefined) throw new Error('assert: self-test PAN must pass Luhn');
  let digitCount = 0;
  const unsubscribe = pad.subscribe((event) => {
    if (event.kind === 'pin-progress') digitCount = event.digitCount;
  });
  try {
    return await runSteps(
      [
        [
          'open',
          async () => {
            await pad.whenOpen(timeoutMs);
            return 'link open';
          },
        ],
        [
          'identify',
          async () => {
            const id = await pad.identify();
            return `${id.model} serial ${id.serialNumber} firmware ${id.firmwareVersion}`;
          },
        ],
        [
          'heartbeat',
          async () => {
            await pad.heartbeat();
            return 'answered';
          },
        ],
        [
          'display',
          async () => {
            await pad.display('kiosk self-test');
            return 'shown "kiosk self-test": check the pad screen';
          },
        ],
        [
          'PIN entry',
          async () => {
            say('  ...   enter any PIN on the pad and press ENTER (amount shown: 0.01)');
            const block = await pad.startPinEntry(1, pan);
            const size = block.byteLength;
            block.wipe();
            if (size !== 16) throw new Error(`the PIN block has ${size} bytes, expected 16`);
            return `a 16-byte PIN block arrived; ${digitCount} digits entered`;
          },
        ],
      ],
      say,
    );
  } finally {
    unsubscribe();
  }
}

export const testCommand: Command = {
  name: 'test',
  summary: 'guided self-test of one peripheral: kiosk test card | kiosk test pinpad',
  usage: 'test card|pinpad [--config FILE] [--wait-ms MS] [--json]',
  details:
    'card: identify, heartbeat, wait for a card, read it (the PAN is shown masked), eject.\n' +
    'pinpad: identify, heartbeat, display a text, one PIN entry (shows only that a 16-byte block\n' +
    'arrived and the digit count; the PIN never leaves the pad).',
  flags: {
    ...commonFlags,
    ...configFlag,
    'wait-ms': {
      type: 'string',
      valueName: 'MS',
      description: `how long to wait for the card (default and max ${cliPeripheralWaitMsMax})`,
    },
  },
  async run(parsed, io, deps) {
    const json = parsed.values.json === true;
    const problems: Problem[] = [];
    const target = parsed.positionals[0];
    if (parsed.positionals.length !== 1 || (target !== 'card' && target !== 'pinpad')) {
      problems.push({
        code: 'AGENT_CLI_MISSING_ARGUMENT',
        key: 'PERIPHERAL',
        message: 'say which: kiosk test card | kiosk test pinpad',
      });
    }
    const waitText = stringFlag(parsed, 'wait-ms');
    const waitMs = waitText === undefined ? cliPeripheralWaitMsMax : Number(waitText);
    if (!Number.isSafeInteger(waitMs) || waitMs < 1 || waitMs > cliPeripheralWaitMsMax) {
      problems.push({
        code: 'AGENT_CLI_BAD_ARGUMENT',
        key: '--wait-ms',
        message: `must be 1..${cliPeripheralWaitMsMax}`,
      });
    }
    if (problems.length > 0) return reportProblems(io, 'test', problems, json, exitUsage);
    const file = configPathOf(parsed, io);
    const report = loadConfigFile(file);
    const config = report.raw === undefined ? null : validateStructure(report.raw).config;
    if (config === null) return reportProblems(io, 'test', report.problems, json, exitProblems);
    const say = (line: string) => {
      if (!json) io.out(`${line}\n`);
    };
    say(`kiosk test ${target}:`);
    let steps: Step[];
    if (target === 'card') {
      const reader = deps.peripherals.cardReader(config);
      reader.start();
      try {
        steps = await testCard(reader, waitMs, config.serial.cardReader.commandTimeoutMs, say);
      } finally {
        await reader.stop().catch(() => undefined);
      }
    } else {
      const pad = deps.peripherals.pinPad(config);
      pad.start();
      try {
        steps = await testPinPad(pad, config.serial.pinPad.commandTimeoutMs, say);
      } finally {
        await pad.stop().catch(() => undefined);
      }
    }
    const failed = steps.find((step) => !step.ok);
    if (failed !== undefined) {
      return reportProblems(
        io,
        'test',
        [{ code: 'AGENT_CLI_PERIPHERAL_FAILED', key: failed.step, message: failed.detail }],
        json,
        exitProblems,
        { peripheral: target, steps },
      );
    }
    if (json) reportJson(io, 'test', { peripheral: target, steps });
    else say(`kiosk test ${target}: all steps passed`);
    return 0;
  },
};
