#!/usr/bin/env node
// Measures assertions per function in the pure code (core-ledger and each service's src/domain),
// the TigerBeetle habit STYLE.md asks for: state the invariant where it holds. A function is a
// function declaration, a method, or an arrow/function expression of more than one statement; an
// assertion is a call whose callee name starts with `assert` (assert, assertFen, assertId, ...).
// Usage: node scripts/assertion-density.mjs [--min N]   (exits 1 when a folder is below N)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const FOLDERS = [
  'packages/core-ledger/src',
  'packages/device-agent/src/domain',
  'packages/hq-gateway/src/domain',
];

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function isCountedFunction(node) {
  if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node))
    return node.body !== undefined;
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node))
    return ts.isBlock(node.body) && node.body.statements.length > 1;
  return false;
}

function isAssertion(node) {
  if (!ts.isCallExpression(node)) return false;
  const callee = node.expression;
  const name = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee)
      ? callee.name.text
      : '';
  return /^assert/.test(name);
}

function measure(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  let functions = 0;
  let assertions = 0;
  const visit = (node) => {
    if (isCountedFunction(node)) functions += 1;
    if (isAssertion(node)) assertions += 1;
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { functions, assertions };
}

const minIndex = process.argv.indexOf('--min');
const min = minIndex === -1 ? null : Number(process.argv[minIndex + 1]);
let below = 0;
for (const folder of FOLDERS) {
  let functions = 0;
  let assertions = 0;
  for (const file of sourceFiles(join(ROOT, folder))) {
    if (file.includes('/generated/')) continue;
    const counts = measure(file);
    functions += counts.functions;
    assertions += counts.assertions;
  }
  const ratio = functions === 0 ? 0 : assertions / functions;
  if (min !== null && ratio < min) below += 1;
  process.stdout.write(
    `${relative(ROOT, join(ROOT, folder)).padEnd(36)} ${String(functions).padStart(4)} functions ` +
      `${String(assertions).padStart(4)} assertions  ${ratio.toFixed(2)} per function\n`,
  );
}
process.exit(below === 0 ? 0 : 1);
