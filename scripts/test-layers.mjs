#!/usr/bin/env node
// Splits the test files into two layers and prints one layer's paths, one per line:
//   unit  — pure logic with fakes and a fake clock; no broker, token, PTY or child process;
//   e2e   — anything that starts a real component (Mosquitto, aedes, SoftHSM, socat PTYs, a
//           child process, PostgreSQL).
// A file belongs to e2e when it, or a local test helper it imports (followed transitively,
// relative imports outside src/ only), mentions one of REAL_COMPONENT_MARKERS. The rule is about
// what the code does, so a new test lands in the right layer without a list to keep up to date.
// Usage: node scripts/test-layers.mjs unit|e2e|table
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const TEST_ROOTS = [
  'packages/core-ledger/test',
  'packages/wire/test',
  'packages/device-agent/test',
  'packages/hq-gateway/test',
  'packages/cli-kit/test',
  'packages/hq-console/test',
  'test',
];
/** Text that only a test starting a real component contains. */
const REAL_COMPONENT_MARKERS = [
  /\bmosquitto\b/i,
  /softhsm/i,
  /\bsocat\b/,
  /pty-pair/,
  /createPtyPair/,
  /\baedes\b/,
  /node:child_process/,
  /\bspawn\(/,
  /\bfork\(/,
  /\bexecFile/,
  /from 'pg'/,
  /hq-process/,
  /startE2e/,
  /sim-child/,
  /\bmount\b.*tmpfs|tmpfs.*\bmount\b/,
  /from 'mqtt'/,
];
const IMPORT_PATTERN = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g;

function listTests(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** The local file an import names, or null for src/ code and packages (not followed). */
function localImport(fromFile, spec) {
  const target = resolve(dirname(fromFile), spec);
  if (target.includes('/src/')) return null;
  for (const candidate of [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mjs')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

const verdicts = new Map();
/** Whether `file` or anything local it imports starts a real component. */
function usesRealComponent(file, seen = new Set()) {
  if (verdicts.has(file)) return verdicts.get(file);
  if (seen.has(file)) return false;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  let real = REAL_COMPONENT_MARKERS.some((marker) => marker.test(text));
  if (!real) {
    for (const match of text.matchAll(IMPORT_PATTERN)) {
      const target = localImport(file, match[1]);
      if (target !== null && usesRealComponent(target, seen)) {
        real = true;
        break;
      }
    }
  }
  verdicts.set(file, real);
  return real;
}

const layer = process.argv[2];
if (!['unit', 'e2e', 'table'].includes(layer)) {
  process.stderr.write('usage: node scripts/test-layers.mjs unit|e2e|table\n');
  process.exit(2);
}
const files = TEST_ROOTS.flatMap((root) => listTests(join(ROOT, root))).sort();
for (const file of files) {
  const real = usesRealComponent(file);
  const name = relative(ROOT, file);
  if (layer === 'table') process.stdout.write(`${real ? 'e2e ' : 'unit'} ${name}\n`);
  else if ((layer === 'e2e') === real) process.stdout.write(`${name}\n`);
}
