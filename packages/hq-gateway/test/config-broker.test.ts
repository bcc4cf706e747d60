// Goal: the config's broker kind (issue 14) is checked at the edge with every problem at once.
// Method: checkHqConfig on in-memory objects: absent and 'mqtt' change nothing, a good 'nats'
// block passes through, bad fields are each named, and 'nats' without PostgreSQL is refused.
import t from 'tap';
import { checkHqConfig } from '../src/config.js';
import { HqError } from '../src/errors.js';

const base = { brokerUrl: 'mqtt://127.0.0.1:1883', clientId: 'gw-1', hqKeyFile: 'hq.pem', calendarDir: '.' };
const postgres = { store: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/hq' } };
const nats = {
  kind: 'nats',
  natsUrls: ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223'],
  mqttUrls: ['mqtt://127.0.0.1:1884', 'mqtt://127.0.0.1:1885'],
  partitions: 8,
};

function problemsOf(value: unknown): string[] {
  try {
    checkHqConfig(value, '/tmp');
  } catch (error) {
    if (error instanceof HqError) return error.problems.map((p) => p.message);
    throw error;
  }
  return [];
}

t.test('absent or mqtt: unchanged; nats with PostgreSQL: passed through', async (t) => {
  t.equal(
    checkHqConfig({ ...base, dbPath: 'hq.db' }, '/tmp').broker,
    undefined,
    'absent stays absent (MQTT)',
  );
  t.same(checkHqConfig({ ...base, dbPath: 'hq.db', broker: { kind: 'mqtt' } }, '/tmp').broker, {
    kind: 'mqtt',
  });
  t.same(checkHqConfig({ ...base, ...postgres, broker: nats }, '/tmp').broker, nats, 'nats block kept');
});

t.test('HQ_CONFIG_INVALID: every broker problem at once', async (t) => {
  const problems = problemsOf({
    ...base,
    dbPath: 'hq.db',
    broker: { kind: 'nats', natsUrls: [], mqttUrls: ['http://x'], partitions: 0 },
  });
  t.ok(
    problems.some((m) => m.startsWith('broker.natsUrls')),
    'natsUrls named',
  );
  t.ok(
    problems.some((m) => m.startsWith('broker.mqttUrls')),
    'mqttUrls named',
  );
  t.ok(
    problems.some((m) => m.startsWith('broker.partitions')),
    'partitions named',
  );
  t.ok(
    problems.some((m) => m.includes("needs store { kind: 'postgres' }")),
    'SQLite store refused for nats',
  );
  t.ok(
    problemsOf({ ...base, ...postgres, broker: { kind: 'kafka' } }).some((m) => m.startsWith('broker.kind')),
    'unknown kind named',
  );
});
