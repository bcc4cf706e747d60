// Goal: no log line written during the test suite holds a full card number or a PIN block (R24).
// Method: every process of the suite logs to files under BIANMIN_LOG_DIR (.taprc test-env; the
// agent's logging.ts honours it; the `before` hook drops files older than 15 minutes). .taprc
// runs this file again as the `after` hook, once all tests are done, so the whole run is scanned.
// Lines of tap's stored test output that are pino JSON lines are scanned too. The detector
// (test/log-scan/detect.ts) is itself tested first, on lines written through the agent's real
// logger: a leaked PAN must be caught; masked PANs, secrets, digests and timestamps must not be.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, Pan, PinBlock, Secret } from '@bianmin/device-agent';
import t from 'tap';
import { type Finding, scanLine, suiteLogDir } from './log-scan/detect.js';

const repoRoot = join(import.meta.dirname, '..');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    // A file another overlapping run removed between the listing and the stat is not scanned.
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats === undefined) return [];
    return stats.isDirectory() ? filesUnder(path) : [path];
  });
}

function scanFile(path: string, onlyJson: boolean): Array<Finding & { file: string; line: number }> {
  const found: Array<Finding & { file: string; line: number }> = [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return found; // removed since the listing
    throw error;
  }
  text.split('\n').forEach((line, index) => {
    if (onlyJson && !/^\s*\{.*"level"/.test(line)) return;
    for (const finding of scanLine(line)) found.push({ ...finding, file: path, line: index + 1 });
  });
  return found;
}

t.test('the detector: catches leaks written through the real logger, ignores safe lines', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bianmin-logscan-self-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const panDigits = '6217001234567893';
  const pan = Pan.parse(panDigits);
  if (pan === undefined) throw new Error('self-test PAN must pass Luhn');
  const block = PinBlock.fromBytes(new Uint8Array(16).fill(0xab));
  const { destination } = await import('pino');
  const safeFile = join(dir, 'safe.log');
  const safe = createLogger({ name: 'logscan-safe', stream: destination({ dest: safeFile, sync: true }) });
  safe.info(
    { pan, pinBlock: block, userPin: new Secret('648219'), card: { pan: panDigits } },
    'wrapped and redacted',
  );
  safe.info({ fingerprint: 'a1b2c3d41234567890123d', atMs: 1795846106966, txId: 'tx-1795846106966' }, 'ids');
  safe.info({ digest: '76a9c4f1cd209a678d5df3507e3e4996596be45d1486d03e0754ba9c71e7787b' }, 'hex');
  safe.info({ masked: '621700******7893', amountFen: 123456 }, 'masked');
  t.same(scanFile(safeFile, false), [], 'no finding in safe lines');

  const leakFile = join(dir, 'leak.log');
  const leaky = createLogger({ name: 'logscan-leak', stream: destination({ dest: leakFile, sync: true }) });
  leaky.info({ cardNo: panDigits }, 'raw PAN in an unlisted field');
  leaky.info(`customer card ${panDigits.replace(/(\d{4})(?=\d)/g, '$1 ')}`);
  leaky.info({ amount: Number(panDigits) }, 'PAN as a number');
  leaky.info({ request: { pinData: 'AB'.repeat(16) } }, 'PIN block under a pin field');
  const findings = scanFile(leakFile, false).map((finding) => `${finding.kind} ${finding.where}`);
  t.same(findings, ['pan cardNo', 'pan msg', 'pan amount', 'pin-block request.pinData'], 'every leak found');
  t.notMatch(JSON.stringify(findings), panDigits, 'the report masks what it found');
  // pino refuses to serialise a raw Buffer; a line from elsewhere (JSON.stringify) would carry it.
  t.same(
    scanLine(JSON.stringify({ raw: Buffer.alloc(16, 0xab) })).map((finding) => finding.kind),
    ['pin-block'],
    'a raw 16-byte buffer',
  );
});

t.test('no card number or PIN block in any log line of the suite', async (t) => {
  // tap hands `test-env` to test files but not to the `after` hook: fall back to the same path.
  const dir = process.env.BIANMIN_LOG_DIR ?? suiteLogDir;
  t.ok(existsSync(dir), `log directory ${dir} exists`);
  const logFiles = filesUnder(dir);
  const tapResults = filesUnder(join(repoRoot, '.tap', 'test-results')).filter(
    (path) => !path.includes('log-scan'),
  );
  const findings = [
    ...logFiles.flatMap((path) => scanFile(path, false)),
    ...tapResults.flatMap((path) => scanFile(path, true)),
  ];
  t.comment(`scanned ${logFiles.length} log files and ${tapResults.length} test outputs`);
  t.same(
    findings.map(
      (finding) => `${finding.file}:${finding.line} ${finding.kind} at ${finding.where} (${finding.masked})`,
    ),
    [],
    'no secret in any log line',
  );
});
