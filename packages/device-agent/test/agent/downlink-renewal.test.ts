// Goal: the real MqttLink renews its down subscriptions (issue 14: a NATS MQTT consumer dead with
// its node while the connection lives) exactly when a channel it awaits stays silent: events
// unacknowledged with no ack, or an authorisation request with no auth-resp; never while idle;
// the backoff starts over on a message; a refused SUBSCRIBE (SUBACK 0x80), a failed one or one
// never answered is logged (AGENT_DOWNLINK_RENEW_FAILED), counted and tried again after a longer
// wait, with the link still online and the unacknowledged events still in the outbox; a granted
// renewal resends them. Method: the MqttLink with an injected connect that hands out fake clients
// (EventEmitters recording SUBSCRIBE / UNSUBSCRIBE / PUBLISH, answering as the test scripts), an
// in-memory outbox, a clock whose timers fire only when the test advances it. No broker, no sleeps.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import t from 'tap';
import { MqttLink, type MqttLinkOptions } from '../../src/adapters/mqtt/mqtt-link.js';
import type { ClockPort, TimerHandle } from '../../src/ports/clock.js';
import type { OutboxPort, OutboxRow } from '../../src/ports/outbox.js';

type MqttClient = ReturnType<NonNullable<MqttLinkOptions['connect']>>;

const topics = {
  event: 'st/S1/up/event',
  birth: 'st/S1/up/birth',
  death: 'st/S1/up/death',
  telemetry: 'st/S1/up/telemetry',
  subscribe: ['st/S1/down/ack', 'st/S1/down/auth-resp', 'st/S1/down/config', 'st/S1/down/cmd'],
  ack: 'st/S1/down/ack',
  authResponse: 'st/S1/down/auth-resp',
};
const stall = { stallMsInitial: 20_000, stallMsMax: 120_000 };
const renewTimeoutMs = 5_000;

