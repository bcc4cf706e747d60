// R24 at HQ (issue 13): every working key sent to a kiosk (by `hq key load` or by the scheduled
// rotation) is recorded on the operations log, aggregate 'working-key:<station>', kind 'key-sent'
// (command id, key id; never the key, never the KCV the kiosk should answer). When the kiosk's
// CommandResult for that command is stored, HQ checks the KCV it reports against the HSM's KCV of
// the same key (domain/working-key-check.ts) and records one verdict: 'key-activated' (the key
// PIN blocks may name from now on), 'key-kcv-mismatch' (HQ_KEY_KCV_MISMATCH: a discrepancy, an
// alert HQ_ALERT_KEY_KCV_MISMATCH, not activated) or 'key-load-failed' (HQ_KEY_LOAD_FAILED).
// A result seen twice (a resend) records nothing new; a result for a command HQ did not send as a
// key command is not ours and is ignored.
import type { AlertCandidate } from '../domain/alert-rules.js';
import { assert } from '../domain/assert.js';
import { checkWorkingKeyResult, type WorkingKeyVerdict } from '../domain/working-key-check.js';
import type { TimeSource } from '../ports/clock.js';
import type { Log } from '../ports/log.js';
import type { OperationRecord, OperationsStore } from '../ports/operations-store.js';

export interface WorkingKeyCheckDeps {
  readonly store: OperationsStore;
  /** The HSM stand-in's KCV of a key it issued (adapters/bank-sim/working-keys.ts). */
  readonly hsm: {
    kcvOf(stationId: string, tpkKeyId: string): string | undefined;
    /** Marks the key usable ('active') or never to be used for PIN verification ('refused'). */
    setKeyStatus(stationId: string, tpkKeyId: string, status: 'active' | 'refused'): void;
  };
  readonly alerts: { raise(candidate: AlertCandidate): Promise<unknown> };
  readonly clock: TimeSource;
  readonly log: Log;
}

const systemActor = 'system:working-key-check';

function aggregateOf(stationId: string): string {
  return `working-key:${stationId}`;
}

async function append(
  store: OperationsStore,
  records: readonly OperationRecord[],
  stationId: string,
  kind: string,
  payload: Record<string, unknown>,
  actor: string,
  atMs: number,
  idempotencyKey: string,
): Promise<void> {
  const outcome = await store.append(
    { aggregateId: aggregateOf(stationId), kind, payload, actor, atMs, reason: '', idempotencyKey },
    records.length,
  );
  // A concurrent writer on the same station (another HQ process): read again and retry once.
  if (!outcome.ok && outcome.code === 'HQ_OPS_VERSION_CONFLICT') {
    const again = await store.read(aggregateOf(stationId));
    const retried = await store.append(
      { aggregateId: aggregateOf(stationId), kind, payload, actor, atMs, reason: '', idempotencyKey },
      again.length,
    );
    assert(retried.ok, `working-key:${stationId}: ${kind} appended`);
    return;
  }
  assert(outcome.ok, `working-key:${stationId}: ${kind} appended`);
}

/** Records that a key command went out (before or right after the publish; the result comes later). */
export async function recordKeySent(
  store: OperationsStore,
  stationId: string,
  sent: { readonly commandId: string; readonly tpkKeyId: string },
  actor: string,
  atMs: number,
): Promise<void> {
  const records = await store.read(aggregateOf(stationId));
  await append(
    store,
    records,
    stationId,
    'key-sent',
    { commandId: sent.commandId, tpkKeyId: sent.tpkKeyId },
    actor,
    atMs,
    `working-key:${stationId}:${sent.commandId}:sent`,
  );
}

/** Checks a stored CommandResult; the verdict recorded, or undefined when it is not a key command's. */
export async function checkKeyResult(
  deps: WorkingKeyCheckDeps,
  stationId: string,
  result: { readonly commandId: string; readonly outcome: number; readonly detail: string },
): Promise<WorkingKeyVerdict | undefined> {
  const records = await deps.store.read(aggregateOf(stationId));
  const sent = records.find((r) => r.kind === 'key-sent' && r.payload.commandId === result.commandId);
  if (sent === undefined) return undefined;
  if (records.some((r) => r.kind !== 'key-sent' && r.payload.commandId === result.commandId))
    return undefined;
  const tpkKeyId = String(sent.payload.tpkKeyId);
  const hsmKcv = deps.hsm.kcvOf(stationId, tpkKeyId);
  assert(hsmKcv !== undefined, `the HSM issued ${tpkKeyId} for ${stationId}`);
  const verdict = checkWorkingKeyResult({ outcome: result.outcome, detail: result.detail, hsmKcv });
  const atMs = deps.clock.nowMs();
  const payload: Record<string, unknown> = { commandId: result.commandId, tpkKeyId, ...verdict };
  const kind = `key-${verdict.verdict}`;
  await append(
    deps.store,
    records,
    stationId,
    kind,
    payload,
    systemActor,
    atMs,
    `working-key:${stationId}:${result.commandId}:result`,
  );
  if (verdict.verdict !== 'load-failed')
    deps.hsm.setKeyStatus(stationId, tpkKeyId, verdict.verdict === 'activated' ? 'active' : 'refused');
  if (verdict.verdict === 'kcv-mismatch') {
    deps.log.error(
      {
        code: verdict.code,
        stationId,
        tpkKeyId,
        kcvExpected: verdict.kcvExpected,
        kcvReported: verdict.kcvReported,
      },
      'working key KCV mismatch: key not activated',
    );
    await deps.alerts.raise({
      kind: 'HQ_ALERT_KEY_KCV_MISMATCH',
      stationId,
      detail: `工作密钥 ${tpkKeyId} 校验值不符：终端报告 ${verdict.kcvReported === '' ? '（无）' : verdict.kcvReported}，加密机为 ${verdict.kcvExpected}；密钥未启用`,
    });
  } else if (verdict.verdict === 'load-failed') {
    deps.log.warn(
      { code: verdict.code, stationId, tpkKeyId, detail: verdict.detail },
      'working key not loaded',
    );
  } else {
    deps.log.info({ stationId, tpkKeyId, kcv: verdict.kcv }, 'working key activated');
  }
  return verdict;
}

export interface WorkingKeyState {
  /** The key PIN blocks may name: the newest one whose KCV HQ confirmed; null when none yet. */
  readonly activeTpkKeyId: string | null;
  /** Keys sent and not answered yet. */
  readonly pendingTpkKeyIds: readonly string[];
  readonly kcvMismatches: number;
}

export async function workingKeyState(store: OperationsStore, stationId: string): Promise<WorkingKeyState> {
  const records = await store.read(aggregateOf(stationId));
  const answered = new Set(records.filter((r) => r.kind !== 'key-sent').map((r) => r.payload.commandId));
  const activated = records.filter((r) => r.kind === 'key-activated');
  return {
    activeTpkKeyId: activated.length === 0 ? null : String(activated.at(-1)!.payload.tpkKeyId),
    pendingTpkKeyIds: records
      .filter((r) => r.kind === 'key-sent' && !answered.has(r.payload.commandId))
      .map((r) => String(r.payload.tpkKeyId)),
    kcvMismatches: records.filter((r) => r.kind === 'key-kcv-mismatch').length,
  };
}
