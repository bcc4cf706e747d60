// A release rollout as a pure state machine (issue 13, in the style of hawkBit rollouts and AWS IoT
// Jobs): a release version is offered to a list of stations split into groups started one after
// another; a group that reaches the success threshold starts the next; a group whose failures pass
// the error threshold stops the whole rollout; an operator may pause, resume or cancel. Each
// station moves forward only: offered → downloading → installed → healthy, or ends rolled-back
// (the kiosk went back to its previous slot, with its reason) or failed (with its reason, 'timeout'
// when it did not finish within stationTimeoutMs).
//
// Event-sourced: decideRollout() turns one command into the events it causes (or every reason it
// is refused, R21 style), foldRollout() rebuilds the state from them. The app layer stores the
// events of one command as ONE append-only record (who, when, why), so a crash never leaves half a
// decision. No clock here: commands carry their instant.

import { assert } from '../assert.js';

export type StationProgress =
  | 'pending'
  | 'offered'
  | 'downloading'
  | 'installed'
  | 'healthy'
  | 'rolled-back'
  | 'failed';
export type RolloutStatus = 'created' | 'running' | 'paused' | 'stopped' | 'cancelled' | 'finished';

/** Forward order of the non-terminal steps; a report may skip ahead, never go back. */
const progressRank: Readonly<Record<StationProgress, number>> = {
  pending: 0,
  offered: 1,
  downloading: 2,
  installed: 3,
  healthy: 4,
  'rolled-back': 4,
  failed: 4,
};
export const terminalProgress: ReadonlySet<StationProgress> = new Set(['healthy', 'rolled-back', 'failed']);

export interface RolloutSpec {
  readonly rolloutId: string;
  /** The release version offered (as published by `hq release publish`). */
  readonly releaseVersion: string;
  /** Target stations in rollout order, unique. */
  readonly stationIds: readonly string[];
  /** Stations per group (the last group may be smaller). */
  readonly groupSize: number;
  /** Percent of a group that must be healthy before the next group starts, 1..100. */
  readonly successThresholdPercent: number;
  /** The rollout stops when a group's failed + rolled-back stations exceed this percent, 0..100. */
  readonly errorThresholdPercent: number;
  /** A station not healthy, failed or rolled back this long after its offer is marked failed. */
  readonly stationTimeoutMs: number;
}

export type RolloutEvent =
  | { readonly type: 'created'; readonly spec: RolloutSpec }
  | { readonly type: 'started' }
  | { readonly type: 'group-started'; readonly groupIndex: number; readonly atMs: number }
  | {
      readonly type: 'station';
      readonly stationId: string;
      readonly progress: StationProgress;
      readonly reason: string;
      readonly atMs: number;
    }
  | { readonly type: 'paused' }
  | { readonly type: 'resumed' }
  | { readonly type: 'cancelled' }
  | { readonly type: 'stopped'; readonly groupIndex: number; readonly errorCount: number }
  | { readonly type: 'finished' };

export type RolloutCommand =
  | { readonly type: 'create'; readonly spec: RolloutSpec; readonly atMs: number }
  | { readonly type: 'start'; readonly atMs: number }
  | { readonly type: 'pause'; readonly atMs: number }
  | { readonly type: 'resume'; readonly atMs: number }
  | { readonly type: 'cancel'; readonly atMs: number }
  | {
      readonly type: 'report';
      readonly stationId: string;
      readonly progress: StationProgress;
      readonly reason: string;
      readonly atMs: number;
    }
  | { readonly type: 'sweep'; readonly atMs: number };

export interface StationState {
  readonly progress: StationProgress;
  readonly reason: string;
  /** When the station was offered the release (0 while pending). */
  readonly offeredAtMs: number;
  readonly groupIndex: number;
}

export interface RolloutState {
  readonly spec: RolloutSpec;
  readonly status: RolloutStatus;
  readonly groups: readonly (readonly string[])[];
  /** Index of the newest started group; -1 before start. */
  readonly groupIndex: number;
  readonly stations: ReadonlyMap<string, StationState>;
}

