// `hq network …`: the station lifecycle (R4, R12–R15, R22) and the overdue list. propose and
// survey take their fields as flags; every other step is `hq network step STATION KIND --data JSON`
// (docs/hq.md lists the kinds and their fields). Refusals print every reason with its code.
import type { Parsed } from '@bianmin/cli-kit';
import { dueItems, overdue } from '../../app/network/overdue.js';
import {
  allStations,
  registerBranch,
  stationMayTransact,
  stationStep,
  stationView,
} from '../../app/network/stations.js';
import { shanghaiDate } from '../../domain/network/deadlines.js';
import { HqError, type HqProblem } from '../../errors.js';
import { jsonFlag, networkCommand, numberFlag, required, unwrap } from './network-common.js';

const idArg = /^[A-Za-z0-9_-]{1,32}$/;
const location = {
  lat: { type: 'string', valueName: 'DEG', description: 'latitude, degrees (WGS-84)' },
  lon: { type: 'string', valueName: 'DEG', description: 'longitude, degrees (WGS-84)' },
} as const;

function idOf(parsed: Parsed, index: number, name: string, problems: HqProblem[]): string {
  const value = parsed.positionals[index] ?? '';
  if (!idArg.test(value))
    problems.push({ code: 'HQ_CLI_USAGE', field: name, message: `${name}: 1..32 of [A-Za-z0-9_-]` });
  return value;
}

function yesNo(parsed: Parsed, flag: string, problems: HqProblem[]): boolean {
  const value = required(parsed, flag, problems, /^(yes|no)$/);
  return value === 'yes';
}

const notFound = (what: string): HqError =>
  new HqError('HQ_NET_NOT_FOUND', `no ${what}`, {
    problems: [{ code: 'HQ_NET_NOT_FOUND', message: `no ${what}` }],
  });

export const networkBranchAddCommand = networkCommand({
  name: 'network branch-add',
  summary: 'register a postal branch (its site counts for R12)',
  usage: 'hq network branch-add BRANCH-ID --name TEXT --lat DEG --lon DEG',
  flags: { name: { type: 'string', valueName: 'TEXT', description: 'branch name' }, ...location },
  positionals: 1,
  run: ({ deps, actor, parsed, options }, problems) => {
    const branchId = idOf(parsed, 0, 'BRANCH-ID', problems);
    const name = required(parsed, 'name', problems);
    const latitudeDeg = numberFlag(parsed, 'lat', problems);
    const longitudeDeg = numberFlag(parsed, 'lon', problems);
    return async () =>
      unwrap(
        await registerBranch(
          deps,
          actor,
          branchId,
          { name, location: { latitudeDeg, longitudeDeg } },
          options,
        ),
      ).view;
  },
});

export const networkProposeCommand = networkCommand({
  name: 'network propose',
  summary:
    'a branch proposes a station (R12: 2 km from every branch and station); survey due in 3 working days',
  usage: 'hq network propose STATION-ID --branch-id ID --name TEXT --lat DEG --lon DEG',
  flags: {
    'branch-id': { type: 'string', valueName: 'ID', description: 'the proposing branch' },
    name: { type: 'string', valueName: 'TEXT', description: 'shop name' },
    ...location,
  },
  changesStations: true,
  positionals: 1,
  run: ({ deps, actor, parsed, options }, problems) => {
    const stationId = idOf(parsed, 0, 'STATION-ID', problems);
    const payload = {
      branchId: required(parsed, 'branch-id', problems),
      name: required(parsed, 'name', problems),
      location: {
        latitudeDeg: numberFlag(parsed, 'lat', problems),
        longitudeDeg: numberFlag(parsed, 'lon', problems),
      },
    };
    return async () => unwrap(await stationStep(deps, actor, stationId, 'proposed', payload, options)).view;
  },
});

export const networkSurveyCommand = networkCommand({
  name: 'network survey',
  summary:
    'record the site survey (R12 distance, R13 conditions); a failed survey is recorded and rejects the station',
  usage:
    'hq network survey STATION-ID --lat DEG --lon DEG --premises-m2 N --terminal-m2 N --signage yes|no --line yes|no --trading-months N',
  flags: {
    ...location,
    'premises-m2': { type: 'string', valueName: 'N', description: 'premises, m² (R13: at least 10)' },
    'terminal-m2': {
      type: 'string',
      valueName: 'N',
      description: 'space for the terminal and display, m² (R13: at least 1)',
    },
    signage: { type: 'string', valueName: 'yes|no', description: 'outdoor space for signage' },
    line: { type: 'string', valueName: 'yes|no', description: 'a working communication line' },
    'trading-months': {
      type: 'string',
      valueName: 'N',
      description: 'months trading lawfully (R13: at least 6)',
    },
  },
  changesStations: true,
  positionals: 1,
  run: ({ deps, actor, parsed, options }, problems) => {
    const stationId = idOf(parsed, 0, 'STATION-ID', problems);
    const payload = {
      location: {
        latitudeDeg: numberFlag(parsed, 'lat', problems),
        longitudeDeg: numberFlag(parsed, 'lon', problems),
      },
      findings: {
        premisesM2: numberFlag(parsed, 'premises-m2', problems),
        terminalSpaceM2: numberFlag(parsed, 'terminal-m2', problems),
        signageSpace: yesNo(parsed, 'signage', problems),
        communicationLine: yesNo(parsed, 'line', problems),
        tradingMonths: numberFlag(parsed, 'trading-months', problems),
      },
    };
    return async () => unwrap(await stationStep(deps, actor, stationId, 'surveyed', payload, options)).view;
  },
});

