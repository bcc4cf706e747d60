// Goal: the local operator API refuses what it must at the edge: no or a wrong token
// (AGENT_OPERATOR_UNAUTHORISED), bad JSON (AGENT_OPERATOR_BAD_JSON), a bad field named with its
// code (AGENT_OPERATOR_BAD_FIELD), an oversized body (AGENT_OPERATOR_BODY_TOO_LARGE), an unknown
// route (AGENT_OPERATOR_NOT_FOUND); and passes good requests to the operator port. Method: the
// real server on a Unix socket in a temp dir, a recording fake operator, raw HTTP requests.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { OperatorClient } from '../../src/adapters/operator-api/client.js';
import { OperatorApi } from '../../src/adapters/operator-api/server.js';
import type { OperatorPort } from '../../src/ports/operator.js';
import { silentLogger } from './helpers.js';

/** `kiosk tx` talks to the operator API only: it needs none of the peripheral/journal dependencies. */
const noDeps = {} as import('../../src/cli/command.js').CliDeps;

const dir = mkdtempSync(join(tmpdir(), 'kiosk-op-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const socketPath = join(dir, 'op.sock');
const token = 'operator-token-0123456789';
const calls: unknown[] = [];
const closeCalls: unknown[] = [];
const operator: OperatorPort = {
  startWithdrawal: async (input) => {
    calls.push(input);
    return { ok: false, reasons: [{ code: 'AGENT_TX_NO_CONFIG', message: 'x' }] };
  },
  confirmCash: async () => ({ ok: false, reasons: [{ code: 'AGENT_TX_WRONG_PHASE', message: 'x' }] }),
  voidWithdrawal: async () => ({ ok: false, reasons: [{ code: 'AGENT_TX_WRONG_PHASE', message: 'x' }] }),
  payBill: async (input) => {
    calls.push(input);
    return {
      ok: true,
      payment: { txId: 'bp-1', receiptNumber: 'R', amountFen: input.amountFen, quotaFenAfter: 0, seq: 1 },
    };
  },
  topUp: async () => ({ ok: false, reasons: [{ code: 'AGENT_TX_QUOTA_EXCEEDED', message: 'x' }] }),
  dailyClose: async (businessDate, cash) => {
    closeCalls.push([businessDate, cash]);
    return { ok: false, reasons: [{ code: 'AGENT_CLOSE_NOTHING_NEW', message: 'x' }] };
  },
  withdrawal: () => null,
  status: () => ({
    stationId: 'ST1',
    link: 'online',
    outboxDepth: 0,
    lastEventSeq: 0,
    ackedThroughSeq: 0,
    quotaFenAvailable: null,
    configVersion: 0,
    openTransactions: 0,
    downlinkRenewals: 0,
    downlinkRenewalsRefused: 0,
  }),
};
const api = new OperatorApi({ listen: { kind: 'unix', socketPath }, token, operator, logger: silentLogger });
await api.listen();
t.teardown(() => api.close());
const client = new OperatorClient({ kind: 'unix', socketPath }, token);

function raw(
  path: string,
  body: string,
  auth: string | null,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path, method: 'POST', headers: auth === null ? {} : { authorization: auth } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

t.test('the socket is private to its owner', async (t) => {
  t.equal(statSync(socketPath).mode & 0o777, 0o600);
});

t.test('AGENT_OPERATOR_UNAUTHORISED without or with a wrong token', async (t) => {
  t.match(await raw('/v1/status', '', null), { status: 401, body: { code: 'AGENT_OPERATOR_UNAUTHORISED' } });
  t.match(await raw('/v1/status', '', 'Bearer wrong'), {
    status: 401,
    body: { code: 'AGENT_OPERATOR_UNAUTHORISED' },
  });
  t.match(await client.get('/v1/status'), { status: 200, body: { stationId: 'ST1' } });
});

t.test('bad input is refused at the edge with the field named', async (t) => {
  t.match(await raw('/v1/bill-payments', '{nope', `Bearer ${token}`), {
    status: 400,
    body: { code: 'AGENT_OPERATOR_BAD_JSON' },
  });
  const bad = await client.post('/v1/bill-payments', {
    billerKind: 'BEER',
    billerCode: 'x',
    accountNumber: 'y',
    amountFen: 1.5,
    extra: 1,
  });
  t.equal(bad.status, 400);
  t.equal(bad.body.code, 'AGENT_OPERATOR_BAD_FIELD');
  const fields = (bad.body.problems as { field: string }[]).map((p) => p.field).sort();
  t.same(fields, ['amountFen', 'billerKind', 'extra'], 'every bad field at once (R21)');
  t.match(await raw('/v1/topups', `{"x":"${'a'.repeat(20_000)}"}`, `Bearer ${token}`), {
    status: 413,
    body: { code: 'AGENT_OPERATOR_BODY_TOO_LARGE' },
  });
  t.match(await client.post('/v1/nothing', {}), { status: 404, body: { code: 'AGENT_OPERATOR_NOT_FOUND' } });
  t.match(await client.get('/v1/withdrawals/unknown-tx'), {
    status: 404,
    body: { code: 'AGENT_OPERATOR_NOT_FOUND' },
  });
});

t.test('good requests reach the operator port; refusals come back with every reason', async (t) => {
  const ok = await client.post('/v1/bill-payments', {
    billerKind: 'WATER',
    billerCode: 'W1',
    accountNumber: '12-3',
    amountFen: 500,
  });
  t.match(ok, { status: 200, body: { ok: true, payment: { amountFen: 500 } } });
  t.match(await client.post('/v1/withdrawals', { amountFen: 100 }), {
    status: 200,
    body: { ok: false, reasons: [{ code: 'AGENT_TX_NO_CONFIG' }] },
  });
  t.equal(calls.length, 2);
});

t.test('kiosk tx drives the API: 0 on ok, 1 on a refusal, 2 on usage', async (t) => {
  const { txCommand } = await import('../../src/cli/tx.js');
  const { writeFileSync } = await import('node:fs');
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const out: string[] = [];
  const io = {
    out: (text: string) => out.push(text),
    err: (text: string) => out.push(text),
    env: {},
    nowMs: () => 0,
    stdin: null,
  };
  const values = { socket: socketPath, 'token-file': tokenFile };
  t.equal(
    await txCommand.run({ values, positionals: ['bill', 'WATER', 'W1', '12-3', '700'] }, io, noDeps),
    0,
  );
  t.match(out.at(-1), /"amountFen": 700/);
  t.equal(
    await txCommand.run({ values, positionals: ['topup', '13800138000', 'CMCC', '100'] }, io, noDeps),
    1,
  );
  t.match(out.at(-1), /AGENT_TX_QUOTA_EXCEEDED/);
  t.equal(await txCommand.run({ values, positionals: ['dance'] }, io, noDeps), 2);
});

t.test('kiosk tx is a registered command: in kiosk --help, dispatched by runKiosk', async (t) => {
  const { runKiosk } = await import('../../src/cli/run.js');
  const { writeFileSync } = await import('node:fs');
  const tokenFile = join(dir, 'token2');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (text: string) => out.push(text),
    err: (text: string) => err.push(text),
    env: {},
    nowMs: () => 0,
    stdin: null,
  };
  t.equal(await runKiosk(['--help'], io), 0);
  t.match(out.at(-1), /kiosk tx status\|withdraw/);
  t.equal(await runKiosk(['tx', '--help'], io), 0);
  t.match(out.at(-1), /--token-file FILE/);
  t.equal(
    await runKiosk(['tx', 'status', '--socket', socketPath, '--token-file', tokenFile, '--json'], io),
    0,
  );
  t.match(JSON.parse(out.at(-1)!), { stationId: String });
  t.equal(await runKiosk(['tx', 'status', '--socket', socketPath, '--token-file', join(dir, 'none')], io), 2);
  t.match(err.at(-1), /AGENT_CLI_BAD_ARGUMENT: --token-file/);
  t.equal(
    await runKiosk(['tx', 'status', '--socket', join(dir, 'no.sock'), '--token-file', tokenFile], io),
    2,
  );
  t.match(err.at(-1), /AGENT_CLI_BAD_ARGUMENT: --socket/);
});

t.test(
  'AGENT_OPERATOR_INTERNAL: an unexpected failure is a 503 with the code and a request id, never the error',
  async (t) => {
    const brokenSocket = join(dir, 'broken.sock');
    const broken = new OperatorApi({
      listen: { kind: 'unix', socketPath: brokenSocket },
      token,
      operator: {
        ...operator,
        status: () => {
          throw new TypeError('boom');
        },
      },
      logger: silentLogger,
    });
    await broken.listen();
    t.teardown(() => broken.close());
    const reply = await new OperatorClient({ kind: 'unix', socketPath: brokenSocket }, token).get(
      '/v1/status',
    );
    t.equal(reply.status, 503);
    t.match(reply.body, { code: 'AGENT_OPERATOR_INTERNAL', requestId: /^[0-9a-f-]{36}$/ });
    t.notMatch(JSON.stringify(reply.body), /boom|TypeError/, 'the internal error is not echoed (issue 8)');
  },
);

t.test(
  'kiosk tx close --cash-yuan: the drawer count reaches the agent in fen (R8); bad yuan is a usage error',
  async (t) => {
    const { txCommand } = await import('../../src/cli/tx.js');
    const { writeFileSync } = await import('node:fs');
    const tokenFile = join(dir, 'token3');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    const out: string[] = [];
    const io = {
      out: (text: string) => out.push(text),
      err: (text: string) => out.push(text),
      env: {},
      nowMs: () => 0,
      stdin: null,
    };
    const values = { socket: socketPath, 'token-file': tokenFile };
    t.equal(
      await txCommand.run(
        {
          values: { ...values, 'cash-yuan': '1234.50', 'float-yuan': '500' },
          positionals: ['close', '2026-11-28'],
        },
        io,
        noDeps,
      ),
      1,
    );
    t.same(closeCalls.at(-1), ['2026-11-28', { cashFenCounted: 123_450, floatFenOpening: 50_000 }]);
    t.equal(await txCommand.run({ values, positionals: ['close'] }, io, noDeps), 1);
    t.same(closeCalls.at(-1), [undefined, undefined], 'no count: not declared');
    const before = closeCalls.length;
    t.equal(
      await txCommand.run(
        { values: { ...values, 'cash-yuan': '12.345' }, positionals: ['close'] },
        io,
        noDeps,
      ),
      2,
    );
    t.match(out.at(-1), /AGENT_CLI_BAD_ARGUMENT: --cash-yuan must be yuan/);
    t.equal(closeCalls.length, before, 'nothing sent');
  },
);
