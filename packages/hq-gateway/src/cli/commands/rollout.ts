// `hq release rollout create|start|pause|resume|cancel|show` (issue 13): release rollouts on HQ's
// operations log (app/rollouts.ts). create checks that the release was published
// (`<releases-dir>/releases/<version>-linux-<arch>/published.json`, written by `hq release
// publish`); every step records the operator (the operating-system user) and --reason. A refusal
// prints every reason with its stable code (R21, exit 1). show prints zh-CN with Beijing time.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Parsed } from '@bianmin/cli-kit';
import {
  createRollout,
  type OperatorAction,
  operateRollout,
  type RolloutResult,
  readRollout,
  rolloutHistory,
} from '../../app/rollouts.js';
import { beijingTime } from '../../domain/daily-report-csv.js';
import type { RolloutState, StationProgress } from '../../domain/rollout/rollout.js';
import { type HqCode, HqError, type HqProblem } from '../../errors.js';
import { networkCommand, numberFlag, required } from './network-common.js';

const idArg = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function rolloutIdOf(parsed: Parsed, problems: HqProblem[]): string {
  const value = parsed.positionals[0] ?? '';
  if (!idArg.test(value))
    problems.push({
      code: 'HQ_CLI_USAGE',
      field: 'ROLLOUT-ID',
      message: 'ROLLOUT-ID: 1..64 of [A-Za-z0-9._-]',
    });
  return value;
}

function unwrapRollout(result: RolloutResult): Extract<RolloutResult, { ok: true }> {
  if (result.ok) return result;
  const first = result.reasons[0];
  throw new HqError(
    (first?.code ?? 'HQ_ROLLOUT_FIELD_INVALID') as HqCode,
    result.reasons.map((r) => r.message).join('; '),
    {
      details: { reasons: result.reasons },
      problems: result.reasons.map((r) => ({ code: r.code, message: r.message })),
    },
  );
}

const progressText: Readonly<Record<StationProgress, string>> = {
  pending: '待推送',
  offered: '已推送',
  downloading: '下载中',
  installed: '已安装',
  healthy: '运行正常',
  'rolled-back': '已回滚',
  failed: '失败',
};
const statusText: Readonly<Record<RolloutState['status'], string>> = {
  created: '已创建',
  running: '进行中',
  paused: '已暂停',
  stopped: '已停止（失败数超过阈值）',
  cancelled: '已取消',
  finished: '已完成',
};

export function rolloutView(state: RolloutState) {
  return {
    rolloutId: state.spec.rolloutId,
    releaseVersion: state.spec.releaseVersion,
    status: state.status,
    groupIndex: state.groupIndex,
    groupCount: state.groups.length,
    stations: [...state.stations].map(([stationId, s]) => ({
      stationId,
      groupIndex: s.groupIndex,
      progress: s.progress,
      reason: s.reason,
    })),
  };
}

function showText(data: unknown): string {
  const view = data as ReturnType<typeof rolloutView> & {
    history: { kind: string; actor: string; atMs: number; reason: string }[];
  };
  const lines = [
    `发布批次 ${view.rolloutId}：版本 ${view.releaseVersion}，${statusText[view.status]}，第 ${view.groupIndex + 1}/${view.groupCount} 组`,
    ...view.stations.map(
      (s) =>
        `  ${s.stationId}  第 ${s.groupIndex + 1} 组  ${progressText[s.progress]}${s.reason === '' ? '' : `（${s.reason}）`}`,
    ),
    '记录（北京时间）：',
    ...view.history.map(
      (r) => `  ${beijingTime(r.atMs)}  ${r.kind}  ${r.actor}${r.reason === '' ? '' : `：${r.reason}`}`,
    ),
    '',
  ];
  return lines.join('\n');
}

