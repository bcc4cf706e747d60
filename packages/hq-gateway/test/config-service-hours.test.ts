// Goal: the network's service hours (R20) come from hq.json's serviceHours, checked at the edge
// with every problem named, and reach every station's defaults; absent, the 08:00-20:00 default.
// Method: checkHqConfig on in-memory objects, stationDefaultsOf on what it accepts, and a property:
// every pair of times it accepts gives defaults with opens < closes inside one day.
import fc from 'fast-check';
import t from 'tap';
import { stationDefaults } from '../src/app/operations.js';
import { checkHqConfig } from '../src/config.js';
import { minuteOfDay, stationDefaultsOf } from '../src/config-service-hours.js';
import { HqError } from '../src/errors.js';

const base = { brokerUrl: 'mqtt://127.0.0.1:1883', clientId: 'gw-1', hqKeyFile: 'hq.pem', calendarDir: '.' };

function problemsOf(serviceHours: unknown): string[] {
  try {
    checkHqConfig({ ...base, dbPath: 'hq.db', serviceHours }, '/tmp');
  } catch (error) {
    if (error instanceof HqError) return error.problems.map((p) => `${p.code} ${p.message}`);
    throw error;
  }
  return [];
}

t.test('absent: the default hours; a good block reaches the defaults', async (t) => {
  const absent = checkHqConfig({ ...base, dbPath: 'hq.db' }, '/tmp');
  t.equal(stationDefaultsOf(absent.serviceHours), stationDefaults, 'absent: stationDefaults itself');
  const config = checkHqConfig(
    {
      ...base,
      dbPath: 'hq.db',
      serviceHours: {
        opensAt: '07:30',
        closesAt: '24:00',
        maintenance: ['12:00-12:30'],
        closedOnHolidays: true,
      },
    },
    '/tmp',
  );
  const defaults = stationDefaultsOf(config.serviceHours);
  t.equal(defaults.opensAtMinute, 450);
  t.equal(defaults.closesAtMinute, 1440);
  t.same(defaults.maintenanceMinutes, [[720, 750]]);
  t.equal(defaults.closedOnHolidays, true);
  t.equal(defaults.withdrawalFeeFen, stationDefaults.withdrawalFeeFen, 'the rest unchanged');
});

t.test('every problem named with its field and HQ_CONFIG_INVALID', async (t) => {
  t.same(problemsOf('08:00'), ['HQ_CONFIG_INVALID serviceHours: must be a object']);
  const many = problemsOf({
    opensAt: '8:00',
    closesAt: '25:00',
    maintenance: ['14:00-13:00', '23:00-23:30', 7],
    closedOnHolidays: 'no',
    weekend: true,
  });
  t.same(many.sort(), [
    'HQ_CONFIG_INVALID serviceHours.closedOnHolidays: must be true or false',
    "HQ_CONFIG_INVALID serviceHours.closesAt: must be a time 'HH:MM', e.g. '20:00' or '24:00'",
    "HQ_CONFIG_INVALID serviceHours.maintenance[0]: must be a window 'HH:MM-HH:MM' with its start before its end",
    "HQ_CONFIG_INVALID serviceHours.maintenance[2]: must be a window 'HH:MM-HH:MM' with its start before its end",
    "HQ_CONFIG_INVALID serviceHours.opensAt: must be a time 'HH:MM', e.g. '08:00'",
    'HQ_CONFIG_INVALID serviceHours.weekend: unknown key',
  ]);
  t.same(problemsOf({ opensAt: '20:00', closesAt: '08:00' }), [
    'HQ_CONFIG_INVALID serviceHours.closesAt: must be after opensAt (20:00)',
  ]);
  t.same(problemsOf({ opensAt: '08:00', closesAt: '20:00', maintenance: ['07:00-09:00'] }), [
    'HQ_CONFIG_INVALID serviceHours.maintenance[0]: must lie inside the opening hours',
  ]);
  t.same(
    problemsOf({
      opensAt: '00:00',
      closesAt: '24:00',
      maintenance: ['01:00-02:00', '03:00-04:00', '05:00-06:00', '07:00-08:00', '09:00-10:00'],
    }),
    ['HQ_CONFIG_INVALID serviceHours.maintenance: at most 4 windows'],
  );
  t.equal(minuteOfDay('12:60'), undefined, 'minutes past 59 are not a time');
  t.equal(minuteOfDay('24:01'), undefined, 'nothing after midnight');
});

t.test('property: accepted hours give opens < closes within one day', async (t) => {
  const time = fc
    .tuple(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 59 }))
    .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  let accepted = 0;
  fc.assert(
    fc.property(time, time, (opensAt, closesAt) => {
      const problems = problemsOf({ opensAt, closesAt });
      if (problems.length > 0) return true;
      accepted += 1;
      const d = stationDefaultsOf({ opensAt, closesAt });
      return d.opensAtMinute < d.closesAtMinute && d.opensAtMinute >= 0 && d.closesAtMinute <= 1440;
    }),
  );
  t.ok(accepted > 0, `some pairs accepted (${accepted})`);
});
