// Command-line options of `npm run demo` (every problem reported at once, R21).
import { parseArgs } from 'node:util';

export interface DemoOptions {
  readonly stations: number;
  readonly broker: string | null;
  readonly seed: number;
  readonly keep: boolean;
  /** After the day, serve the HQ console and wait for Ctrl-C (issue 12). */
  readonly console: boolean;
  /** The console's port on 127.0.0.1 (0: any free one). */
  readonly consolePort: number;
  readonly ledgerOnly: boolean;
  readonly help: boolean;
}

export const usage = `Usage: npm run demo -- [--stations N] [--broker mqtt://HOST:PORT] [--seed N] [--keep] [--console [--console-port N]] [--ledger-only]

  --stations N     kiosks to run (1-9, default 3)
  --broker URL     use this MQTT 3.1.1 broker (anonymous access) instead of the embedded aedes
  --seed N         seed of the scripted day (default 20261201): same seed, same day
  --keep           keep the data folder (journals, HQ store, logs) after the run
  --console        after the day, serve the HQ console (zh-CN web UI) on 127.0.0.1, print its URL
                   and demo logins (one per role), and run until Ctrl-C
  --console-port N the console's port (default: any free port)
  --ledger-only    run only the ledger demo (core-ledger, no processes)
`;

export function parseDemoArgs(argv: readonly string[]): { options: DemoOptions } | { problems: string[] } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        stations: { type: 'string' },
        broker: { type: 'string' },
        seed: { type: 'string' },
        keep: { type: 'boolean' },
        console: { type: 'boolean' },
        'console-port': { type: 'string' },
        'ledger-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (error) {
    return { problems: [(error as Error).message] };
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const problems: string[] = [];
  const stations = Number(values.stations ?? '3');
  if (!(Number.isSafeInteger(stations) && stations >= 1 && stations <= 9))
    problems.push('--stations: a whole number 1-9');
  const seed = Number(values.seed ?? '20261201');
  if (!(Number.isSafeInteger(seed) && seed >= 0)) problems.push('--seed: a non-negative whole number');
  const broker = typeof values.broker === 'string' ? values.broker : null;
  if (broker !== null && !/^(mqtt|tcp):\/\/[^/]+:\d+\/?$/.test(broker))
    problems.push('--broker: mqtt://HOST:PORT');
  const consolePort = Number(values['console-port'] ?? '0');
  if (!(Number.isSafeInteger(consolePort) && consolePort >= 0 && consolePort <= 65_535))
    problems.push('--console-port: a port number 0-65535');
  if (problems.length > 0) return { problems };
  return {
    options: {
      stations,
      broker,
      seed,
      keep: values.keep === true,
      console: values.console === true,
      consolePort,
      ledgerOnly: values['ledger-only'] === true,
      help: values.help === true,
    },
  };
}