/** Timers fire only when the test advances the clock; random01 is fixed (0.5: waits 15, 30, 60, 90 s). */
class StepClock implements ClockPort {
  #nowMs = 1_800_000_000_000;
  #timers: { atMs: number; callback: () => void; cancelled: boolean }[] = [];
  nowMs(): number {
    return this.#nowMs;
  }
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer = { atMs: this.#nowMs + delayMs, callback, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
  random01(): number {
    return 0.5;
  }
  /** Moves time on by `ms` in steps of at most 1 s, firing due timers and letting promises run. */
  async advance(ms: number): Promise<void> {
    const endMs = this.#nowMs + ms;
    while (this.#nowMs < endMs) {
      this.#nowMs = Math.min(endMs, this.#nowMs + 1_000);
      const due = this.#timers.filter((timer) => !timer.cancelled && timer.atMs <= this.#nowMs);
      this.#timers = this.#timers.filter((timer) => !due.includes(timer));
      for (const timer of due.sort((a, b) => a.atMs - b.atMs)) timer.callback();
      await settle();
    }
  }
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

type SubscribeAnswer = 'grant' | 'refuse' | 'silent' | 'error';

/** What the link uses of an mqtt.js client; records what it sends, answers SUBSCRIBE as scripted. */
class FakeClient extends EventEmitter {
  readonly calls: string[] = [];
  readonly published: string[] = [];
  /** Per topic, the answers of its SUBSCRIBEs after the connect's, in order; then 'grant'. */
  readonly #answers = new Map<string, SubscribeAnswer[]>();
  #subscribes = 0;
  /** The next SUBSCRIBE of each of `topicList` (default every down topic) gets `answer`. */
  script(answer: SubscribeAnswer, topicList: readonly string[] = topics.subscribe): void {
    for (const topic of topicList) this.#answers.set(topic, [...(this.#answers.get(topic) ?? []), answer]);
  }
  async subscribeAsync(topicList: string[]): Promise<{ topic: string; qos: number }[]> {
    this.calls.push(`subscribe ${topicList.join(',')}`);
    this.#subscribes += 1;
    const answer = this.#subscribes === 1 ? 'grant' : (this.#answers.get(topicList[0]!)?.shift() ?? 'grant');
    if (answer === 'refuse')
      throw Object.assign(new Error('Subscribe error: Unspecified error'), { code: 128 });
    if (answer === 'error') throw new Error('client disconnecting');
    if (answer === 'silent') return await new Promise(() => undefined);
    return topicList.map((topic) => ({ topic, qos: 1 }));
  }
  async unsubscribeAsync(topicList: string[]): Promise<void> {
    this.calls.push(`unsubscribe ${topicList.length}`);
  }
  async publishAsync(topic: string): Promise<void> {
    this.published.push(topic);
  }
  publish(topic: string, _payload: Buffer, _options: unknown, callback?: (error?: Error) => void): void {
    this.published.push(topic);
    callback?.();
  }
  end(): void {}
  async endAsync(): Promise<void> {}
  /** A message from the broker on `topic`. */
  deliver(topic: string): void {
    this.emit('message', topic, Buffer.from([1]));
  }
  get eventPublishes(): number {
    return this.published.filter((topic) => topic === topics.event).length;
  }
  get renewals(): number {
    return this.calls.filter((call) => call.startsWith('unsubscribe')).length;
  }
}

class MemoryOutbox implements OutboxPort {
  rows: OutboxRow[] = [];
  acked = 0;
  append(count: number): void {
    for (let index = 0; index < count; index += 1) {
      const seq = this.headSeq() + 1;
      this.rows.push({ seq, eventId: `e-${seq}`, payloadType: 'TEST', envelopeBytes: new Uint8Array([seq]) });
    }
  }
  headSeq(): number {
    return this.rows.at(-1)?.seq ?? this.acked;
  }
  ackedThroughSeq(): number {
    return this.acked;
  }
  read(fromSeq: number, toSeq: number): OutboxRow[] {
    return this.rows.filter((row) => row.seq >= fromSeq && row.seq <= toSeq);
  }
  acknowledgeThrough(ackSeq: number): number {
    const before = this.rows.length;
    this.rows = this.rows.filter((row) => row.seq > ackSeq);
    this.acked = Math.max(this.acked, ackSeq);
    return before - this.rows.length;
  }
  depth(): number {
    return this.rows.length;
  }
}

async function onlineLink(t: import('tap').Test) {
  const clock = new StepClock();
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (text: string) => lines.push(JSON.parse(text)) });
  const outbox = new MemoryOutbox();
  const clients: FakeClient[] = [];
  let bdSeq = 0;
  const signed = async () => new Uint8Array([9]);
  const link = new MqttLink({
    brokerUrl: 'mqtt://node-a:1883',
    stationId: 'S1',
    topics,
    outbox,
    status: { nextBdSeq: () => ++bdSeq, death: signed, birth: signed, telemetry: signed },
    clock,
    logger,
    windowMax: 8,
    ackTimeoutMs: 10_000,
    heartbeatMs: 3_600_000,
    backoffMsInitial: 100,
    backoffMsMax: 1_000,
    connectTimeoutMs: 5_000,
    keepaliveSeconds: 30,
    ackFlushMs: 10,
    downlinkStall: stall,
    downlinkRenewTimeoutMs: renewTimeoutMs,
    connect: () => {
      const client = new FakeClient();
      clients.push(client);
      return client as unknown as MqttClient;
    },
  });
  link.start();
  await settle();
  clients.at(-1)!.emit('connect');
  await settle();
  t.equal(link.state().kind, 'online', 'online');
  t.teardown(() => link.stop());
  const codes = (code: string) => lines.filter((line) => line.code === code);
  return { link, clock, outbox, clients, client: () => clients.at(-1)!, codes };
}

t.test('idle: nothing awaited, no renewal however long the silence', async (t) => {
  const { link, clock, client, codes } = await onlineLink(t);
  await clock.advance(3_600_000);
  t.equal(client().renewals, 0, 'no UNSUBSCRIBE in an idle hour');
  t.equal(codes('AGENT_DOWNLINK_STALLED').length, 0, 'nothing logged');
  t.equal(link.downlinkCounts().renewals, 0, 'nothing counted');
});

