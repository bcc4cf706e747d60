// `kiosk keys load`: loads the terminal master key (TMK) into the PIN pad from 2 or 3 key
// components, read from a file or typed at a hidden prompt (never a CLI argument, never echoed,
// never logged). Shows each component's key check value (KCV) BEFORE anything reaches the pad (a
// typo is caught before the pad combines it), refuses to load when they differ from the mailers'
// KCVs given with --expect-kcv, and shows the KCV of the combined TMK the pad reports.
import { readFileSync, statSync } from 'node:fs';
import { keyCheckValue } from '@bianmin/wire';
import { loadConfigFile } from '../../config/load.js';
import { validateStructure } from '../../config/validate.js';
import { checkComponentSet, parseKeyComponent } from '../../domain/pin/key-components.js';
import type { SecretKeyBytes } from '../../domain/pin/secret.js';
import { isAgentError } from '../../errors.js';
import {
  keyComponentFileSizeBytesMax,
  pinKeyComponentCountMax,
  pinKeyComponentCountMin,
} from '../../limits.js';
import { commonFlags, type Problem, stringFlag } from '../args.js';
import { type Command, configFlag, configPathOf } from '../command.js';
import { readHidden } from '../hidden-prompt.js';
import { exitProblems, exitUsage, reportJson, reportProblems } from '../report.js';

const componentProblemText: Record<string, string> = {
  'not-hex-32': 'must be 32 hex digits (spaces and dashes between groups allowed)',
  'all-zero': 'must not be all zeros',
  'component-count': `give ${pinKeyComponentCountMin} or ${pinKeyComponentCountMax} components`,
  'duplicate-component': 'two components are the same',
};

