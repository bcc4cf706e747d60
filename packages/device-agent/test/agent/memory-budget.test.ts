// Goal: the memory guard's RSS marks follow the box's real limit (issue 13): under the unit's
// MemoryMax (160M) they are the shipped 116/104 MiB, under another limit they keep the same share,
// and with no limit (a test run, a dev laptop) only the heap is watched, so an agent started
// without the launcher's Node flags is not refused for an RSS nothing will kill it for.
// Method: memoryBudgetFor and underMemoryPressure (pure), a fast-check property over limits, and
// the cgroup reader on file texts of cgroup v1, v2 and unlimited machines.
import fc from 'fast-check';
import t from 'tap';
import { cgroupMemoryLimitFrom } from '../../src/adapters/system/cgroup-memory.js';
import { memoryBudgetFor, underMemoryPressure } from '../../src/domain/health/memory-pressure.js';
import {
  memoryHeapPercentHigh,
  memoryHeapPercentLow,
  memoryRssBytesHigh,
  memoryRssBytesLow,
  unitMemoryMaxBytes,
} from '../../src/limits.js';

const MiB = 1024 * 1024;
const marks = {
  unitMemoryMaxBytes,
  rssBytesHigh: memoryRssBytesHigh,
  rssBytesLow: memoryRssBytesLow,
  heapPercentHigh: memoryHeapPercentHigh,
  heapPercentLow: memoryHeapPercentLow,
};

t.test('the unit limit gives the shipped marks; no limit, none', async (t) => {
  const unit = memoryBudgetFor(160 * MiB, marks);
  t.equal(unit.rssBytesHigh, 116 * MiB);
  t.equal(unit.rssBytesLow, 104 * MiB);
  const none = memoryBudgetFor(undefined, marks);
  t.same([none.rssBytesHigh, none.rssBytesLow], [null, null]);
  const sample = { rssBytes: 400 * MiB, heapUsedBytes: 10 * MiB, heapLimitBytes: 4096 * MiB };
  t.notOk(underMemoryPressure(sample, none, false), 'no limit: 400 MiB RSS is not pressure');
  t.ok(underMemoryPressure(sample, unit, false), 'under MemoryMax=160M it is');
  t.ok(
    underMemoryPressure({ ...sample, heapUsedBytes: 3900 * MiB }, none, false),
    'the heap marks still apply with no limit',
  );
  t.throws(() => memoryBudgetFor(0, marks), /limitBytes/);
});

t.test('property: under any limit, 0 < low < high < limit, in the shipped proportion', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 64 * MiB, max: 64 * 1024 * MiB }), (limit) => {
      const b = memoryBudgetFor(limit, marks);
      if (b.rssBytesHigh === null || b.rssBytesLow === null) return false;
      const share = b.rssBytesHigh / limit;
      return (
        0 < b.rssBytesLow &&
        b.rssBytesLow < b.rssBytesHigh &&
        b.rssBytesHigh < limit &&
        Math.abs(share - 116 / 160) < 1e-6
      );
    }),
  );
  t.pass('held for every limit tried');
});

t.test('the cgroup limit: v2 memory.max, v1 limit_in_bytes, unlimited and unreadable', async (t) => {
  const files = (entries: Record<string, string>) => (path: string) => entries[path];
  t.equal(
    cgroupMemoryLimitFrom(
      files({
        '/proc/self/cgroup': '0::/system.slice/bianmin-kiosk.service\n',
        '/sys/fs/cgroup/system.slice/bianmin-kiosk.service/memory.max': '167772160\n',
      }),
    ),
    160 * MiB,
    'v2: the unit MemoryMax',
  );
  t.equal(
    cgroupMemoryLimitFrom(
      files({ '/proc/self/cgroup': '0::/user.slice\n', '/sys/fs/cgroup/user.slice/memory.max': 'max\n' }),
    ),
    undefined,
    'v2: max is no limit',
  );
  t.equal(
    cgroupMemoryLimitFrom(
      files({
        '/proc/self/cgroup': '9:name=systemd:/\n4:memory:/box/1\n0::/\n',
        '/sys/fs/cgroup/memory/box/1/memory.limit_in_bytes': '268435456\n',
      }),
    ),
    256 * MiB,
    'v1: the memory controller line',
  );
  t.equal(
    cgroupMemoryLimitFrom(
      files({
        '/proc/self/cgroup': '4:memory:/\n',
        '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
      }),
    ),
    undefined,
    'v1: 2^63 rounded to a page is no limit',
  );
  t.equal(cgroupMemoryLimitFrom(files({})), undefined, 'nothing readable: no limit known');
  t.equal(
    cgroupMemoryLimitFrom(
      files({ '/proc/self/cgroup': '0::/x\n', '/sys/fs/cgroup/x/memory.max': 'garbage' }),
    ),
    undefined,
    'a value that is not a number is not guessed at',
  );
});
