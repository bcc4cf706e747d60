// Goal: topic strings are built and parsed exactly as docs/protocol.md says, and anything else is
// refused with a typed error. Method: table of valid and invalid station ids and topics.

import t from 'tap';
import {
  channelPublishOptions,
  downChannels,
  downTopic,
  hqSharedSubscription,
  hqSubscription,
  isValidStationId,
  kioskSubscription,
  parseTopic,
  upChannels,
  upTopic,
  WireError,
} from '../src/index.js';

t.test('build and parse every channel', async (t) => {
  for (const channel of upChannels) {
    const topic = upTopic('ST-0001_a', channel);
    t.equal(topic, `bianmin/v1/st/ST-0001_a/up/${channel}`);
    t.same(parseTopic(topic), { direction: 'up', stationId: 'ST-0001_a', channel });
  }
  for (const channel of downChannels) {
    const topic = downTopic('X', channel);
    t.equal(topic, `bianmin/v1/st/X/down/${channel}`);
    t.same(parseTopic(topic), { direction: 'down', stationId: 'X', channel });
  }
});

t.test('QoS 1 everywhere except telemetry; only config is retained', async (t) => {
  for (const [channel, options] of Object.entries(channelPublishOptions)) {
    t.equal(options.qos, channel === 'telemetry' ? 0 : 1, `${channel} qos`);
    t.equal(options.retain, channel === 'config', `${channel} retain`);
  }
});

t.test('subscriptions', async (t) => {
  t.equal(hqSubscription, 'bianmin/v1/st/+/up/#');
  t.equal(hqSharedSubscription('hq'), '$share/hq/bianmin/v1/st/+/up/#');
  t.equal(kioskSubscription('ST0001'), 'bianmin/v1/st/ST0001/down/#');
  t.throws(() => hqSharedSubscription('a/b'), { code: 'WIRE_BAD_TOPIC' });
});

t.test('station ids: charset [A-Za-z0-9_-], 1..32', async (t) => {
  const valid = ['a', 'ST0001', 'st-01_x', 'A'.repeat(32), '31000123'];
  const invalid = ['', 'A'.repeat(33), 'a/b', 'a+b', 'a#', 'ST 01', 'ST.01', '站点', '%u', 'a\u0000'];
  for (const id of valid) t.ok(isValidStationId(id), `valid: ${id}`);
  for (const id of invalid) {
    t.notOk(isValidStationId(id), `invalid: ${JSON.stringify(id)}`);
    t.throws(() => upTopic(id, 'event'), { code: 'WIRE_BAD_STATION_ID' });
    t.throws(() => kioskSubscription(id), { code: 'WIRE_BAD_STATION_ID' });
  }
});

t.test('parse rejects everything outside the tree', async (t) => {
  const bad = [
    '',
    'bianmin/v1/st/ST0001/up',
    'bianmin/v1/st/ST0001/up/event/extra',
    'bianmin/v2/st/ST0001/up/event',
    'bianmin/v1/xx/ST0001/up/event',
    'bianmin/v1/st/ST0001/sideways/event',
    'bianmin/v1/st/ST0001/up/ack',
    'bianmin/v1/st/ST0001/down/event',
    'bianmin/v1/st/+/up/event',
    'bianmin/v1/st/ST0001/up/#',
    '/bianmin/v1/st/ST0001/up/event',
    `bianmin/v1/st/${'A'.repeat(200)}/up/event`,
  ];
  for (const topic of bad) {
    let code = 'none';
    try {
      parseTopic(topic);
    } catch (error) {
      code = error instanceof WireError ? error.code : 'not a WireError';
    }
    t.ok(
      ['WIRE_BAD_TOPIC', 'WIRE_BAD_STATION_ID'].includes(code),
      `refused: ${topic.slice(0, 60)} (${code})`,
    );
  }
  t.throws(() => parseTopic('bianmin/v1/st/ST0001/up/nope'), { code: 'WIRE_BAD_TOPIC' });
  t.throws(() => parseTopic('bianmin/v1/st/a+b/up/event'), { code: 'WIRE_BAD_STATION_ID' });
  t.throws(() => upTopic('ST0001', 'ack' as never), { code: 'WIRE_BAD_TOPIC' });
  t.throws(() => downTopic('ST0001', 'event' as never), { code: 'WIRE_BAD_TOPIC' });
});
