// The imperative shell around the OTA state machine (domain/ota/ota-machine.ts): it feeds inputs,
// persists the state BEFORE running the effects the machine returns (write-ahead), and runs each
// effect through a port. boot() resumes whatever phase the state file names after a restart or a
// kill; tick() (called on the agent's clock, e.g. every minute) re-asks the update lock while a
// release is staged and ends a trial whose deadline passed. A restart effect ends the pass: the
// process is replaced by systemd and the next boot() continues.
import {
  initialOtaState,
  type OtaEffect,
  type OtaInput,
  type OtaOffer,
  type OtaState,
  type OtaTimings,
  otaResume,
  otaStep,
} from '../domain/ota/ota-machine.js';
import { AgentError, isAgentError } from '../errors.js';
import { otaChunkBytesMax, otaStepsPerPassMax } from '../limits.js';
import type {
  HealthCheck,
  OtaStateStore,
  ProgressReporter,
  ReleaseSlots,
  ReleaseSource,
  Restarter,
  SwitchOutcomes,
  UpdateLock,
} from '../ports/ota.js';

export interface OtaRunnerDeps {
  readonly store: OtaStateStore;
  readonly source: ReleaseSource;
  readonly slots: ReleaseSlots;
  readonly lock: UpdateLock;
  readonly health: HealthCheck;
  readonly restarter: Restarter;
  /** Set when a root unit does the switch (ota.switchVia "unit"): a trial first reads its outcome. */
  readonly switchOutcomes?: SwitchOutcomes;
  readonly reporter: ProgressReporter;
  readonly nowMs: () => number;
  readonly timings: OtaTimings;
  /** Test hook: called before and after each effect (a test throws here to simulate a kill). */
  readonly onEffect?: (when: 'before' | 'after', effect: OtaEffect) => void;
}

export class OtaRunner {
  readonly #deps: OtaRunnerDeps;
  #state: OtaState;
  #queue: OtaEffect[] = [];
  #restarted = false;

  constructor(deps: OtaRunnerDeps) {
    this.#deps = deps;
    const loaded = deps.store.load();
    this.#state = loaded ?? initialOtaState(deps.slots.current());
    if (loaded === undefined) deps.store.save(this.#state);
  }

  get state(): OtaState {
    return this.#state;
  }

  /** True once a restart was asked for: this process should end. */
  get restarted(): boolean {
    return this.#restarted;
  }

  /** After a start (or restart): redo the persisted phase's work. */
  async boot(): Promise<void> {
    if (await this.#switchPending()) return;
    this.#queue = [...otaResume(this.#state)];
    await this.#drain();
  }

  /**
   * On trial under a root switch: a refusal ends the offer (FAILED with root's code); a switch not
   * done yet keeps the trial waiting (true) until the next tick or the trial deadline.
   */
  async #switchPending(): Promise<boolean> {
    const phase = this.#state.phase;
    if (phase.name !== 'trial' || this.#deps.switchOutcomes === undefined) return false;
    const verdict = this.#deps.switchOutcomes.verdict(phase.offer.version);
    if (verdict.kind === 'done') return false;
    if (verdict.kind === 'waiting') return this.#deps.nowMs() < phase.trialDeadlineMs;
    await this.#feed({ type: 'switch-refused', code: verdict.code });
    await this.#drain();
    return true;
  }

  async offer(offer: OtaOffer): Promise<void> {
    await this.#feed({ type: 'offer', offer });
    await this.#drain();
  }

  /** Periodic: re-ask the update lock while staged; end a trial whose deadline passed. */
  async tick(): Promise<void> {
    const phase = this.#state.phase;
    if (phase.name === 'staged') this.#queue.push({ type: 'check-lock' });
    // Under a root switch the process that asked keeps running until root restarts it: a refusal
    // is read here (root does not restart the agent for a refusal).
    if (phase.name === 'trial' && (await this.#switchPending())) return;
    if (phase.name === 'trial' && this.#deps.nowMs() >= phase.trialDeadlineMs) {
      await this.#feed({
        type: 'health',
        ok: false,
        reason: 'no passing health check before the deadline',
        atMs: this.#deps.nowMs(),
      });
    }
    await this.#drain();
  }

  async #feed(input: OtaInput): Promise<void> {
    const result = otaStep(this.#state, input, this.#deps.timings);
    if (result.ignored !== undefined) return;
    if (result.state !== this.#state) this.#deps.store.save(result.state);
    this.#state = result.state;
    this.#queue.push(...result.effects);
  }

  async #drain(): Promise<void> {
    for (let count = 0; count < otaStepsPerPassMax && !this.#restarted; count += 1) {
      const effect = this.#queue.shift();
      if (effect === undefined) return;
      this.#deps.onEffect?.('before', effect);
      const input = await this.#run(effect);
      this.#deps.onEffect?.('after', effect);
      if (input !== undefined) await this.#feed(input);
    }
    if (!this.#restarted) throw new AgentError('AGENT_OTA_STATE_INVALID', 'OTA runner did not settle');
  }

  async #run(effect: OtaEffect): Promise<OtaInput | undefined> {
    const phase = this.#state.phase;
    const { slots } = this.#deps;
    switch (effect.type) {
      case 'download': {
        if (phase.name !== 'downloading') return undefined;
        try {
          const bytes = await this.#deps.source.fetch(phase.offer, effect.fromByte, otaChunkBytesMax);
          const room = phase.offer.downloadBytes - effect.fromByte;
          if (bytes.length === 0 || bytes.length > room)
            throw new Error(`chunk of ${bytes.length} bytes, ${room} expected at most`);
          slots.storeChunk(phase.offer.version, effect.fromByte, bytes);
          return { type: 'chunk-stored', receivedBytes: effect.fromByte + bytes.length };
        } catch (error) {
          if (isAgentError(error)) throw error;
          return { type: 'download-failed', code: 'AGENT_OTA_DOWNLOAD_FAILED' };
        }
      }
      case 'verify': {
        if (phase.name !== 'verifying') return undefined;
        const outcome = slots.verify(phase.offer.version);
        return outcome.ok ? { type: 'verified' } : { type: 'verify-refused', code: outcome.code };
      }
      case 'unpack':
        if (phase.name !== 'unpacking') return undefined;
        slots.unpack(phase.offer.version);
        return { type: 'unpacked' };
      case 'check-lock':
        return { type: 'lock', reasons: this.#deps.lock.reasons(this.#deps.nowMs()) };
      case 'switch':
        slots.switchTo(effect.toVersion);
        return { type: 'switched', atMs: this.#deps.nowMs() };
      case 'restart':
        // Under a root switch, root restarts the agent once it switched (or not at all after a
        // refusal): this process goes on and reads the outcome.
        this.#restarted = this.#deps.switchOutcomes === undefined;
        this.#deps.restarter.restart();
        return undefined;
      case 'health-check': {
        const result = await this.#deps.health.run();
        return { type: 'health', ok: result.ok, reason: result.reason, atMs: this.#deps.nowMs() };
      }
      case 'discard':
        slots.discard(effect.version);
        return undefined;
      case 'report':
        await this.#deps.reporter.report(effect.rolloutId, effect.progress, effect.reason);
        return {
          type: 'reported',
          report: { rolloutId: effect.rolloutId, progress: effect.progress, reason: effect.reason },
        };
    }
  }
}