/** Component lines from a file: blank lines and # comments skipped. */
function componentLines(file: string): string[] {
  const sizeBytes = statSync(file).size;
  if (sizeBytes > keyComponentFileSizeBytesMax) throw new Error(`${file} is ${sizeBytes} bytes`);
  return readFileSync(file, 'utf8')
    .split(/\r?\n/u)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export const keysLoadCommand: Command = {
  name: 'keys load',
  summary: 'load the TMK into the PIN pad from 2 or 3 key components (hidden input)',
  usage:
    'keys load [--config FILE] [--components-file FILE | --components N] [--expect-kcv KCV,KCV[,KCV]] [--json]',
  details:
    'Components (32 hex digits each) come from --components-file (one per line, # comments allowed;\n' +
    'delete the file afterwards) or are typed at a hidden prompt (--components N, default 2).\n' +
    'Never pass a component as an argument. Prints each component KCV before loading anything\n' +
    "(compare with its mailer); --expect-kcv KCV1,KCV2[,KCV3] (the mailers' values, not secret)\n" +
    'refuses to load when one differs. Then prints the combined TMK KCV the pad reports.',
  flags: {
    ...commonFlags,
    ...configFlag,
    'components-file': {
      type: 'string',
      valueName: 'FILE',
      description: 'file with one key component per line',
    },
    components: {
      type: 'string',
      valueName: 'N',
      description: 'how many components to prompt for (2 or 3; default 2)',
    },
    'expect-kcv': {
      type: 'string',
      valueName: 'KCV,KCV',
      description: "each component's KCV from its mailer (6 hex digits each, in order)",
    },
  },
  async run(parsed, io, deps) {
    const json = parsed.values.json === true;
    const problems: Problem[] = [];
    if (parsed.positionals.length > 0) {
      problems.push({
        code: 'AGENT_CLI_BAD_ARGUMENT',
        key: 'argument',
        message: 'keys load takes no arguments: never put a key component on the command line',
      });
    }
    const file = stringFlag(parsed, 'components-file');
    const countText = stringFlag(parsed, 'components');
    const count = countText === undefined ? pinKeyComponentCountMin : Number(countText);
    if (!Number.isSafeInteger(count) || count < pinKeyComponentCountMin || count > pinKeyComponentCountMax) {
      problems.push({
        code: 'AGENT_CLI_BAD_ARGUMENT',
        key: '--components',
        message: componentProblemText['component-count']!,
      });
    }
    if (file !== undefined && countText !== undefined) {
      problems.push({
        code: 'AGENT_CLI_BAD_ARGUMENT',
        key: '--components',
        message: 'give --components-file or --components, not both',
      });
    }
    const expectText = stringFlag(parsed, 'expect-kcv');
    const expectedKcvs =
      expectText === undefined ? undefined : expectText.split(',').map((kcv) => kcv.trim().toUpperCase());
    if (expectedKcvs !== undefined && !expectedKcvs.every((kcv) => /^[0-9A-F]{6}$/.test(kcv))) {
      problems.push({
        code: 'AGENT_CLI_BAD_ARGUMENT',
        key: '--expect-kcv',
        message: 'give each KCV as 6 hex digits, comma-separated, in component order',
      });
    }
    const configFile = configPathOf(parsed, io);
    const report = loadConfigFile(configFile);
    const config = report.raw === undefined ? null : validateStructure(report.raw).config;
    if (config === null) problems.push(...report.problems);
    if (problems.length > 0)
      return reportProblems(
        io,
        'keys load',
        problems,
        json,
        problems.some((p) => p.code.startsWith('AGENT_CLI')) ? exitUsage : exitProblems,
      );

    const components: SecretKeyBytes[] = [];
    try {
      let texts: string[];
      if (file !== undefined) {
        try {
          texts = componentLines(file);
        } catch (error) {
          return reportProblems(
            io,
            'keys load',
            [{ code: 'AGENT_CLI_BAD_ARGUMENT', key: '--components-file', message: (error as Error).message }],
            json,
            exitProblems,
          );
        }
      } else {
        texts = [];
        for (let index = 1; index <= count; index += 1) {
          try {
            texts.push((await readHidden(io, `key component ${index} of ${count} (not shown): `)).reveal());
          } catch (error) {
            const code = isAgentError(error) ? error.code : 'AGENT_CLI_PERIPHERAL_FAILED';
            return reportProblems(
              io,
              'keys load',
              [{ code, key: 'prompt', message: (error as Error).message }],
              json,
              exitProblems,
            );
          }
        }
      }
      texts.forEach((text, index) => {
        const parsedComponent = parseKeyComponent(text);
        if (typeof parsedComponent === 'string') {
          problems.push({
            code: 'AGENT_PINPAD_BAD_KEY',
            key: `component ${index + 1}`,
            message: componentProblemText[parsedComponent] ?? parsedComponent,
          });
        } else {
          components.push(parsedComponent);
        }
      });
      if (problems.length === 0) {
        const bytes = components.map((component) => component.exposeBytes());
        for (const problem of checkComponentSet(bytes)) {
          problems.push({
            code: 'AGENT_PINPAD_BAD_KEY',
            key: 'components',
            message: componentProblemText[problem] ?? problem,
          });
        }
        for (const copy of bytes) copy.fill(0);
      }
      if (problems.length > 0) return reportProblems(io, 'keys load', problems, json, exitProblems);

      // Each component's KCV before the pad sees any of them: a typo shows here, not after combining.
      const localKcvs = components.map((component) => {
        const bytes = component.exposeBytes();
        try {
          return keyCheckValue(bytes);
        } finally {
          bytes.fill(0);
        }
      });
      if (!json)
        localKcvs.forEach((kcv, index) => {
          io.out(`component ${index + 1} of ${components.length}: KCV ${kcv} (compare with its mailer)\n`);
        });
      if (expectedKcvs !== undefined) {
        const mismatches: Problem[] = [];
        if (expectedKcvs.length !== components.length)
          mismatches.push({
            code: 'AGENT_PINPAD_KCV_MISMATCH',
            key: '--expect-kcv',
            message: `${expectedKcvs.length} KCV(s) given for ${components.length} components`,
          });
        else
          localKcvs.forEach((kcv, index) => {
            if (kcv !== expectedKcvs[index])
              mismatches.push({
                code: 'AGENT_PINPAD_KCV_MISMATCH',
                key: `component ${index + 1}`,
                message: `KCV ${kcv}, its mailer says ${expectedKcvs[index]}: retype it (nothing was loaded)`,
              });
          });
        if (mismatches.length > 0)
          return reportProblems(io, 'keys load', mismatches, json, exitProblems, {
            componentKcvs: localKcvs.map((kcv, index) => ({ component: index + 1, kcv })),
          });
      }

      const pad = deps.peripherals.pinPad(config!);
      const kcvs: Array<{ component: number; kcv: string }> = [];
      let tmkKcv: string | undefined;
      pad.start();
      try {
        await pad.whenOpen(config!.serial.pinPad.commandTimeoutMs);
        for (const [index, component] of components.entries()) {
          const loaded = await pad.loadTmkComponent(index + 1, components.length, component);
          kcvs.push({ component: index + 1, kcv: loaded.componentKcv });
          if (loaded.componentKcv !== localKcvs[index])
            throw new Error(
              `the pad reports KCV ${loaded.componentKcv} for component ${index + 1}, not ${localKcvs[index]}`,
            );
          if (loaded.tmkKcv !== undefined) tmkKcv = loaded.tmkKcv;
        }
      } catch (error) {
        const message = isAgentError(error) ? `${error.code}: ${error.message}` : String(error);
        return reportProblems(
          io,
          'keys load',
          [{ code: 'AGENT_CLI_PERIPHERAL_FAILED', key: 'pin pad', message }],
          json,
          exitProblems,
          { componentKcvs: kcvs },
        );
      } finally {
        await pad.stop().catch(() => undefined);
      }
      if (json) reportJson(io, 'keys load', { componentKcvs: kcvs, tmkKcv: tmkKcv ?? null });
      else io.out(`TMK loaded; combined KCV ${tmkKcv ?? '(not reported)'}: compare with HQ's value\n`);
      return 0;
    } finally {
      for (const component of components) component.wipe();
    }
  },
};
