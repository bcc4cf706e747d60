// Goal: the OTA runner's two systemd-side adapters do what the trial needs (issue 13): the
// restarter tells the service manager it stops on purpose and asks systemd for a non-blocking
// restart of the agent's unit; the trial health check runs the doctor, broker and journal-chain
// checks in order and names the first that fails, throws, or does not answer before the deadline.
// Method: fakes for the service manager and spawn, a manual clock for the deadline (no sleeps).
import t from 'tap';
import { TrialHealthCheck } from '../../src/adapters/ota/health-check.js';
import { SystemdRestarter } from '../../src/adapters/ota/systemd-restarter.js';
import { ManualClock } from '../agent/helpers.js';

t.test('restart: STOPPING=1 to the service manager, then systemctl restart --no-block', async (t) => {
  const calls: string[] = [];
  const restarter = new SystemdRestarter({
    unit: 'bianmin-kiosk.service',
    serviceManager: { notify: (a) => calls.push(`notify ${a.join(' ')}`), close: async () => undefined },
    spawn: (command, args) => calls.push(`${command} ${args.join(' ')}`),
  });
  restarter.restart();
  t.same(calls, [
    'notify STOPPING=1 STATUS=restarting into the release the OTA switch selected',
    'systemctl restart --no-block bianmin-kiosk.service',
  ]);
  t.throws(
    () =>
      new SystemdRestarter({
        unit: 'x; rm -rf /',
        serviceManager: { notify: () => undefined, close: async () => undefined },
        spawn: () => undefined,
      }),
    /service unit name/,
  );
});

t.test('health check: all pass; the first failure, a throw, or the deadline names its check', async (t) => {
  const clock = new ManualClock();
  const ok = { name: 'doctor', run: async () => ({ ok: true, reason: '' }) };
  const pass = new TrialHealthCheck({ clock, deadlineMs: 60_000, checks: [ok, { ...ok, name: 'broker' }] });
  t.same(await pass.run(), { ok: true, reason: '' });
  const broker = {
    name: 'broker',
    run: async () => ({ ok: false, reason: 'CONNACK refused (not authorised)' }),
  };
  const chain = { name: 'journal-chain', run: async () => ({ ok: true, reason: '' }) };
  t.same(await new TrialHealthCheck({ clock, deadlineMs: 60_000, checks: [ok, broker, chain] }).run(), {
    ok: false,
    reason: 'broker: CONNACK refused (not authorised)',
  });
  const throwing = {
    name: 'journal-chain',
    run: async () => Promise.reject(new Error('seq 41 does not link to 40')),
  };
  t.same(
    (await new TrialHealthCheck({ clock, deadlineMs: 60_000, checks: [throwing] }).run()).reason,
    'journal-chain: seq 41 does not link to 40',
  );
  const hanging = {
    name: 'broker',
    run: () => new Promise<{ ok: boolean; reason: string }>(() => undefined),
  };
  const verdict = new TrialHealthCheck({ clock, deadlineMs: 60_000, checks: [ok, hanging] }).run();
  await Promise.resolve();
  await Promise.resolve();
  clock.advance(60_000);
  t.same(await verdict, { ok: false, reason: 'broker: no answer within 60000 ms' });
});
