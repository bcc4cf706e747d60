// The kiosk link's downlink watch (issue 14): holds one pure watch per answering down channel
// (domain/outbox/downlink-watch.ts: acks answer journaled events, auth-resp answers authorisation
// requests), arms one timer for the earliest due renewal, and renews: UNSUBSCRIBE then SUBSCRIBE
// of every down topic on the live connection. Every topic, not just the silent one: the config and
// command channels' consumers may have died with the same node and nothing would tell the kiosk
// (the retained config comes again: the agent ignores the same config twice). Each topic is its
// own SUBSCRIBE: nats-server refuses some (SUBACK 0x80, for ~50 s after a node loss) and grants
// others. A refused, failed or unanswered one is logged and counted, and the topics left without a
// subscription are subscribed again on their own backoff until granted, awaited or not (config,
// commands); a silent channel still gets its next, longer wait too. The connection stays up and
// the outbox keeps every journaled event until HQ's ack. While the
// subscriptions are renewed a message sent to the kiosk can be missed (no subscription for one
// round trip): an ack comes again with the next one, an authorisation answer's request reverses
// (R5), as after any reconnect.
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import {
  type DownlinkStallPolicy,
  type DownlinkWatch,
  IDLE_WATCH,
  noteAwaiting,
  noteHeard,
  noteRenewed,
  renewalWaitMs,
  renewDueAtMs,
} from '../../domain/outbox/downlink-watch.js';
import type { ClockPort, TimerHandle } from '../../ports/clock.js';
import type { DownlinkCounts } from '../../ports/publisher.js';

/** The down channels that answer what the kiosk sends. */
export type AnsweringChannel = 'ack' | 'answer';

export interface DownlinkRenewalOptions {
  readonly policy: DownlinkStallPolicy;
  /** The down topic of each answering channel (acks, authorisation responses). */
  readonly channelTopics: Readonly<Record<AnsweringChannel, string>>;
  /** Every down topic the link subscribes to (QoS 1); renewed together. */
  readonly subscribe: readonly string[];
  /** UNSUBACK and SUBACK each within this, ms, or the renewal counts as refused. */
  readonly renewTimeoutMs: number;
  readonly clock: ClockPort;
  readonly logger: Logger;
  /** Events journaled and not yet acknowledged by HQ (the ack channel is awaited). */
  readonly eventsUnacknowledged: () => boolean;
  /** A renewal was granted on `client`: resend what HQ has not acknowledged (its ack may have been lost). */
  readonly onRenewed: (client: RenewableClient) => void;
}

/** The part of the MQTT client a renewal uses. */
export type RenewableClient = Pick<MqttClient, 'subscribeAsync' | 'unsubscribeAsync'>;

export class DownlinkRenewal {
  readonly #o: DownlinkRenewalOptions;
  readonly #log: Logger;
  #client: RenewableClient | null = null;
  #watches: Record<AnsweringChannel, DownlinkWatch> = { ack: IDLE_WATCH, answer: IDLE_WATCH };
  /** An authorisation request went out and nothing came on auth-resp since. */
  #answerAwaited = false;
  /** Authorisation requests sent on this connection (a renewal knows which it covered). */
  #answersExpectedCount = 0;
  #timer: TimerHandle | null = null;
  #timerAtMs: number | null = null;
  /** The client a renewal is running on (one at a time per connection). */
  #renewingOn: RenewableClient | null = null;
  #counts = { renewals: 0, renewalsRefused: 0 };
  /**
   * Down topics left without a subscription by a renewal (each topic is its own SUBSCRIBE, and
   * nats-server refuses some and grants others): subscribed again on their own backoff until
   * granted, whether or not anything is awaited on them (config, commands).
   */
  #missing: readonly string[] = [];
  #missingRetries = 0;
  #missingRetryAtMs: number | null = null;

  constructor(options: DownlinkRenewalOptions) {
    if (!options.subscribe.includes(options.channelTopics.ack))
      throw new Error('assert: the ack topic is subscribed');
    if (!options.subscribe.includes(options.channelTopics.answer))
      throw new Error('assert: the auth-resp topic is subscribed');
    this.#o = options;
    this.#log = options.logger.child({ component: 'downlink-renewal' });
  }

