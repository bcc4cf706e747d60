// `hq inspection|repair|complaint|statistics|commission|archive …`: HQ's daily operations on the
// network (R16–R19, R23, R10/R11, R17) over the application layer (app/network/).
import { writeFileSync } from 'node:fs';
import type { Parsed } from '@bianmin/cli-kit';
import { archiveYear } from '../../app/network/archive.js';
import { complaintStep, complaintView, repairStep } from '../../app/network/cases.js';
import {
  commissionRunView,
  commissionStep,
  runCommission,
  submitStatistics,
} from '../../app/network/commissions.js';
import { checkFees } from '../../app/network/oversight.js';
import { stationStep } from '../../app/network/stations.js';
import { stationDefaults } from '../../app/operations.js';
import { feeSchedulesOf } from '../../domain/fee-check.js';
import { HqError, type HqProblem } from '../../errors.js';
import { jsonFlag, networkCommand, numberFlag, required, unwrap } from './network-common.js';

const idArg = /^[A-Za-z0-9_-]{1,40}$/;
const month = /^\d{4}-(0[1-9]|1[0-2])$/;

function arg(parsed: Parsed, index: number, name: string, problems: HqProblem[]): string {
  const value = parsed.positionals[index] ?? '';
  if (!idArg.test(value))
    problems.push({ code: 'HQ_CLI_USAGE', field: name, message: `${name}: 1..40 of [A-Za-z0-9_-]` });
  return value;
}

export const inspectionRecordCommand = networkCommand({
  name: 'inspection record',
  summary: 'R18: record an on-site inspection or a phone follow-up of a station',
  usage: 'hq inspection record STATION-ID --method on-site|phone --findings TEXT',
  flags: {
    method: { type: 'string', valueName: 'on-site|phone', description: 'how the station was checked' },
    findings: { type: 'string', valueName: 'TEXT', description: 'what was found' },
  },
  positionals: 1,
  run: ({ deps, actor, parsed, options }, problems) => {
    const stationId = arg(parsed, 0, 'STATION-ID', problems);
    const payload = {
      method: required(parsed, 'method', problems, /^(on-site|phone)$/),
      findings: required(parsed, 'findings', problems),
    };
    return async () =>
      unwrap(await stationStep(deps, actor, stationId, 'inspection-recorded', payload, options)).view;
  },
});

export const inspectionFeesCommand = networkCommand({
  name: 'inspection fees',
  summary:
    "R18: the month's fee-compliance check of a station from the ingested events, against the fee schedules HQ announces (R6)",
  usage: 'hq inspection fees STATION-ID --month YYYY-MM',
  flags: { month: { type: 'string', valueName: 'YYYY-MM', description: 'the month checked' } },
  positionals: 1,
  run: ({ deps, actor, parsed }, problems) => {
    const stationId = arg(parsed, 0, 'STATION-ID', problems);
    const checked = required(parsed, 'month', problems, month);
    return async () => {
      const { result, overcharges } = await checkFees(
        deps,
        actor,
        stationId,
        checked,
        feeSchedulesOf(stationDefaults),
      );
      return { recorded: unwrap(result).record, overcharges };
    };
  },
});

export const repairOpenCommand = networkCommand({
  name: 'repair open',
  summary: 'R19: open a repair ticket (by phone; telemetry faults open their own)',
  usage: 'hq repair open TICKET-ID --station ID --peripheral NAME --fault TEXT [--source phone|telemetry]',
  flags: {
    station: { type: 'string', valueName: 'ID', description: 'the station' },
    peripheral: { type: 'string', valueName: 'NAME', description: 'the faulty part' },
    fault: { type: 'string', valueName: 'TEXT', description: 'what is wrong' },
    source: {
      type: 'string',
      valueName: 'phone|telemetry',
      description: 'how it was reported (default phone)',
    },
  },
  positionals: 1,
  run: ({ deps, actor, parsed, options }, problems) => {
    const ticketId = arg(parsed, 0, 'TICKET-ID', problems);
    const payload = {
      stationId: required(parsed, 'station', problems),
      peripheral: required(parsed, 'peripheral', problems),
      fault: required(parsed, 'fault', problems),
      source: parsed.values.source ?? 'phone',
    };
    return async () =>
      unwrap(await repairStep(deps, actor, ticketId, 'repair-opened', payload, options)).view;
  },
});

