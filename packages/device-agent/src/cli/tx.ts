// `kiosk tx …`: drive transactions through the local operator API (the same one the shop's
// counter app uses). Subcommands:
//   kiosk tx status
//   kiosk tx withdraw AMOUNT_FEN            (waits for card, PIN and HQ's answer)
//   kiosk tx confirm TXID | kiosk tx void TXID
//   kiosk tx bill KIND BILLER_CODE ACCOUNT AMOUNT_FEN
//   kiosk tx topup PHONE CARRIER AMOUNT_FEN
//   kiosk tx close [YYYY-MM-DD] [--cash-yuan 1234.50 [--float-yuan 500]]
//                                          (the drawer count, R8 账实相符: declared once per day,
//                                           with the close or after it)
// Flags: --socket PATH (default $BIANMIN_OPERATOR_SOCKET), --token-file FILE (default
// $BIANMIN_OPERATOR_TOKEN_FILE). Exit 0 when the answer is ok, 1 on a refusal (every reason
// printed, R21), 2 on usage problems.
import { readFileSync } from 'node:fs';
import { parseYuanToFen } from '@bianmin/core-ledger';
import { OperatorClient, type OperatorReply } from '../adapters/operator-api/client.js';
import { operatorTokenFileBytesMax } from '../limits.js';
import type { Parsed } from './args.js';
import type { Command } from './command.js';
import type { CliIo } from './io.js';

/** The drawer count flags in fen (R1); a flag that is not exact yuan is passed as NaN and refused by the agent. */
function cashFlags(values: Parsed['values']): Record<string, number> {
  const fen = (flag: string): number | undefined => {
    const text = values[flag];
    if (typeof text !== 'string') return undefined;
    return parseYuanToFen(text) ?? Number.NaN;
  };
  const cash = fen('cash-yuan');
  const float = fen('float-yuan');
  return {
    ...(cash === undefined ? {} : { cashFenCounted: cash }),
    ...(float === undefined ? {} : { floatFenOpening: float }),
  };
}

function request(
  positionals: readonly string[],
  values: Parsed['values'] = {},
): { method: 'GET' | 'POST'; path: string; body?: unknown } | null {
  const [sub, ...rest] = positionals;
  const fen = (text: string | undefined) =>
    text !== undefined && /^\d+$/.test(text) ? Number(text) : Number.NaN;
  switch (sub) {
    case 'status':
      return { method: 'GET', path: '/v1/status' };
    case 'withdraw':
      return { method: 'POST', path: '/v1/withdrawals', body: { amountFen: fen(rest[0]) } };
    case 'confirm':
      return rest[0] === undefined
        ? null
        : { method: 'POST', path: `/v1/withdrawals/${rest[0]}/confirm-cash` };
    case 'void':
      return rest[0] === undefined ? null : { method: 'POST', path: `/v1/withdrawals/${rest[0]}/void` };
    case 'bill':
      return {
        method: 'POST',
        path: '/v1/bill-payments',
        body: { billerKind: rest[0], billerCode: rest[1], accountNumber: rest[2], amountFen: fen(rest[3]) },
      };
    case 'topup':
      return {
        method: 'POST',
        path: '/v1/topups',
        body: { phoneNumber: rest[0], carrier: rest[1], amountFen: fen(rest[2]) },
      };
    case 'close':
      return {
        method: 'POST',
        path: '/v1/daily-close',
        body: { ...(rest[0] === undefined ? {} : { businessDate: rest[0] }), ...cashFlags(values) },
      };
    default:
      return null;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const txCommand: Command = {
  name: 'tx',
  summary: 'drive a transaction through the local operator API',
  usage: 'tx status|withdraw|confirm|void|bill|topup|close … [--socket PATH] [--token-file FILE] [--json]',
  details: 'Talks to the running agent over its operator socket with the operator token.',
  flags: {
    socket: { type: 'string', valueName: 'PATH', description: 'operator API Unix socket' },
    'token-file': { type: 'string', valueName: 'FILE', description: 'file holding the operator token' },
    'cash-yuan': {
      type: 'string',
      valueName: 'YUAN',
      description: 'close: the cash counted in the drawer, e.g. 1234.50 (R8; once per day)',
    },
    'float-yuan': {
      type: 'string',
      valueName: 'YUAN',
      description: 'close: the cash the drawer held when the day opened (with --cash-yuan)',
    },
    json: { type: 'boolean', description: 'print the answer as JSON' },
    help: { type: 'boolean', description: 'show this help' },
  },
  async run(parsed: Parsed, io: CliIo): Promise<number> {
    const call = request(parsed.positionals.slice(parsed.positionals[0] === 'tx' ? 1 : 0), parsed.values);
    const socketPath = (parsed.values.socket as string | undefined) ?? io.env.BIANMIN_OPERATOR_SOCKET;
    const tokenFile =
      (parsed.values['token-file'] as string | undefined) ?? io.env.BIANMIN_OPERATOR_TOKEN_FILE;
    if (call === null || socketPath === undefined || tokenFile === undefined) {
      io.err(
        'AGENT_CLI_MISSING_ARGUMENT: usage: kiosk tx status|withdraw|confirm|void|bill|topup|close …, --socket, --token-file\n',
      );
      return 2;
    }
    for (const [flag, fen] of Object.entries(cashFlags(parsed.values))) {
      if (Number.isNaN(fen)) {
        const name = flag === 'cashFenCounted' ? '--cash-yuan' : '--float-yuan';
        io.err(`AGENT_CLI_BAD_ARGUMENT: ${name} must be yuan with at most two decimals, e.g. 1234.50\n`);
        return 2;
      }
    }
    let token: string;
    try {
      token = readFileSync(tokenFile, 'utf8').slice(0, operatorTokenFileBytesMax).trim();
    } catch (error) {
      io.err(`AGENT_CLI_BAD_ARGUMENT: --token-file ${tokenFile} cannot be read (${errorText(error)})\n`);
      return 2;
    }
    const client = new OperatorClient({ kind: 'unix', socketPath }, token);
    let reply: OperatorReply;
    try {
      reply = call.method === 'GET' ? await client.get(call.path) : await client.post(call.path, call.body);
    } catch (error) {
      io.err(
        `AGENT_CLI_BAD_ARGUMENT: --socket ${socketPath}: no agent answers there (${errorText(error)})\n`,
      );
      return 2;
    }
    io.out(`${JSON.stringify(reply.body, null, parsed.values.json === true ? 0 : 2)}\n`);
    return reply.status === 200 && reply.body.ok !== false ? 0 : reply.status === 200 ? 1 : 2;
  },
};
