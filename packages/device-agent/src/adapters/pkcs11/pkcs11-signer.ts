// The UK-key signer: ECDSA P-256 over SHA-256 digests with a key that never leaves the token.
// One state union says whether it can sign (ports/signer.ts). A lost token or session (any
// token-lost CKR, see domain/token/return-values) fails that call with nothing signed, tears the
// module down (C_Finalize) and moves to 'no-token'; the next sign call or a background probe
// (capped exponential backoff with jitter) re-initialises, finds the token and logs in again.
// Logins follow domain/token/login-policy: never one that could lock the token, and after one
// CKR_PIN_INCORRECT none at all until the signer is rebuilt with a fixed configuration.
import type { Logger } from 'pino';
import { type ProbeBackoff, probeDelayMs } from '../../domain/token/probe-backoff.js';
import { AgentError, type AgentErrorCode, isAgentError } from '../../errors.js';
import {
  digestSha256SizeBytes,
  signatureP256SizeBytes,
  tokenProbeBackoffMsInitial,
  tokenProbeBackoffMsMax,
  tokenProbeJitterRatio,
} from '../../limits.js';
import type { Signer, SignerPublicKey, SignerState } from '../../ports/signer.js';
import { createPkcs11jsBinding, type Handle, P, type Pkcs11Binding } from './binding.js';
import type { UserPinSource } from './pin-source.js';
import {
  type FoundToken,
  findObjects,
  findToken,
  initializeModule,
  loadModule,
  loginSafely,
  readPublicKey,
  type TokenSelector,
  wrapCkr,
} from './token-access.js';

export interface ProbeTimers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Pkcs11SignerOptions {
  /** Path of the PKCS#11 module (.so), e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly modulePath: string;
  readonly token: TokenSelector;
  readonly keyLabel: string;
  readonly pin: UserPinSource;
  readonly logger: Logger;
  /**
   * 'thread-pool' (default): C_SignAsync, so a slow USB key (tens of ms per signature) never
   * blocks the event loop that runs the serial heartbeats. 'blocking': C_Sign on the main thread,
   * about three times the throughput on a fast module (docs/performance.md "## Signing").
   */
  readonly signCall?: 'thread-pool' | 'blocking';
  /** Default: a new pkcs11js binding. Tests pass a fake. */
  readonly createBinding?: () => Pkcs11Binding;
  /** Background probe while the token is missing; default on, real timers, Math.random. */
  readonly probe?: {
    readonly enabled: boolean;
    readonly backoff?: ProbeBackoff;
    readonly timers?: ProbeTimers;
    readonly random01?: () => number;
  };
}

interface Connection {
  readonly token: FoundToken;
  readonly session: Handle;
  readonly privateKey: Handle;
}

const defaultBackoff: ProbeBackoff = {
  msInitial: tokenProbeBackoffMsInitial,
  msMax: tokenProbeBackoffMsMax,
  jitterRatio: tokenProbeJitterRatio,
};