export const repairCloseCommand = networkCommand({
  name: 'repair close',
  summary: 'R19: close a ticket with its cost in fen (the merchant pays)',
  usage: 'hq repair close TICKET-ID --cost-fen N [--note TEXT]',
  flags: {
    'cost-fen': { type: 'string', valueName: 'N', description: 'repair cost, integer fen (R1)' },
    note: { type: 'string', valueName: 'TEXT', description: 'a last note' },
  },
  positionals: 1,
  run: ({ deps, actor, parsed, options }, problems) => {
    const ticketId = arg(parsed, 0, 'TICKET-ID', problems);
    const costFen = numberFlag(parsed, 'cost-fen', problems);
    return async () => {
      if (parsed.values.note !== undefined)
        unwrap(await repairStep(deps, actor, ticketId, 'repair-noted', { note: parsed.values.note }, {}));
      return unwrap(await repairStep(deps, actor, ticketId, 'repair-closed', { costFen }, options)).view;
    };
  },
});

const COMPLAINT_STEPS = {
  receive: 'complaint-received',
  note: 'complaint-noted',
  answer: 'complaint-answered',
  outcome: 'complaint-outcome-returned',
} as const;

export const complaintStepCommand = networkCommand({
  name: 'complaint step',
  summary:
    'R23: receive, note, answer or return the outcome of a complaint; only --role supervision sees who complained',
  usage: "hq complaint step COMPLAINT-ID receive|note|answer|outcome --data '{...}'",
  flags: {
    data: {
      type: 'string',
      valueName: 'JSON',
      description:
        'receive: {channel, complainant:{name,contact}, summary, stationId?}; note: {note}; answer: {channel, text}; outcome: {text}',
    },
  },
  positionals: 2,
  run: ({ deps, actor, parsed, options }, problems) => {
    const complaintId = arg(parsed, 0, 'COMPLAINT-ID', problems);
    const step = parsed.positionals[1] as keyof typeof COMPLAINT_STEPS;
    if (!Object.hasOwn(COMPLAINT_STEPS, step))
      problems.push({
        code: 'HQ_CLI_USAGE',
        field: 'STEP',
        message: 'STEP: receive | note | answer | outcome',
      });
    const payload = jsonFlag(parsed, 'data', problems);
    return async () =>
      unwrap(await complaintStep(deps, actor, complaintId, COMPLAINT_STEPS[step], payload, options)).view;
  },
});

export const complaintShowCommand = networkCommand({
  name: 'complaint show',
  summary: 'R23: a complaint as your role may see it (the complainant for supervision only)',
  usage: 'hq complaint show COMPLAINT-ID',
  flags: {},
  positionals: 1,
  run: ({ deps, actor, parsed }, problems) => {
    const complaintId = arg(parsed, 0, 'COMPLAINT-ID', problems);
    return async () => {
      const view = await complaintView(deps, actor, complaintId);
      if (view === undefined) throw new HqError('HQ_NET_NOT_FOUND', `no complaint ${complaintId}`);
      return view;
    };
  },
});

export const statisticsSubmitCommand = networkCommand({
  name: 'statistics submit',
  summary: "R16: a branch's monthly development statistics (due by the 5th of the next month)",
  usage:
    'hq statistics submit BRANCH-ID --data \'{"month":"2026-11","stationsOpened":1,"stationsClosed":0,"lines":[...]}\'',
  flags: {
    data: {
      type: 'string',
      valueName: 'JSON',
      description:
        '{ month, stationsOpened, stationsClosed, lines: [{ stationId, businessType INSURANCE|DISTRIBUTION, revenueFen }] }',
    },
  },
  positionals: 1,
  run: ({ deps, actor, parsed, options }, problems) => {
    const branchId = arg(parsed, 0, 'BRANCH-ID', problems);
    const payload = jsonFlag(parsed, 'data', problems);
    return async () => unwrap(await submitStatistics(deps, actor, branchId, payload, options)).view;
  },
});