  counts(): DownlinkCounts {
    return { ...this.#counts };
  }

  /** The link is online on `client` (subscribed): every watch starts afresh. */
  online(client: RenewableClient): void {
    this.#client = client;
    this.#reset();
    this.changed();
  }

  /** The connection is gone (or the link stopped): nothing to watch until the next one. */
  offline(): void {
    this.#client = null;
    this.#reset();
    this.#arm();
  }

  /** A new connection subscribed every topic (or there is none): nothing awaited, nothing missing. */
  #reset(): void {
    this.#watches = { ack: IDLE_WATCH, answer: IDLE_WATCH };
    this.#answerAwaited = false;
    this.#missing = [];
    this.#missingRetries = 0;
    this.#missingRetryAtMs = null;
  }

  /** A message arrived on `topic`: its channel, if it answers something, works. */
  heard(topic: string): void {
    if (this.#client === null) return;
    const channel = this.#channelOf(topic);
    if (channel === null) return;
    if (channel === 'answer') this.#answerAwaited = false;
    const { clock, policy } = this.#o;
    this.#watches = {
      ...this.#watches,
      [channel]: noteHeard(
        policy,
        this.#watches[channel],
        this.#awaiting(channel),
        clock.nowMs(),
        clock.random01(),
      ),
    };
    this.#arm();
  }