export const rolloutCreateCommand = networkCommand({
  name: 'release rollout create',
  summary: 'create a rollout of a published release to stations, in groups with thresholds',
  usage:
    'hq release rollout create ROLLOUT-ID --release VERSION-linux-ARCH --stations S1,S2,… --group-size N --success-percent P --error-percent P --station-timeout-min M --releases-dir DIR',
  flags: {
    release: {
      type: 'string',
      valueName: 'VERSION',
      description: 'published release, e.g. 1.4.0-linux-arm64',
    },
    stations: {
      type: 'string',
      valueName: 'LIST',
      description: 'station ids, comma-separated, in rollout order',
    },
    'group-size': { type: 'string', valueName: 'N', description: 'stations per group' },
    'success-percent': { type: 'string', valueName: 'P', description: '% healthy to start the next group' },
    'error-percent': {
      type: 'string',
      valueName: 'P',
      description: 'stop when failures exceed this % of a group',
    },
    'station-timeout-min': {
      type: 'string',
      valueName: 'M',
      description: 'minutes a station has to become healthy',
    },
    'releases-dir': {
      type: 'string',
      valueName: 'DIR',
      description: 'the release store (default $HQ_RELEASES_DIR)',
    },
  },
  positionals: 1,
  run: ({ deps, actor, parsed, options }, problems) => {
    const rolloutId = rolloutIdOf(parsed, problems);
    const releaseVersion = required(parsed, 'release', problems, idArg);
    const stationIds = required(parsed, 'stations', problems)
      .split(',')
      .filter((s) => s !== '');
    const groupSize = numberFlag(parsed, 'group-size', problems);
    const successThresholdPercent = numberFlag(parsed, 'success-percent', problems);
    const errorThresholdPercent = numberFlag(parsed, 'error-percent', problems);
    const stationTimeoutMs = numberFlag(parsed, 'station-timeout-min', problems) * 60_000;
    const releasesDir = (parsed.values['releases-dir'] as string | undefined) ?? process.env.HQ_RELEASES_DIR;
    if (releasesDir === undefined)
      problems.push({
        code: 'HQ_CLI_USAGE',
        field: '--releases-dir',
        message: '--releases-dir DIR is required',
      });
    if (problems.length > 0 || releasesDir === undefined) return undefined;
    return async () => {
      if (!existsSync(join(releasesDir, 'releases', releaseVersion, 'published.json'))) {
        const message = `release ${releaseVersion} is not published in ${releasesDir} (hq release publish first)`;
        throw new HqError('HQ_ROLLOUT_RELEASE_UNKNOWN', message, {
          problems: [{ code: 'HQ_ROLLOUT_RELEASE_UNKNOWN', field: '--release', message }],
        });
      }
      const spec = {
        rolloutId,
        releaseVersion,
        stationIds,
        groupSize,
        successThresholdPercent,
        errorThresholdPercent,
        stationTimeoutMs,
      };
      return rolloutView(
        unwrapRollout(await createRollout(deps, spec, actor.name, options.reason ?? '')).state,
      );
    };
  },
});

function actionCommand(action: OperatorAction, summary: string) {
  return networkCommand({
    name: `release rollout ${action}`,
    summary,
    usage: `hq release rollout ${action} ROLLOUT-ID [--reason TEXT]`,
    flags: {},
    positionals: 1,
    run: ({ deps, actor, parsed, options }, problems) => {
      const rolloutId = rolloutIdOf(parsed, problems);
      if (problems.length > 0) return undefined;
      return async () =>
        rolloutView(
          unwrapRollout(await operateRollout(deps, rolloutId, action, actor.name, options.reason ?? ''))
            .state,
        );
    },
    text: (data) => {
      const view = data as ReturnType<typeof rolloutView>;
      return `发布批次 ${view.rolloutId}：${statusText[view.status]}，第 ${view.groupIndex + 1}/${view.groupCount} 组\n`;
    },
  });
}

export const rolloutStartCommand = actionCommand(
  'start',
  'start a rollout: its first group is offered the release',
);
export const rolloutPauseCommand = actionCommand('pause', 'pause a rollout: no further group starts');
export const rolloutResumeCommand = actionCommand('resume', 'resume a paused rollout');
export const rolloutCancelCommand = actionCommand(
  'cancel',
  'cancel a rollout (stations already updated stay)',
);

export const rolloutShowCommand = networkCommand({
  name: 'release rollout show',
  summary: "a rollout's status, each station's progress and every recorded step (zh-CN, Beijing time)",
  usage: 'hq release rollout show ROLLOUT-ID',
  flags: {},
  positionals: 1,
  run: ({ deps, parsed }, problems) => {
    const rolloutId = rolloutIdOf(parsed, problems);
    if (problems.length > 0) return undefined;
    return async () => {
      const state = await readRollout(deps, rolloutId);
      if (state === undefined) {
        throw new HqError('HQ_ROLLOUT_NOT_FOUND', `no rollout ${rolloutId}`, {
          problems: [{ code: 'HQ_ROLLOUT_NOT_FOUND', message: `no rollout ${rolloutId}` }],
        });
      }
      const history = (await rolloutHistory(deps, rolloutId)).map((r) => ({
        kind: r.kind,
        actor: r.actor,
        atMs: r.atMs,
        reason: r.reason,
      }));
      return { ...rolloutView(state), history };
    };
  },
  text: showText,
});
