#!/usr/bin/env node
// Fails when a test could pass without asserting anything of its own (STYLE.md: every test
// asserts something of its own). It reads every test file with the TypeScript parser and checks
// each `x.test(name, [options,] (sub) => { ... })` call: the body must use `sub` for an assertion
// (`sub.equal`, `sub.ok`, `sub.same`, ... or a nested `sub.test`) or hand `sub` to a helper that
// asserts. A subtest that only calls its parent's assertions (`t.equal` inside `t.test('x',
// (sub) => ...)`) reports its result on the wrong test and is refused here, as is a subtest
// callback with no parameter. Each file must also assert on its top-level test.
// Usage: node scripts/check-test-assertions.mjs [files...]   (default: every test file)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const ASSERTIONS = new Set([
  'ok',
  'notOk',
  'error',
  'equal',
  'not',
  'same',
  'notSame',
  'strictSame',
  'strictNotSame',
  'has',
  'notHas',
  'hasStrict',
  'notHasStrict',
  'hasProp',
  'hasProps',
  'hasOwnProp',
  'hasOwnProps',
  'hasOwnPropsOnly',
  'match',
  'notMatch',
  'matchOnly',
  'notMatchOnly',
  'matchStrict',
  'notMatchStrict',
  'type',
  'throws',
  'doesNotThrow',
  'rejects',
  'resolves',
  'resolveMatch',
  'resolveMatchSnapshot',
  'matchSnapshot',
  'emits',
  'pass',
  'fail',
  'test',
  'expectUncaughtException',
]);

/** True when `name` is used in `body` for an assertion or handed to a helper. */
function assertsOn(body, name) {
  let found = false;
  const visit = (node) => {
    if (found) return;
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === name &&
        ASSERTIONS.has(callee.name.text)
      ) {
        found = true;
        return;
      }
      if (node.arguments.some((arg) => ts.isIdentifier(arg) && arg.text === name)) {
        found = true;
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(body);
  return found;
}

/** True when `fn` declares a parameter called `name` (then `name` inside it is not the file's `t`). */
function hasParam(fn, name) {
  return fn.parameters.some((param) => ts.isIdentifier(param.name) && param.name.text === name);
}

/**
 * Names of the file's top-level functions that assert on the file's own `t` (not a parameter):
 * called from inside a subtest, their assertions land on the parent.
 */
function parentAssertingHelpers(source) {
  const names = new Set();
  for (const statement of source.statements) {
    const candidates = [];
    if (ts.isFunctionDeclaration(statement) && statement.name !== undefined && statement.body !== undefined)
      candidates.push([statement.name.text, statement]);
    if (ts.isVariableStatement(statement))
      for (const declaration of statement.declarationList.declarations)
        if (
          ts.isIdentifier(declaration.name) &&
          declaration.initializer !== undefined &&
          (ts.isArrowFunction(declaration.initializer) || ts.isFunctionExpression(declaration.initializer))
        )
          candidates.push([declaration.name.text, declaration.initializer]);
    for (const [name, fn] of candidates)
      if (!hasParam(fn, 't') && directAssertionsOn(fn.body, 't').length > 0) names.add(name);
  }
  return names;
}

/** Assertion calls on `name` in `body` (not counting helpers it is handed to). */
function directAssertionsOn(body, name) {
  const calls = [];
  const visit = (node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === name &&
      ASSERTIONS.has(node.expression.name.text) &&
      node.expression.name.text !== 'test'
    )
      calls.push(node);
    if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && hasParam(node, name)) return;
    ts.forEachChild(node, visit);
  };
  visit(body);
  return calls;
}

/** Calls in `body` to any of `helpers`. */
function callsTo(body, helpers) {
  const calls = [];
  const visit = (node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && helpers.has(node.expression.text))
      calls.push(node.expression.text);
    ts.forEachChild(node, visit);
  };
  visit(body);
  return calls;
}

function checkFile(path) {
  const text = readFileSync(path, 'utf8');
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const problems = [];
  const where = (node) => `${path}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const helpers = parentAssertingHelpers(source);
  const visit = (node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'test' &&
      node.arguments.length >= 2
    ) {
      const fn = node.arguments[node.arguments.length - 1];
      if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) {
        const label = ts.isStringLiteralLike(node.arguments[0]) ? node.arguments[0].text : '(computed name)';
        const param = fn.parameters[0];
        if (param === undefined || !ts.isIdentifier(param.name)) {
          problems.push(`${where(node)} subtest '${label}' takes no test object, so it cannot assert`);
        } else if (!assertsOn(fn.body, param.name.text)) {
          problems.push(
            `${where(node)} subtest '${label}' makes no assertion of its own (on '${param.name.text}')`,
          );
        } else {
          for (const helper of new Set(callsTo(fn.body, helpers)))
            problems.push(
              `${where(node)} subtest '${label}' calls ${helper}(), which asserts on the top-level 't', not on the subtest`,
            );
          if (param.name.text !== 't' && directAssertionsOn(fn.body, 't').length > 0)
            problems.push(
              `${where(node)} subtest '${label}' asserts on the parent 't' instead of '${param.name.text}'`,
            );
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!assertsOn(source, 't')) problems.push(`${path}:1 the file asserts nothing on its top-level test 't'`);
  return problems;
}

const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : execFileSync('node', [resolve(ROOT, 'scripts/test-layers.mjs'), 'unit'], { encoding: 'utf8' })
        .split('\n')
        .concat(
          execFileSync('node', [resolve(ROOT, 'scripts/test-layers.mjs'), 'e2e'], { encoding: 'utf8' }).split(
            '\n',
          ),
        )
        .filter((line) => line !== '')
        .map((file) => resolve(ROOT, file));
const problems = files.flatMap(checkFile);
for (const problem of problems) process.stderr.write(`${problem}\n`);
process.stdout.write(`test assertions: ${files.length} files checked, ${problems.length} problems\n`);
process.exit(problems.length === 0 ? 0 : 1);