export type RolloutCode =
  | 'HQ_ROLLOUT_FIELD_INVALID'
  | 'HQ_ROLLOUT_ALREADY_EXISTS'
  | 'HQ_ROLLOUT_NOT_FOUND'
  | 'HQ_ROLLOUT_TRANSITION_ILLEGAL'
  | 'HQ_ROLLOUT_STATION_NOT_TARGETED'
  | 'HQ_ROLLOUT_PROGRESS_BACKWARDS'
  /** Decided in app/rollout-wire.ts: a kiosk's report names another release. */
  | 'HQ_ROLLOUT_RELEASE_MISMATCH';
export interface RolloutReason {
  readonly code: RolloutCode;
  readonly message: string;
}
export type RolloutDecision =
  | { readonly ok: true; readonly events: readonly RolloutEvent[] }
  | { readonly ok: false; readonly reasons: readonly RolloutReason[] };

export interface RolloutLimits {
  readonly stationsMax: number;
  readonly idBytesMax: number;
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Every problem of a spec at once (R21), each naming its field. */
export function rolloutSpecProblems(spec: RolloutSpec, limits: RolloutLimits): RolloutReason[] {
  const problems: RolloutReason[] = [];
  const bad = (field: string, want: string) =>
    problems.push({ code: 'HQ_ROLLOUT_FIELD_INVALID', message: `${field}: ${want}` });
  const isId = (value: unknown) =>
    typeof value === 'string' && value.length <= limits.idBytesMax && idPattern.test(value);
  if (!isId(spec.rolloutId)) bad('rolloutId', 'letters, digits, . _ - only');
  if (!isId(spec.releaseVersion)) bad('releaseVersion', 'letters, digits, . _ - only');
  const ids = Array.isArray(spec.stationIds) ? spec.stationIds : [];
  if (ids.length === 0 || ids.length > limits.stationsMax)
    bad('stationIds', `1..${limits.stationsMax} stations`);
  if (!ids.every(isId)) bad('stationIds', 'each a station id');
  if (new Set(ids).size !== ids.length) bad('stationIds', 'no station twice');
  const intIn = (value: number, min: number, max: number) =>
    Number.isSafeInteger(value) && value >= min && value <= max;
  if (!intIn(spec.groupSize, 1, limits.stationsMax)) bad('groupSize', 'an integer >= 1');
  if (!intIn(spec.successThresholdPercent, 1, 100)) bad('successThresholdPercent', 'an integer 1..100');
  if (!intIn(spec.errorThresholdPercent, 0, 100)) bad('errorThresholdPercent', 'an integer 0..100');
  if (!intIn(spec.stationTimeoutMs, 1, Number.MAX_SAFE_INTEGER)) bad('stationTimeoutMs', 'an integer > 0');
  return problems;
}

export function splitIntoGroups(stationIds: readonly string[], groupSize: number): string[][] {
  assert(Number.isSafeInteger(groupSize) && groupSize >= 1, 'groupSize >= 1');
  const groups: string[][] = [];
  for (let index = 0; index < stationIds.length; index += groupSize) {
    groups.push(stationIds.slice(index, index + groupSize));
  }
  assert(groups.flat().length === stationIds.length, 'groups hold every station once');
  return groups;
}

/** Applies one event; an event that does not fit the state is a programmer error (the log is ours). */
export function applyRolloutEvent(state: RolloutState | undefined, event: RolloutEvent): RolloutState {
  if (event.type === 'created') {
    assert(state === undefined, 'created only once');
    const groups = splitIntoGroups(event.spec.stationIds, event.spec.groupSize);
    const stations = new Map<string, StationState>();
    groups.forEach((group, groupIndex) => {
      for (const id of group)
        stations.set(id, { progress: 'pending', reason: '', offeredAtMs: 0, groupIndex });
    });
    return { spec: event.spec, status: 'created', groups, groupIndex: -1, stations };
  }
  assert(state !== undefined, `${event.type} before created`);
  switch (event.type) {
    case 'started':
    case 'resumed':
      return { ...state, status: 'running' };
    case 'paused':
      return { ...state, status: 'paused' };
    case 'cancelled':
      return { ...state, status: 'cancelled' };
    case 'stopped':
      return { ...state, status: 'stopped' };
    case 'finished':
      return { ...state, status: 'finished' };
    case 'group-started': {
      assert(event.groupIndex === state.groupIndex + 1, 'groups start in order');
      const group = state.groups[event.groupIndex];
      assert(group !== undefined, 'group exists');
      const stations = new Map(state.stations);
      for (const id of group) {
        stations.set(id, {
          progress: 'offered',
          reason: '',
          offeredAtMs: event.atMs,
          groupIndex: event.groupIndex,
        });
      }
      return { ...state, groupIndex: event.groupIndex, stations };
    }
    case 'station': {
      const before = state.stations.get(event.stationId);
      assert(before !== undefined, 'station is targeted');
      assert(progressRank[event.progress] > progressRank[before.progress], 'progress moves forward');
      const stations = new Map(state.stations);
      stations.set(event.stationId, { ...before, progress: event.progress, reason: event.reason });
      return { ...state, stations };
    }
  }
}

export function foldRollout(events: readonly RolloutEvent[]): RolloutState | undefined {
  let state: RolloutState | undefined;
  for (const event of events) state = applyRolloutEvent(state, event);
  assert(events.length === 0 || state !== undefined, 'a non-empty log folds to a rollout');
  return state;
}

export interface GroupTally {
  readonly size: number;
  readonly healthy: number;
  readonly errors: number;
  readonly open: number;
}

export function groupTally(state: RolloutState, groupIndex: number): GroupTally {
  const group = state.groups[groupIndex] ?? [];
  let healthy = 0;
  let errors = 0;
  for (const id of group) {
    const progress = state.stations.get(id)?.progress;
    if (progress === 'healthy') healthy += 1;
    else if (progress === 'failed' || progress === 'rolled-back') errors += 1;
  }
  assert(healthy + errors <= group.length, 'tally within the group');
  return { size: group.length, healthy, errors, open: group.length - healthy - errors };
}

/**
 * What a running rollout does next by itself: stop at the error threshold, start the next group at
 * the success threshold, finish when the last group has no open station. Applied repeatedly until
 * nothing changes (a group started at once may already meet nothing, so one step is enough today).
 */
function advance(state: RolloutState, atMs: number): RolloutEvent[] {
  assert(Number.isSafeInteger(atMs), 'atMs is an integer');
  if (state.status !== 'running' || state.groupIndex < 0) return [];
  const tally = groupTally(state, state.groupIndex);
  const spec = state.spec;
  if (tally.errors * 100 > spec.errorThresholdPercent * tally.size) {
    return [{ type: 'stopped', groupIndex: state.groupIndex, errorCount: tally.errors }];
  }
  const lastGroup = state.groupIndex === state.groups.length - 1;
  if (!lastGroup && tally.healthy * 100 >= spec.successThresholdPercent * tally.size) {
    return [{ type: 'group-started', groupIndex: state.groupIndex + 1, atMs }];
  }
  if (lastGroup && tally.open === 0) return [{ type: 'finished' }];
  return [];
}

function refuse(code: RolloutCode, message: string): RolloutDecision {
  assert(message.length > 0, 'a refusal says why');
  return { ok: false, reasons: [{ code, message }] };
}

function withAdvance(state: RolloutState, events: RolloutEvent[], atMs: number): RolloutDecision {
  assert(events.length > 0, 'advance follows an event');
  let next = events.reduce<RolloutState>((s, e) => applyRolloutEvent(s, e), state);
  const all = [...events];
  for (;;) {
    const more = advance(next, atMs);
    if (more.length === 0) break;
    all.push(...more);
    next = more.reduce<RolloutState>((s, e) => applyRolloutEvent(s, e), next);
  }
  return { ok: true, events: all };
}

const commandFrom: Readonly<Record<'start' | 'pause' | 'resume' | 'cancel', readonly RolloutStatus[]>> = {
  start: ['created'],
  pause: ['running'],
  resume: ['paused'],
  cancel: ['created', 'running', 'paused'],
};

export function decideRollout(
  state: RolloutState | undefined,
  command: RolloutCommand,
  limits: RolloutLimits,
): RolloutDecision {
  if (command.type === 'create') {
    if (state !== undefined)
      return refuse('HQ_ROLLOUT_ALREADY_EXISTS', `rollout ${state.spec.rolloutId} exists`);
    const problems = rolloutSpecProblems(command.spec, limits);
    if (problems.length > 0) return { ok: false, reasons: problems };
    return { ok: true, events: [{ type: 'created', spec: command.spec }] };
  }
  if (state === undefined) return refuse('HQ_ROLLOUT_NOT_FOUND', 'no such rollout');
  switch (command.type) {
    case 'start':
    case 'pause':
    case 'resume':
    case 'cancel': {
      if (!commandFrom[command.type].includes(state.status)) {
        return refuse('HQ_ROLLOUT_TRANSITION_ILLEGAL', `cannot ${command.type} a ${state.status} rollout`);
      }
      const event: RolloutEvent =
        command.type === 'start'
          ? { type: 'started' }
          : command.type === 'pause'
            ? { type: 'paused' }
            : command.type === 'resume'
              ? { type: 'resumed' }
              : { type: 'cancelled' };
      const first: RolloutEvent[] =
        command.type === 'start'
          ? [event, { type: 'group-started', groupIndex: 0, atMs: command.atMs }]
          : [event];
      return withAdvance(state, first, command.atMs);
    }
    case 'report':
      return decideReport(state, command);
    case 'sweep':
      return decideSweep(state, command.atMs);
  }
}

function decideReport(
  state: RolloutState,
  command: Extract<RolloutCommand, { type: 'report' }>,
): RolloutDecision {
  const station = state.stations.get(command.stationId);
  if (station === undefined) {
    return refuse('HQ_ROLLOUT_STATION_NOT_TARGETED', `station ${command.stationId} is not in this rollout`);
  }
  if (station.progress === 'pending') {
    return refuse('HQ_ROLLOUT_STATION_NOT_TARGETED', `station ${command.stationId} has not been offered yet`);
  }
  if (
    !(command.progress in progressRank) ||
    command.progress === 'pending' ||
    command.progress === 'offered'
  ) {
    return refuse(
      'HQ_ROLLOUT_FIELD_INVALID',
      'progress: downloading, installed, healthy, rolled-back or failed',
    );
  }
  // The same report again (a kiosk retrying after a lost ack) changes nothing.
  if (command.progress === station.progress) return { ok: true, events: [] };
  if (progressRank[command.progress] <= progressRank[station.progress]) {
    return refuse(
      'HQ_ROLLOUT_PROGRESS_BACKWARDS',
      `station ${command.stationId} is ${station.progress}; ${command.progress} does not move it forward`,
    );
  }
  // Reports are facts from the kiosk: recorded whatever the rollout's status (a kiosk may roll back
  // after a cancel); only a running rollout moves on because of them.
  const event: RolloutEvent = {
    type: 'station',
    stationId: command.stationId,
    progress: command.progress,
    reason: command.reason,
    atMs: command.atMs,
  };
  return withAdvance(state, [event], command.atMs);
}

function decideSweep(state: RolloutState, atMs: number): RolloutDecision {
  assert(Number.isSafeInteger(atMs), 'atMs is an integer');
  if (state.status !== 'running') return { ok: true, events: [] };
  const events: RolloutEvent[] = [];
  for (const [stationId, station] of state.stations) {
    if (station.progress === 'pending' || terminalProgress.has(station.progress)) continue;
    if (atMs - station.offeredAtMs < state.spec.stationTimeoutMs) continue;
    events.push({ type: 'station', stationId, progress: 'failed', reason: 'timeout', atMs });
  }
  return events.length === 0 ? { ok: true, events } : withAdvance(state, events, atMs);
}
