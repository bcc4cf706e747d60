// Goal: a new release's trial asks the doctor's questions through the running agent (issue 13):
// both devices answer and are the ones recorded at provisioning (a swapped cable fails), the UK key
// signs a test digest that verifies, the journal's disk keeps more than the reserve. Each failure
// names its check and code, which the kiosk reports when it rolls back.
// Method: the NamedChecks of adapters/ota/trial-checks.ts on fakes (trial-fixture.ts).
import t from 'tap';
import { diskCheck, peripheralsCheck, tokenCheck } from '../../src/adapters/ota/trial-checks.js';
import { answering, testSigner } from './trial-fixture.js';

const recorded = { cardReader: 'CR-1', pinPad: 'PP-1' };

t.test('peripherals: both answer and are the recorded ones', async (t) => {
  const ok = peripheralsCheck(
    async () => ({ cardReader: answering('CR-1'), pinPad: answering('PP-1') }),
    recorded,
  );
  t.same(await ok.run(), { ok: true, reason: '' });
  t.equal(ok.name, 'peripherals');
  const swapped = peripheralsCheck(
    async () => ({ cardReader: answering('PP-1'), pinPad: answering('CR-1') }),
    recorded,
  );
  t.same(await swapped.run(), {
    ok: false,
    reason:
      'card reader: serial PP-1 answers, provisioning recorded CR-1 (AGENT_DOCTOR_PERIPHERAL_MISMATCH); PIN pad: serial CR-1 answers, provisioning recorded PP-1 (AGENT_DOCTOR_PERIPHERAL_MISMATCH)',
  });
  const silent = peripheralsCheck(
    async () => ({
      cardReader: answering('CR-1'),
      pinPad: { link: 'open', errorCode: 'AGENT_SERIAL_TIMEOUT', errorMessage: 'no answer in 2000 ms' },
    }),
    recorded,
  );
  t.same(await silent.run(), {
    ok: false,
    reason: 'PIN pad does not answer (AGENT_SERIAL_TIMEOUT: no answer in 2000 ms)',
  });
  const unrecorded = peripheralsCheck(
    async () => ({ cardReader: answering('X'), pinPad: answering('Y') }),
    {},
  );
  t.same(await unrecorded.run(), { ok: true, reason: '' }, 'nothing recorded: answering is enough');
  const early = peripheralsCheck(() => undefined, recorded);
  t.same(await early.run(), { ok: false, reason: 'the agent is not running yet' });
});

t.test(
  'peripherals at a release start: asked again while a link opens; a mismatch fails at once',
  async (t) => {
    const opening = { link: 'opening', errorCode: 'AGENT_SERIAL_NOT_CONNECTED' } as const;
    let asked = 0;
    let pauses = 0;
    const retry = {
      pause: async () => {
        pauses += 1;
      },
      attemptsMax: 5,
    };
    const starting = peripheralsCheck(
      async () => {
        asked += 1;
        return asked < 3
          ? { cardReader: opening, pinPad: opening }
          : { cardReader: answering('CR-1'), pinPad: answering('PP-1') };
      },
      recorded,
      retry,
    );
    t.same(await starting.run(), { ok: true, reason: '' }, 'passes once both answer');
    t.equal(asked, 3);
    t.equal(pauses, 2, 'one pause between two attempts');
    const never = peripheralsCheck(
      async () => ({ cardReader: opening, pinPad: answering('PP-1') }),
      recorded,
      retry,
    );
    t.same(await never.run(), {
      ok: false,
      reason: 'card reader does not answer (AGENT_SERIAL_NOT_CONNECTED)',
    });
    t.equal(pauses, 6, 'bounded: attemptsMax asks, then the last problem');
    asked = 0;
    const swapped = peripheralsCheck(
      async () => {
        asked += 1;
        return { cardReader: answering('PP-1'), pinPad: answering('PP-1') };
      },
      recorded,
      retry,
    );
    t.match((await swapped.run()).reason, /AGENT_DOCTOR_PERIPHERAL_MISMATCH/);
    t.equal(asked, 1, 'another device answering is not waited for');
    t.throws(() => peripheralsCheck(() => undefined, recorded, { ...retry, attemptsMax: 0 }));
  },
);

t.test('token: a signature that verifies passes; another key fails with its code', async (t) => {
  t.same(await tokenCheck(testSigner('ST-1'), 'ST-1').run(), { ok: true, reason: '' });
  t.same(await tokenCheck(testSigner('ST-1', true), 'ST-1').run(), {
    ok: false,
    reason: 'the test signature does not verify (AGENT_DOCTOR_TOKEN_FAILED)',
  });
  await t.rejects(
    tokenCheck(
      {
        signDigest: async () => {
          throw new Error('AGENT_TOKEN_NOT_PRESENT: no token');
        },
        publicKey: async () => testSigner('ST-1').publicKey(),
      },
      'ST-1',
    ).run(),
    /AGENT_TOKEN_NOT_PRESENT/,
    'a token error propagates: TrialHealthCheck reports it under the check name',
  );
});

t.test('disk: more than the reserve passes; at or below it fails', async (t) => {
  const mib = 1024 * 1024;
  t.same(await diskCheck(() => 65 * mib, 64 * mib).run(), { ok: true, reason: '' });
  t.same(await diskCheck(() => 64 * mib, 64 * mib).run(), {
    ok: false,
    reason: '64 MiB free, reserve 64 MiB (AGENT_DOCTOR_DISK_LOW)',
  });
  t.throws(() => diskCheck(() => 0, -1), /reserveBytes/);
});
