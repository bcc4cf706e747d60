// Reads one line from the terminal without echoing it (raw mode, nothing printed per key): for
// TMK key components, which must never appear on screen, in shell history or in logs.
import { AgentError } from '../errors.js';
import { Secret } from '../logging.js';
import type { CliIo } from './io.js';

const lineBytesMax = 128;

export async function readHidden(io: CliIo, prompt: string): Promise<Secret<string>> {
  const input = io.stdin;
  if (input === null || input.isTTY !== true || input.setRawMode === undefined) {
    throw new AgentError(
      'AGENT_CLI_NOT_A_TTY',
      'a hidden prompt needs a terminal; use --components-file instead',
    );
  }
  io.err(prompt);
  input.setRawMode(true);
  input.resume();
  try {
    return await new Promise<Secret<string>>((resolve, reject) => {
      let text = '';
      const onData = (chunk: Buffer | string) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') {
            input.off('data', onData);
            io.err('\n');
            resolve(new Secret(text));
            return;
          }
          if (char === '\u0003') {
            input.off('data', onData);
            reject(new AgentError('AGENT_CLI_PERIPHERAL_FAILED', 'cancelled at the prompt'));
            return;
          }
          if (char === '\u007f' || char === '\b') text = text.slice(0, -1);
          else if (text.length < lineBytesMax) text += char;
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
  }
}