t.test('events unacknowledged, acks silent: renewed after the wait, then the window resent', async (t) => {
  const { link, clock, outbox, client, codes } = await onlineLink(t);
  outbox.append(3);
  link.outboxChanged();
  t.equal(client().eventPublishes, 3, 'three events published');
  await clock.advance(14_000);
  t.equal(client().renewals, 0, 'not before the wait (15 s at jitter 0.5)');
  t.equal(client().eventPublishes, 6, 'the ack timeout resent the window first (10 s)');
  await clock.advance(1_000);
  t.same(
    client().calls.slice(1),
    ['unsubscribe 4', ...topics.subscribe.map((topic) => `subscribe ${topic}`)],
    'every down topic: UNSUBSCRIBE, then SUBSCRIBE',
  );
  const stalled = codes('AGENT_DOWNLINK_STALLED');
  t.equal(stalled.length, 1, 'logged with its code');
  t.same(stalled[0]?.channels, ['ack'], 'the silent channel named');
  t.equal(client().eventPublishes, 9, 'granted: the unacknowledged window is sent again');
  t.equal(link.state().kind, 'online', 'the connection stays up');
  t.same(link.downlinkCounts(), { renewals: 1, renewalsRefused: 0 }, 'counted for the status');

  client().deliver(topics.ack);
  link.acknowledged(3);
  await clock.advance(600_000);
  t.equal(client().renewals, 1, 'acked: nothing awaited, no more renewals');
});

t.test('a message on the ack channel starts the backoff over', async (t) => {
  const { link, clock, outbox, client } = await onlineLink(t);
  outbox.append(2);
  link.outboxChanged();
  await clock.advance(10_000);
  client().deliver(topics.ack);
  link.acknowledged(1); // seq 2 still unacknowledged
  await clock.advance(14_000);
  t.equal(client().renewals, 0, 'the silence began again at the ack');
  await clock.advance(1_000);
  t.equal(client().renewals, 1, 'renewed 15 s after the last ack');
  client().deliver(topics.ack);
  await clock.advance(14_000);
  t.equal(client().renewals, 1, 'a message after the renewal: back to the first wait, not the second');
  await clock.advance(1_000);
  t.equal(client().renewals, 2, 'the first wait again');
});

t.test('a message on another channel does not hide a silent ack channel', async (t) => {
  const { link, clock, outbox, client } = await onlineLink(t);
  outbox.append(1);
  link.outboxChanged();
  for (let second = 0; second < 15; second += 1) {
    client().deliver(topics.authResponse);
    client().deliver('st/S1/down/config');
    await clock.advance(1_000);
  }
  t.equal(client().renewals, 1, 'each subscription is its own consumer: the ack channel is renewed');
});

t.test(
  'SUBSCRIBE refused, failed or unanswered: logged, counted, the missing topics tried again, nothing lost',
  async (t) => {
    const { link, clock, outbox, client, codes } = await onlineLink(t);
    const [ackTopic, answerTopic, configTopic, cmdTopic] = topics.subscribe as [
      string,
      string,
      string,
      string,
    ];
    client().script('refuse'); // the stall's renewal: every topic refused (SUBACK 0x80)
    client().script('error', [configTopic]); // then config fails once more
    client().script('silent', [cmdTopic]); // and cmd gets no SUBACK once
    outbox.append(2);
    link.outboxChanged();
    await clock.advance(15_000);
    t.equal(client().renewals, 1, 'the stall renewal at 15 s');
    t.equal(codes('AGENT_DOWNLINK_RENEW_FAILED').length, 1, 'SUBACK 0x80: logged with its code');
    t.match(codes('AGENT_DOWNLINK_RENEW_FAILED')[0]?.err, [/Unspecified error/]);
    t.same(codes('AGENT_DOWNLINK_RENEW_FAILED')[0]?.topics, topics.subscribe, 'every topic missing');
    t.equal(link.state().kind, 'online', 'a refusal does not drop the connection');
    t.same(link.downlinkCounts(), { renewals: 1, renewalsRefused: 1 });
    const subscribesBefore = client().calls.length;
    const publishesBefore = client().eventPublishes;
    await clock.advance(15_000 + renewTimeoutMs);
    t.same(
      client().calls.slice(subscribesBefore),
      topics.subscribe.map((topic) => `subscribe ${topic}`),
      'the missing topics subscribed again after 15 s, without an UNSUBSCRIBE',
    );
    t.ok(client().eventPublishes > publishesBefore, 'the ack topic granted: the window is sent again');
    t.equal(codes('AGENT_DOWNLINK_RENEW_FAILED').length, 2, 'a failed and an unanswered SUBSCRIBE: logged');
    t.same(
      codes('AGENT_DOWNLINK_RENEW_FAILED')[1]?.topics,
      [configTopic, cmdTopic],
      'those two still missing',
    );
    t.same(
      outbox.rows.map((row) => row.seq),
      [1, 2],
      'the unacknowledged events are still in the outbox',
    );
    client().deliver(ackTopic);
    link.acknowledged(2);
    await clock.advance(1_000); // rows are deleted at the next ack flush
    t.same(outbox.rows, [], 'HQ acked through the renewed subscription: the outbox drains');

    const retryFrom = client().calls.length;
    await clock.advance(30_000);
    t.same(
      client().calls.slice(retryFrom),
      [`subscribe ${configTopic}`, `subscribe ${cmdTopic}`],
      'nothing awaited, but config and cmd are subscribed again after a longer wait (30 s)',
    );
    t.same(link.downlinkCounts(), { renewals: 3, renewalsRefused: 2 });
    const settledAt = client().calls.length;
    await clock.advance(3_600_000);
    t.equal(client().calls.length, settledAt, 'every topic subscribed: nothing more');
    t.notOk(
      client().calls.some((call) => call.includes(answerTopic) && call.startsWith('unsubscribe')),
      'no stray UNSUBSCRIBE',
    );
  },
);