const realTimers: ProbeTimers = {
  setTimeout: (callback, delayMs) => {
    const handle = setTimeout(callback, delayMs);
    handle.unref(); // a probe alone never keeps the process alive
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Pkcs11Signer implements Signer {
  readonly #options: Pkcs11SignerOptions;
  readonly #log: Logger;
  readonly #listeners = new Set<(state: SignerState) => void>();
  #binding: Pkcs11Binding | null = null;
  #moduleInitialized = false;
  #connection: Connection | null = null;
  #state: SignerState = { kind: 'closed-initially' };
  #pinRejected = false;
  #failedProbeCount = 0;
  #probeHandle: unknown = null;
  /** Sign calls run one at a time: one session, one C_SignInit…C_Sign at once. */
  #signTail: Promise<unknown> = Promise.resolve();

  constructor(options: Pkcs11SignerOptions) {
    if (options.token.label === undefined && options.token.serial === undefined) {
      throw new Error('assert: the signer needs a token label or serial');
    }
    if (options.keyLabel.length === 0) throw new Error('assert: the signer needs a key label');
    this.#options = options;
    this.#log = options.logger.child({ component: 'signer' });
  }

  state(): SignerState {
    return this.#state;
  }

  onStateChange(listener: (state: SignerState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tries to reach 'ready' now (start-up, doctor). Returns the state; throws nothing. */
  open(): SignerState {
    try {
      this.#ensureConnected();
    } catch (error) {
      if (!isAgentError(error)) throw error;
    }
    return this.#state;
  }

  async signDigest(digest: Uint8Array): Promise<Uint8Array> {
    if (digest.length !== digestSha256SizeBytes) {
      throw new AgentError('AGENT_TOKEN_BAD_DIGEST', `digest is ${digest.length} bytes, expected 32`, {
        details: { sizeBytes: digest.length },
      });
    }
    const run = this.#signTail.then(() => this.#signNow(Buffer.from(digest)));
    this.#signTail = run.catch(() => undefined);
    return await run;
  }

  async #signNow(digest: Buffer): Promise<Uint8Array> {
    const connection = this.#ensureConnected();
    const binding = this.#binding!;
    let signature: Buffer;
    try {
      binding.C_SignInit(connection.session, { mechanism: P.CKM_ECDSA }, connection.privateKey);
      const out = Buffer.alloc(signatureP256SizeBytes * 2);
      signature =
        this.#options.signCall !== 'blocking' && binding.C_SignAsync !== undefined
          ? await binding.C_SignAsync(connection.session, digest, out)
          : binding.C_Sign(connection.session, digest, out);
    } catch (cause) {
      throw this.#fail(wrapCkr(cause, 'C_Sign failed'));
    }
    if (signature.length !== signatureP256SizeBytes) {
      throw new AgentError('AGENT_TOKEN_SIGN_FAILED', `signature is ${signature.length} bytes, expected 64`);
    }
    return new Uint8Array(signature);
  }

  async publicKey(): Promise<SignerPublicKey> {
    const connection = this.#ensureConnected();
    const binding = this.#binding!;
    try {
      const [publicHandle] = findObjects(
        binding,
        connection.session,
        P.CKO_PUBLIC_KEY,
        this.#options.keyLabel,
      );
      if (publicHandle === undefined) {
        throw new AgentError(
          'AGENT_TOKEN_KEY_NOT_FOUND',
          `no public key labelled "${this.#options.keyLabel}"`,
        );
      }
      return readPublicKey(binding, connection.session, publicHandle);
    } catch (error) {
      throw this.#fail(error instanceof AgentError ? error : wrapCkr(error, 'cannot read the public key'));
    }
  }

  async close(): Promise<void> {
    this.#cancelProbe();
    this.#teardown();
    this.#setState({ kind: 'closed' });
  }

  // --- connection ---

  #ensureConnected(): Connection {
    if (this.#state.kind === 'closed') throw new AgentError('AGENT_TOKEN_CLOSED', 'the signer is closed');
    if (this.#pinRejected) {
      throw new AgentError(
        'AGENT_TOKEN_PIN_REJECTED',
        'the token rejected the PIN earlier; no login is tried',
      );
    }
    if (this.#connection !== null) return this.#connection;
    try {
      const connection = this.#connect();
      this.#connection = connection;
      this.#failedProbeCount = 0;
      this.#cancelProbe();
      this.#setState({
        kind: 'ready',
        tokenSerial: connection.token.serial,
        tokenLabel: connection.token.label,
      });
      this.#log.info(
        { tokenSerial: connection.token.serial, keyLabel: this.#options.keyLabel },
        'token ready',
      );
      return connection;
    } catch (error) {
      throw this.#fail(error);
    }
  }

  #connect(): Connection {
    if (this.#binding === null) {
      const binding = (this.#options.createBinding ?? createPkcs11jsBinding)();
      loadModule(binding, this.#options.modulePath);
      this.#binding = binding;
    }
    const binding = this.#binding;
    if (!this.#moduleInitialized) {
      initializeModule(binding);
      this.#moduleInitialized = true;
    }
    const token = findToken(binding, this.#options.token);
    if (token === null) {
      throw new AgentError('AGENT_TOKEN_NOT_PRESENT', 'no token matches the configured label/serial', {
        details: { label: this.#options.token.label ?? null, serial: this.#options.token.serial ?? null },
      });
    }
    let session: Handle;
    try {
      session = binding.C_OpenSession(token.slot, P.CKF_SERIAL_SESSION);
    } catch (cause) {
      throw wrapCkr(cause, 'C_OpenSession failed');
    }
    try {
      const outcome = loginSafely(binding, session, token, this.#pinRejected, this.#options.pin);
      if (outcome.kind === 'pin-rejected') {
        this.#pinRejected = true;
        throw outcome.error;
      }
      if (outcome.kind === 'pin-unavailable') throw outcome.error;
      if (outcome.kind === 'refused') {
        const first = outcome.refusals[0]!;
        throw new AgentError(first.code, outcome.refusals.map((refusal) => refusal.reason).join('; '), {
          details: { codes: outcome.refusals.map((refusal) => refusal.code).join(',') },
        });
      }
      const [privateKey] = findObjects(binding, session, P.CKO_PRIVATE_KEY, this.#options.keyLabel);
      if (privateKey === undefined) {
        throw new AgentError(
          'AGENT_TOKEN_KEY_NOT_FOUND',
          `no private key labelled "${this.#options.keyLabel}"`,
          {
            details: { keyLabel: this.#options.keyLabel },
          },
        );
      }
      return { token, session, privateKey };
    } catch (error) {
      try {
        binding.C_CloseSession(session);
      } catch {
        // the session may already be gone with the token
      }
      throw error;
    }
  }

  /** Records a failure: state, log line with the code, teardown and probe when the token is lost. */
  #fail(error: unknown): unknown {
    if (!isAgentError(error)) return error;
    const code: AgentErrorCode = error.code;
    if (code === 'AGENT_TOKEN_NOT_PRESENT' || code === 'AGENT_TOKEN_MODULE_LOAD_FAILED') {
      this.#teardown();
      const nextProbeInMs = this.#scheduleProbe();
      this.#setState({
        kind: 'no-token',
        code,
        reason: error.message,
        failedProbeCount: this.#failedProbeCount,
        nextProbeInMs,
      });
      this.#log.warn({ code, nextProbeInMs }, 'token not available: nothing is signed');
    } else if (code === 'AGENT_TOKEN_PIN_REJECTED') {
      this.#teardown();
      this.#cancelProbe();
      this.#setState({ kind: 'pin-rejected' });
      // The alarm: one line at error level with its code; telemetry reads the state.
      this.#log.error(
        { code, alarm: true },
        'ALARM: token rejected the user PIN; no further login until reconfigured',
      );
    } else if (
      code === 'AGENT_TOKEN_PIN_LOCKED' ||
      code === 'AGENT_TOKEN_PIN_FINAL_TRY' ||
      code === 'AGENT_TOKEN_PIN_COUNT_LOW' ||
      code === 'AGENT_TOKEN_NOT_INITIALIZED'
    ) {
      this.#teardown();
      const codes = String(error.details.codes ?? code).split(',') as AgentErrorCode[];
      this.#setState({ kind: 'locked', codes, reasons: error.message.split('; ') });
      this.#log.error({ code, codes, alarm: true }, 'ALARM: token state forbids login; no attempt made');
    } else if (code === 'AGENT_TOKEN_PIN_UNAVAILABLE') {
      this.#teardownSessionOnly();
      this.#setState({ kind: 'pin-unavailable', reason: error.message });
      this.#log.error({ code }, 'token user PIN unavailable');
    } else if (code === 'AGENT_TOKEN_KEY_NOT_FOUND') {
      this.#teardownSessionOnly();
      this.#setState({ kind: 'no-key', keyLabel: this.#options.keyLabel });
      this.#log.error({ code, keyLabel: this.#options.keyLabel }, 'signing key not found on the token');
    } else {
      this.#log.error({ code }, 'signing failed');
    }
    return error;
  }

  #teardownSessionOnly(): void {
    this.#connection = null;
  }

  /** Closes the session and finalises the module so the next attempt starts from C_Initialize. */
  #teardown(): void {
    const binding = this.#binding;
    const connection = this.#connection;
    this.#connection = null;
    if (binding === null) return;
    if (connection !== null) {
      try {
        binding.C_CloseSession(connection.session);
      } catch {
        // already gone with the token
      }
    }
    if (this.#moduleInitialized) {
      try {
        binding.C_Finalize();
      } catch {
        // finalised under us (the cause of the failure, often)
      }
      this.#moduleInitialized = false;
    }
  }

  // --- background probe ---

  #scheduleProbe(): number | null {
    const probe = this.#options.probe;
    if (probe !== undefined && !probe.enabled) return null;
    this.#cancelProbe();
    const random01 = (probe?.random01 ?? Math.random)();
    const delayMs = probeDelayMs(this.#failedProbeCount, random01, probe?.backoff ?? defaultBackoff);
    const timers = probe?.timers ?? realTimers;
    this.#probeHandle = timers.setTimeout(() => this.#runProbe(), delayMs);
    return delayMs;
  }

  #cancelProbe(): void {
    if (this.#probeHandle === null) return;
    (this.#options.probe?.timers ?? realTimers).clearTimeout(this.#probeHandle);
    this.#probeHandle = null;
  }

  #runProbe(): void {
    this.#probeHandle = null;
    if (this.#state.kind !== 'no-token') return;
    this.#failedProbeCount += 1;
    try {
      this.#ensureConnected();
      this.#log.info({ code: 'AGENT_TOKEN_NOT_PRESENT', recovered: true }, 'token back: signer ready again');
    } catch {
      // #fail already recorded the state and scheduled the next probe
    }
  }

  #setState(state: SignerState): void {
    this.#state = state;
    for (const listener of this.#listeners) listener(state);
  }
}
