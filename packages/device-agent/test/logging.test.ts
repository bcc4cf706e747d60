// Goal: the logging rules every component relies on: a Secret prints "[secret]" however it is
// turned into text, pino's redact censors the listed field names at the top level and one level
// down, maskPan keeps first 6 and last 4. Method: a logger writing into a temp file, read back.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { destination } from 'pino';
import t from 'tap';
import { createLogger, maskPan, Secret } from '../src/logging.js';

t.test('Secret never shows its value', async (t) => {
  const secret = new Secret('648219');
  t.equal(JSON.stringify({ secret }), '{"secret":"[secret]"}');
  t.equal(String(secret), '[secret]');
  t.equal(`${secret}`, '[secret]');
  t.equal(inspect({ secret }), '{ secret: [secret] }');
  t.equal(secret.reveal(), '648219');
});

t.test('redact censors secret field names; maskPan masks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bianmin-logging-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'out.log');
  const logger = createLogger({ name: 'logging-test', stream: destination({ dest: file, sync: true }) });
  logger
    .child({ component: 'x' })
    .info({ pin: '1234', request: { pinBlock: 'AB'.repeat(16), pan: '6217001234567893' } }, 'm');
  const line = JSON.parse(readFileSync(file, 'utf8').trim());
  t.equal(line.pin, '[redacted]');
  t.equal(line.request.pinBlock, '[redacted]');
  t.equal(line.request.pan, '[redacted]');
  t.equal(line.component, 'x');
  t.equal(maskPan('6217001234567893'), '621700******7893');
  t.equal(maskPan('1234'), '****');
  t.throws(() => createLogger({ name: 'Bad Name' }));
});
