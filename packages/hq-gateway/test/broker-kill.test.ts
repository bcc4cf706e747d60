// Goal: a Mosquitto killed with SIGKILL mid-stream (its in-memory sessions, queues and in-flight
// QoS 1 messages lost) neither stalls HQ's commits nor loses or doubles an event: every seq 1..N
// is stored once and acknowledged, and the resends are counted as duplicates, not quarantined.
// Method: a station publishes a burst of signed events; once part is acknowledged the broker is
// SIGKILLed and started again on the same port; HQ's link reconnects by itself; the station drains
// what HQ has not acknowledged (as the kiosk outbox does after a reconnect, and on HQ's
// Command{resend_from}); every wait listens to events, none sleeps.
import t from 'tap';
import type { MqttLink } from '../src/adapters/mqtt/mqtt-link.js';
import { type HqFixture, startHqFixture, until } from './helpers/hq-fixture.js';
import type { Sealed } from './helpers/station-sim.js';

const eventCount = 2_000;
let fx: HqFixture;

t.before(async () => {
  fx = await startHqFixture(['K1']);
});
t.teardown(async () => {
  await fx.close();
});

t.test(
  'broker SIGKILLed mid-stream: every event stored once and acked, resends are duplicates',
  async (t) => {
    const [k1] = fx.stations;
    const events: Sealed[] = [];
    for (let index = 0; index < eventCount; index += 1)
      events.push(k1!.billPayment(100, { quotaFenAfter: 0 }));
    const drainFrom = (fromSeq: number): void => {
      for (const event of events.slice(Math.max(0, fromSeq - 1)))
        void k1!.publish('event', event.bytes).catch(() => undefined);
    };
    k1!.on('resend', (fromSeq: number) => drainFrom(fromSeq));
    // Only the first half goes out before the kill, so the kill lands mid-stream however fast HQ
    // is; the rest is drained after the restart, as the kiosk outbox does.
    const sentBeforeKill = eventCount / 2;
    for (const event of events.slice(0, sentBeforeKill))
      void k1!.publish('event', event.bytes).catch(() => undefined);
    await k1!.waitForAck(Math.floor(eventCount / 5));
    await fx.broker.kill();
    t.ok(k1!.ackedSeq <= sentBeforeKill, `broker killed mid-stream (acked ${k1!.ackedSeq})`);
    await fx.broker.start();
    const link = fx.gateway.link as MqttLink;
    await until(link, ['state'], () => link.state.kind === 'connected');
    if (!k1!.connected) await new Promise((resolve) => k1!.once('connected', resolve));
    // The outbox drains after the reconnect; each round is answered by a (re-)ack, so a round
    // whose ack was lost with the broker is followed by another until HQ's ack covers everything.
    while (k1!.ackedSeq < eventCount) {
      const acks = k1!.acks.length;
      drainFrom(k1!.ackedSeq + 1);
      while (k1!.acks.length === acks) await new Promise((resolve) => k1!.once('ack', resolve));
      if (k1!.ackedSeq < eventCount) await fx.gateway.flush();
    }
    await fx.gateway.flush();
    const stored = await fx.gateway.store.eventsOfStation('K1');
    t.equal(stored.length, eventCount, 'every event stored');
    t.same(
      stored.map((e) => e.seq),
      events.map((e) => e.seq),
      'each seq exactly once, in order',
    );
    const counters = fx.gateway.pipeline.counters;
    t.equal(counters.stored, eventCount, 'nothing stored twice');
    t.equal(fx.gateway.pipeline.ackedSeq('K1'), eventCount, "HQ's ack point covers every event");
    t.equal(k1!.ackedSeq, eventCount, 'the station got the ack');
    t.same(counters.quarantinedByReason, {}, 'no resend quarantined');
    t.comment(`duplicates counted: ${counters.duplicates}`);
  },
);
