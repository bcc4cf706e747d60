// The link to HQ, as the agent sees it. The adapter (MQTT) drains the outbox in seq order by
// itself; the agent tells it when new rows are stored, hands it acks it has verified, and sends
// the messages that are not journaled events (authorisation requests).

export type LinkState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting'; readonly attempt: number; readonly sinceMs: number }
  | { readonly kind: 'online'; readonly sinceMs: number; readonly bdSeq: number }
  | {
      readonly kind: 'backoff';
      readonly attempt: number;
      readonly retryAtMs: number;
      readonly lastErrorCode: string;
    }
  | { readonly kind: 'stopped' };

/** A message from HQ, raw: the agent decodes and verifies it. */
export interface DownMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
}

/** How a non-journaled message is sent. */
export interface DirectSendOptions {
  /**
   * HQ answers it on a down topic (an authorisation request): until something arrives there, the
   * link counts that channel as awaited and renews a silent downlink (issue 14). Default false.
   */
  readonly expectsAnswer?: boolean;
}

/** Down subscription renewals (issue 14): the agent's status shows them. */
export interface DownlinkCounts {
  /** Renewals made since the agent started (a silent down channel while an answer was awaited). */
  readonly renewals: number;
  /** Of those, the ones the broker refused (SUBACK 0x80), failed or did not answer in time. */
  readonly renewalsRefused: number;
}

export interface PublisherPort {
  start(): void;
  /** Stops reconnecting; publishes nothing more; resolves when the socket is closed. */
  stop(): Promise<void>;
  state(): LinkState;
  /** New outbox rows were committed: publish them when the window allows. */
  outboxChanged(): void;
  /** HQ acknowledged (signature already verified by the agent) everything up to `ackSeq`. */
  acknowledged(ackSeq: number): void;
  /** Publishes a non-journaled message at QoS 1. Resolves false when the link is not online. */
  sendDirect(topic: string, payload: Uint8Array, options?: DirectSendOptions): Promise<boolean>;
  /** Sends every unacknowledged outbox row again, oldest first (HQ asked: resend_from). Optional. */
  resendUnacked?(): void;
  /** Down subscription renewals so far. Optional (a link without a downlink watch). */
  downlinkCounts?(): DownlinkCounts;
  onDown(handler: (message: DownMessage) => void): void;
  onStateChange(handler: (state: LinkState) => void): void;
}

/** The status messages the link publishes on its own (Sparkplug-style birth/death, telemetry). */
export interface LinkStatusMessages {
  /** Takes the next bdSeq and persists it before returning (strictly increasing across restarts). */
  nextBdSeq(): number;
  death(bdSeq: number): Promise<Uint8Array>;
  birth(bdSeq: number): Promise<Uint8Array>;
  telemetry(bdSeq: number): Promise<Uint8Array>;
}
