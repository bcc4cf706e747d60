// Goal: the error-code registry (src/errors.ts) and docs/errors/device-agent.md list exactly the
// same codes, every code is AGENT_-prefixed, every code of the token, config, CLI and doctor
// blocks is triggered by some test, and every code at all is named by at least one test file.
// Method: read the doc table and the test sources as text.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { agentErrorCodes } from '../src/errors.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const docPath = join(packageDir, '..', '..', 'docs', 'errors', 'device-agent.md');

function docCodes(): string[] {
  const codes: string[] = [];
  for (const line of readFileSync(docPath, 'utf8').split('\n')) {
    const match = /^\|\s*(AGENT_[A-Z0-9_]+)\s*\|/.exec(line);
    if (match?.[1] !== undefined) codes.push(match[1]);
  }
  return codes;
}

function testSources(dir: string): string {
  let text = '';
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) text += testSources(path);
    else if (entry.endsWith('.ts') && entry !== 'errors.test.ts') text += readFileSync(path, 'utf8');
  }
  return text;
}

t.test('registry and doc list the same codes', async (t) => {
  const registry = Object.keys(agentErrorCodes).sort();
  const doc = docCodes();
  t.same([...doc].sort(), registry, 'docs/errors/device-agent.md == src/errors.ts');
  t.equal(new Set(doc).size, doc.length, 'no code twice in the doc');
  for (const code of registry) t.match(code, /^AGENT_[A-Z0-9_]+$/);
});

t.test('every token / config / CLI / doctor code is triggered by a test', async (t) => {
  const sources = testSources(join(packageDir, 'test'));
  const ours = Object.keys(agentErrorCodes).filter((code) => /^AGENT_(TOKEN|CONFIG|CLI|DOCTOR)_/.test(code));
  t.ok(ours.length > 30);
  for (const code of ours) t.ok(sources.includes(`'${code}`) || sources.includes(`${code} `), code);
});

t.test('every AGENT_ code appears in at least one test file', async (t) => {
  const sources = testSources(join(packageDir, 'test'));
  const missing = Object.keys(agentErrorCodes).filter((code) => !sources.includes(code));
  t.same(missing, [], 'codes no test names (add a test that triggers each)');
});