  /** An authorisation request was published: its answer is awaited on auth-resp. */
  answerExpected(): void {
    if (this.#client === null) return;
    this.#answerAwaited = true;
    this.#answersExpectedCount += 1;
    this.changed();
  }

  /** What is awaited may have changed (events published or acknowledged). */
  changed(): void {
    if (this.#client === null) return;
    const { clock, policy } = this.#o;
    for (const channel of ['ack', 'answer'] as const) {
      const watch = this.#watches[channel];
      const next = noteAwaiting(policy, watch, this.#awaiting(channel), clock.nowMs(), clock.random01());
      if (next !== watch) this.#watches = { ...this.#watches, [channel]: next };
    }
    this.#arm();
  }

  #awaiting(channel: AnsweringChannel): boolean {
    return channel === 'ack' ? this.#o.eventsUnacknowledged() : this.#answerAwaited;
  }

  #channelOf(topic: string): AnsweringChannel | null {
    if (topic === this.#o.channelTopics.ack) return 'ack';
    if (topic === this.#o.channelTopics.answer) return 'answer';
    return null;
  }

  /** One timer, at the earliest due renewal; re-armed only when that time changes. */
  #arm(): void {
    const dues = [
      renewDueAtMs(this.#watches.ack),
      renewDueAtMs(this.#watches.answer),
      this.#missingRetryAtMs,
    ].filter((due): due is number => due !== null);
    const atMs = this.#client === null || dues.length === 0 ? null : Math.min(...dues);
    if (atMs === this.#timerAtMs) return;
    this.#timer?.cancel();
    this.#timer = null;
    this.#timerAtMs = atMs;
    if (atMs === null) return;
    const { clock } = this.#o;
    this.#timer = clock.setTimer(Math.max(0, atMs - clock.nowMs()), () => {
      this.#timer = null;
      this.#timerAtMs = null;
      this.#due();
    });
  }

  #due(): void {
    const client = this.#client;
    if (client === null) return;
    const { clock, policy } = this.#o;
    const nowMs = clock.nowMs();
    const silent = (['ack', 'answer'] as const).filter((channel) => {
      const due = renewDueAtMs(this.#watches[channel]);
      return due !== null && due <= nowMs;
    });
    const missingDue = this.#missingRetryAtMs !== null && this.#missingRetryAtMs <= nowMs;
    if (silent.length === 0 && missingDue && this.#renewingOn !== client) {
      void this.#renew(client, this.#missing, false);
    }
    if (silent.length > 0 && this.#renewingOn !== client) {
      this.#log.warn(
        {
          code: 'AGENT_DOWNLINK_STALLED',
          channels: silent,
          silentMs: Math.max(
            ...silent.map((channel) => nowMs - (this.#watches[channel].waitingSinceMs ?? nowMs)),
          ),
          renewalCount: Math.max(...silent.map((channel) => this.#watches[channel].renewalCount)),
        },
        'nothing heard on the downlink while awaiting an answer; renewing the down subscriptions',
      );
      void this.#renew(client, this.#o.subscribe, true);
    }
    // Every waiting channel got (or is getting) the renewal: each waits again, longer.
    if (silent.length > 0) {
      for (const channel of ['ack', 'answer'] as const) {
        this.#watches = {
          ...this.#watches,
          [channel]: noteRenewed(policy, this.#watches[channel], nowMs, clock.random01()),
        };
      }
    }
    this.#arm();
  }

  /**
   * UNSUBSCRIBE `topics` (a stall; not when only re-subscribing missing ones), then SUBSCRIBE each
   * on its own: a refused, failed or unanswered one stays missing and is tried again later.
   */
  async #renew(client: RenewableClient, topics: readonly string[], unsubscribeFirst: boolean): Promise<void> {
    this.#renewingOn = client;
    this.#counts.renewals += 1;
    const answersExpectedCount = this.#answersExpectedCount;
    try {
      // Errors of the UNSUBSCRIBE are not fatal: the SUBSCRIBE after it is what counts.
      if (unsubscribeFirst) await this.#bounded(client.unsubscribeAsync([...topics])).catch(() => undefined);
      const errors: string[] = [];
      const granted = await Promise.all(
        topics.map((topic) =>
          this.#bounded(client.subscribeAsync([topic], { qos: 1 })).then(
            // mqtt.js rejects a SUBACK with 0x80; checked here too, as the wire says it.
            (grants) => (grants ?? []).every((grant) => grant.qos !== 128),
            (error: unknown) => {
              errors.push(String(error));
              return false;
            },
          ),
        ),
      );
      if (this.#client !== client) return;
      const missing = topics.filter((_, index) => granted[index] !== true);
      this.#settleMissing(missing, errors);
      if (
        !missing.includes(this.#o.channelTopics.answer) &&
        this.#answersExpectedCount === answersExpectedCount
      ) {
        // An answer HQ sent to the dead subscription is gone for good (its withdrawal reverses on its
        // own timeout): stop awaiting it, or one unanswered request would renew every few minutes
        // until the next withdrawal. A request sent during the renewal is still awaited.
        this.#answerAwaited = false;
      }
      this.changed();
      // HQ's acks of the silence went to the dead subscription: resend, so that HQ acks anew.
      if (!missing.includes(this.#o.channelTopics.ack)) this.#o.onRenewed(client);
    } finally {
      if (this.#renewingOn === client) this.#renewingOn = null;
    }
  }

  /** Records what a renewal left without a subscription and when it is tried again. */
  #settleMissing(missing: readonly string[], errors: readonly string[]): void {
    // Every renewal covers every missing topic (a stall renews all, a retry the missing ones).
    this.#missing = [...missing];
    if (this.#missing.length === 0) {
      this.#missingRetries = 0;
      this.#missingRetryAtMs = null;
      this.#log.info({ renewals: this.#counts.renewals }, 'down subscriptions renewed');
      return;
    }
    const { clock, policy } = this.#o;
    const retryInMs = renewalWaitMs(policy, this.#missingRetries, clock.random01());
    this.#missingRetries += 1;
    this.#missingRetryAtMs = clock.nowMs() + retryInMs;
    this.#counts.renewalsRefused += 1;
    this.#log.warn(
      {
        code: 'AGENT_DOWNLINK_RENEW_FAILED',
        topics: this.#missing,
        err: errors.slice(0, 2),
        retryInMs,
        renewalsRefused: this.#counts.renewalsRefused,
      },
      'some down subscriptions were refused, failed or not answered; tried again after a wait',
    );
  }

  /** `promise`, or a rejection after renewTimeoutMs: a broker that never answers must not hold the renewals. */
  async #bounded<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => undefined); // a late rejection after the timeout is not unhandled
    let timer: TimerHandle | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.#o.clock.setTimer(this.#o.renewTimeoutMs, () =>
        reject(new Error(`no answer within ${this.#o.renewTimeoutMs} ms`)),
      );
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      (timer as TimerHandle | null)?.cancel();
    }
  }
}
