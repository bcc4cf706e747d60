// Goal: every serial, card and PIN pad code (AGENT_SERIAL_*, AGENT_CARD_*, AGENT_PINPAD_*) is in the
// registry and in docs/errors/device-agent.md, and nowhere only one of them; each has a test that
// triggers it (the *-fake, link-engine, session and *-pty tests). Method: read both and compare the sets.

import { readFileSync } from 'node:fs';
import t from 'tap';
import { AgentError, agentErrorCodes, isAgentError } from '../../src/errors.js';

const mine = /^AGENT_(SERIAL|CARD|PINPAD)_/;
const doc = readFileSync(new URL('../../../../docs/errors/device-agent.md', import.meta.url), 'utf8');

t.test('registry and doc list the same serial/card/PIN pad codes', async (t) => {
  const inRegistry = Object.keys(agentErrorCodes)
    .filter((code) => mine.test(code))
    .sort();
  const inDoc = [...doc.matchAll(/^\|\s*`?(AGENT_[A-Z0-9_]+)`?\s*\|/gm)]
    .map((m) => m[1]!)
    .filter((code) => mine.test(code))
    .sort();
  t.equal(inRegistry.length, 26, '15 serial, 4 card, 7 PIN pad codes');
  t.same(inDoc, inRegistry);
});

t.test('AgentError carries code, safe details and cause', async (t) => {
  const cause = new Error('EIO');
  const error = new AgentError('AGENT_SERIAL_DISCONNECTED', 'gone', { cause, details: { command: 'READ' } });
  t.equal(error.code, 'AGENT_SERIAL_DISCONNECTED');
  t.equal(error.cause, cause);
  t.same(error.details, { command: 'READ' });
  t.ok(Object.isFrozen(error.details));
  t.ok(isAgentError(error, 'AGENT_SERIAL_DISCONNECTED'));
  t.notOk(isAgentError(error, 'AGENT_SERIAL_TIMEOUT'));
  t.notOk(isAgentError(cause));
});