export const networkStepCommand = networkCommand({
  name: 'network step',
  summary:
    'any other lifecycle step: applied, agreement-signed, fee-settled, ..., opened, suspended, closed, change-requested, move-requested, transferred, ...',
  usage: "hq network step STATION-ID KIND [--data '{...}']",
  flags: {
    data: { type: 'string', valueName: 'JSON', description: 'the step fields as a JSON object (docs/hq.md)' },
  },
  changesStations: true,
  positionals: 2,
  run: ({ deps, actor, parsed, options }, problems) => {
    const stationId = idOf(parsed, 0, 'STATION-ID', problems);
    const kind = parsed.positionals[1] ?? '';
    const payload = jsonFlag(parsed, 'data', problems);
    return async () => unwrap(await stationStep(deps, actor, stationId, kind, payload, options)).view;
  },
});

export const networkShowCommand = networkCommand({
  name: 'network show',
  summary: "a station's state, dates and open steps with due dates; whether it may transact (R4)",
  usage: 'hq network show STATION-ID',
  flags: {},
  positionals: 1,
  run: ({ deps, actor, parsed }, problems) => {
    const stationId = idOf(parsed, 0, 'STATION-ID', problems);
    return async () => {
      const view = await stationView(deps, stationId);
      if (view === undefined) throw notFound(`station ${stationId}`);
      const due = (await dueItems(deps, actor)).filter((i) => i.aggregateId === `station:${stationId}`);
      const mayTransact = await stationMayTransact(deps, stationId);
      return {
        station: view,
        mayTransact: mayTransact.ok,
        due,
        history: await deps.store.read(`station:${stationId}`),
      };
    };
  },
});

export const networkListCommand = networkCommand({
  name: 'network list',
  summary: 'every station with its state (a branch sees its own)',
  usage: 'hq network list',
  flags: {},
  positionals: 0,
  run:
    ({ deps, actor }) =>
    async () =>
      (await allStations(deps))
        .filter((s) => actor.role !== 'branch' || s.branchId === actor.branchId)
        .map((s) => ({
          stationId: s.stationId,
          state: s.state,
          branchId: s.branchId,
          name: s.name,
          orgCode: s.orgCode ?? null,
        })),
  text: (data) =>
    `${(data as { stationId: string; state: string; branchId: string; name: string }[]).map((s) => `${s.stationId.padEnd(12)} ${s.state.padEnd(18)} ${s.branchId.padEnd(8)} ${s.name}`).join('\n')}\n`,
});

export const networkOverdueCommand = networkCommand({
  name: 'network overdue',
  summary: 'overdue steps per department (lifecycle, R18 oversight, repairs, complaints, R16, commissions)',
  usage: 'hq network overdue [--date YYYY-MM-DD] [--all]',
  flags: {
    date: {
      type: 'string',
      valueName: 'YYYY-MM-DD',
      description: 'the day to judge (default: today, Asia/Shanghai)',
    },
    all: { type: 'boolean', description: 'every open step with its due date, not only the overdue ones' },
  },
  positionals: 0,
  run: ({ deps, actor, parsed }, problems) => {
    const date =
      parsed.values.date === undefined
        ? shanghaiDate(deps.clock.nowMs())
        : required(parsed, 'date', problems, /^\d{4}-\d{2}-\d{2}$/);
    return async () =>
      parsed.values.all === true
        ? { date, due: await dueItems(deps, actor, date) }
        : { date, overdue: await overdue(deps, actor, date) };
  },
  text: (data) => {
    const d = data as {
      date: string;
      overdue?: Record<
        string,
        { step: string; subjectId: string; dueDate?: string; rule: string; calendarYearMissing?: number }[]
      >;
      due?: unknown[];
    };
    if (d.overdue === undefined) return `${JSON.stringify(d.due, null, 2)}\n`;
    const lines = [`overdue on ${d.date}:`];
    for (const [department, items] of Object.entries(d.overdue)) {
      if (items.length === 0) continue;
      lines.push(`  ${department}:`);
      for (const i of items)
        lines.push(
          `    ${i.subjectId.padEnd(12)} ${i.step} (${i.rule}) due ${i.dueDate ?? `? no calendar for ${i.calendarYearMissing}`}`,
        );
    }
    return `${lines.join('\n')}\n`;
  },
});