t.test(
  'an authorisation request unanswered: the auth-resp channel is renewed; an answer settles it',
  async (t) => {
    const { link, clock, client } = await onlineLink(t);
    t.ok(await link.sendDirect('st/S1/up/auth-req', new Uint8Array([1]), { expectsAnswer: true }), 'sent');
    await clock.advance(15_000);
    t.equal(client().renewals, 1, 'no answer for 15 s: renewed');
    client().deliver(topics.authResponse);
    await clock.advance(600_000);
    t.equal(client().renewals, 1, 'answered: nothing awaited');
    t.ok(
      await link.sendDirect('st/S1/up/telemetry', new Uint8Array([1])),
      'a message that expects no answer',
    );
    await clock.advance(600_000);
    t.equal(client().renewals, 1, 'awaits nothing');
  },
);

t.test('an authorisation answer lost for good: one granted renewal, then no more', async (t) => {
  const { link, clock, client } = await onlineLink(t);
  t.ok(await link.sendDirect('st/S1/up/auth-req', new Uint8Array([1]), { expectsAnswer: true }), 'sent');
  await clock.advance(15_000);
  t.equal(client().renewals, 1, 'no answer for 15 s: renewed (granted)');
  await clock.advance(3_600_000);
  t.equal(client().renewals, 1, 'the answer went to the dead subscription: no longer awaited');
  t.ok(
    await link.sendDirect('st/S1/up/auth-req', new Uint8Array([2]), { expectsAnswer: true }),
    'next request',
  );
  await clock.advance(29_000);
  t.equal(client().renewals, 1, 'nothing heard on auth-resp since the renewal: the next, longer wait (30 s)');
  await clock.advance(1_000);
  t.equal(client().renewals, 2, 'the next request is watched again');
});

t.test(
  'a connection lost mid-renewal: no crash; the next connection starts with fresh watches',
  async (t) => {
    const { link, clock, outbox, clients, codes } = await onlineLink(t);
    clients[0]!.script('silent');
    outbox.append(1);
    link.outboxChanged();
    await clock.advance(15_000);
    t.equal(clients[0]!.renewals, 1, 'renewal under way (no SUBACK)');
    clients[0]!.emit('close');
    t.equal(link.state().kind, 'backoff', 'link lost');
    await clock.advance(1_000);
    clients[1]!.emit('connect');
    await clock.advance(1_000);
    t.equal(link.state().kind, 'online', 'online on a new connection');
    await clock.advance(renewTimeoutMs);
    t.equal(clients[1]!.renewals, 0, 'the new connection subscribed afresh: no renewal yet');
    t.equal(codes('AGENT_DOWNLINK_RENEW_FAILED').length, 0, "the old connection's renewal ended quietly");
    t.same(
      outbox.rows.map((row) => row.seq),
      [1],
      'the event waits in the outbox',
    );
    await clock.advance(15_000);
    t.equal(clients[1]!.renewals, 1, 'the new connection renews after its own wait');
  },
);
