// Goal (issue 13): docs/operations.md's procedure cannot rot. Every line it quotes in a
// ```transcript block still appears, as a whole line, in the output of the procedure run for real
// (scripts/field/procedure.ts: the product's own kiosk and hq commands against Mosquitto, hq serve,
// the PTY device simulators and SoftHSM); `…` in the doc stands for what changes from run to run.
// The run ends with exit 0, and no secret it handled (token PIN, operator token, TMK components)
// appears in the transcript. Method: the script as its own process (build first: npx tsc -b), its
// transcript file compared with the doc.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

t.setTimeout(300_000);
const repoRoot = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'field-procedure-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** The lines of every ```transcript block of the doc, in order. */
export function quotedLines(markdown: string): string[] {
  const lines: string[] = [];
  let inside = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) {
      inside = !inside && line.trim() === '```transcript';
      continue;
    }
    if (inside && line.trim() !== '') lines.push(line.trimEnd());
  }
  return lines;
}

/** A quoted line as a whole-line pattern: `…` matches anything, the rest literally. */
function patternOf(quoted: string): RegExp {
  const literal = quoted
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*?');
  return new RegExp(`^${literal}$`);
}

t.test('every quoted line of the procedure appears in a real run', async (t) => {
  const transcriptFile = join(dir, 'transcript.txt');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'scripts/field/procedure.ts'), '--out', transcriptFile],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? -1)));
  t.equal(code, 0, `the procedure ran to the end:\n${output.slice(-3000)}`);
  const transcript = readFileSync(transcriptFile, 'utf8')
    .split('\n')
    .map((line) => line.trimEnd());
  const quoted = quotedLines(readFileSync(join(repoRoot, 'docs/operations.md'), 'utf8'));
  t.ok(quoted.length >= 40, `the doc quotes the run (${quoted.length} lines)`);
  for (const line of quoted) {
    const pattern = patternOf(line);
    t.ok(
      transcript.some((real) => pattern.test(real)),
      `quoted in docs/operations.md and still printed: ${line}`,
    );
  }
  const text = transcript.join('\n');
  for (const secret of ['648219', 'field-operator-token-0042', '0123456789ABCDEF0123456789ABCDEF'])
    t.notOk(text.includes(secret), 'a secret the procedure handled is not in its output');
});