export const commissionRunCommand = networkCommand({
  name: 'commission run',
  summary: "R10/R11: run (or re-run: idempotent, corrections as new lines) a month's commission",
  usage: 'hq commission run --month YYYY-MM',
  flags: {
    month: {
      type: 'string',
      valueName: 'YYYY-MM',
      description: 'the month the commission is for (usually the last one)',
    },
  },
  positionals: 0,
  run: ({ deps, actor, parsed }, problems) => {
    const forMonth = required(parsed, 'month', problems, month);
    return async () => unwrap(await runCommission(deps, actor, forMonth));
  },
});

const COMMISSION_STEPS = {
  listed: 'commission-listed',
  invoice: 'commission-invoice-received',
  paid: 'commission-paid',
} as const;

export const commissionStepCommand = networkCommand({
  name: 'commission step',
  summary: 'R10: list the run to finance, record a station invoice, record a payment',
  usage: 'hq commission step YYYY-MM listed|invoice|paid [--station ID] [--paid-through HQ|BRANCH]',
  flags: {
    station: { type: 'string', valueName: 'ID', description: 'invoice, paid: the station' },
    'paid-through': {
      type: 'string',
      valueName: 'HQ|BRANCH',
      description: 'paid: R10 lines (HQ, default) or R11 lines (BRANCH)',
    },
  },
  positionals: 2,
  run: ({ deps, actor, parsed, options }, problems) => {
    const forMonth = parsed.positionals[0] ?? '';
    if (!month.test(forMonth))
      problems.push({ code: 'HQ_CLI_USAGE', field: 'MONTH', message: 'MONTH: YYYY-MM' });
    const step = parsed.positionals[1] as keyof typeof COMMISSION_STEPS;
    if (!Object.hasOwn(COMMISSION_STEPS, step))
      problems.push({ code: 'HQ_CLI_USAGE', field: 'STEP', message: 'STEP: listed | invoice | paid' });
    const input = {
      ...(parsed.values.station === undefined ? {} : { stationId: parsed.values.station }),
      ...(parsed.values['paid-through'] === undefined ? {} : { paidThrough: parsed.values['paid-through'] }),
    };
    return async () =>
      unwrap(await commissionStep(deps, actor, forMonth, COMMISSION_STEPS[step], input, options)).view;
  },
});

export const commissionShowCommand = networkCommand({
  name: 'commission show',
  summary: "R10/R11: a month's run: lines, corrections, each station's net and payments, due dates",
  usage: 'hq commission show YYYY-MM',
  flags: {},
  positionals: 1,
  run: ({ deps, parsed }, problems) => {
    const forMonth = parsed.positionals[0] ?? '';
    if (!month.test(forMonth))
      problems.push({ code: 'HQ_CLI_USAGE', field: 'MONTH', message: 'MONTH: YYYY-MM' });
    return async () => {
      const view = await commissionRunView(deps, forMonth);
      if (view === undefined) throw new HqError('HQ_NET_NOT_FOUND', `no commission run for ${forMonth}`);
      return view;
    };
  },
});

export const archiveExportCommand = networkCommand({
  name: 'archive export',
  summary: 'R17: every operation record of a year as JSON lines (kept 6 years; confidential data included)',
  usage: 'hq archive export --year YYYY --out FILE',
  flags: {
    year: { type: 'string', valueName: 'YYYY', description: 'the Asia/Shanghai calendar year' },
    out: { type: 'string', valueName: 'FILE', description: 'the JSON-lines file to write' },
  },
  positionals: 0,
  run: ({ deps, parsed }, problems) => {
    const year = Number(required(parsed, 'year', problems, /^(20\d\d)$/));
    const out = required(parsed, 'out', problems);
    return async () => {
      const lines: string[] = [];
      for await (const line of archiveYear(deps, year)) lines.push(line);
      try {
        writeFileSync(out, lines.length === 0 ? '' : `${lines.join('\n')}\n`, { mode: 0o600 });
      } catch (error) {
        throw new HqError('HQ_FILE_UNREADABLE', `cannot write ${out}`, { cause: error });
      }
      return { year, out, records: lines.length };
    };
  },
});
