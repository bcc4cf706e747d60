// Goal: the never-lock rules, which SoftHSM cannot exercise (it never locks a PIN). Method: the
// pure decision over token flags as a table, the CKR classification, the probe backoff, and the
// signer driven through a fake PKCS#11 binding whose flags say locked / final try / count low or
// whose C_Login answers CKR_PIN_INCORRECT, counting every C_Login it receives.
import t from 'tap';
import type { Pkcs11Binding, TokenInfoView } from '../../src/adapters/pkcs11/binding.js';
import { Pkcs11Signer } from '../../src/adapters/pkcs11/pkcs11-signer.js';
import { decideLogin, decodeTokenFlags, tokenFlagBits } from '../../src/domain/token/login-policy.js';
import { probeDelayMs } from '../../src/domain/token/probe-backoff.js';
import { ckr, classifyCkr } from '../../src/domain/token/return-values.js';
import { createLogger } from '../../src/logging.js';

const ready =
  tokenFlagBits.CKF_TOKEN_INITIALIZED |
  tokenFlagBits.CKF_USER_PIN_INITIALIZED |
  tokenFlagBits.CKF_LOGIN_REQUIRED;

t.test('decideLogin: every refusal listed, most severe first', async (t) => {
  const cases: Array<[string, number, boolean, string[] | 'login' | 'no-login-needed']> = [
    ['healthy token', ready, false, 'login'],
    ['no login required', ready & ~tokenFlagBits.CKF_LOGIN_REQUIRED, false, 'no-login-needed'],
    ['count low', ready | tokenFlagBits.CKF_USER_PIN_COUNT_LOW, false, ['AGENT_TOKEN_PIN_COUNT_LOW']],
    ['final try', ready | tokenFlagBits.CKF_USER_PIN_FINAL_TRY, false, ['AGENT_TOKEN_PIN_FINAL_TRY']],
    ['locked', ready | tokenFlagBits.CKF_USER_PIN_LOCKED, false, ['AGENT_TOKEN_PIN_LOCKED']],
    ['uninitialised', tokenFlagBits.CKF_LOGIN_REQUIRED, false, ['AGENT_TOKEN_NOT_INITIALIZED']],
    ['rejected before', ready, true, ['AGENT_TOKEN_PIN_REJECTED']],
    [
      'everything wrong at once (R21)',
      tokenFlagBits.CKF_USER_PIN_LOCKED |
        tokenFlagBits.CKF_USER_PIN_FINAL_TRY |
        tokenFlagBits.CKF_USER_PIN_COUNT_LOW,
      true,
      [
        'AGENT_TOKEN_PIN_REJECTED',
        'AGENT_TOKEN_PIN_LOCKED',
        'AGENT_TOKEN_PIN_FINAL_TRY',
        'AGENT_TOKEN_PIN_COUNT_LOW',
        'AGENT_TOKEN_NOT_INITIALIZED',
      ],
    ],
  ];
  for (const [name, flags, rejectedBefore, expected] of cases) {
    const decision = decideLogin(decodeTokenFlags(flags), rejectedBefore);
    if (typeof expected === 'string') t.equal(decision.kind, expected, name);
    else
      t.same(
        decision.kind === 'refuse' ? decision.refusals.map((r) => r.code) : decision.kind,
        expected,
        name,
      );
  }
  t.throws(() => decodeTokenFlags(-1));
});

t.test('classifyCkr', async (t) => {
  t.equal(classifyCkr(ckr.CKR_PIN_INCORRECT), 'pin-incorrect');
  t.equal(classifyCkr(ckr.CKR_PIN_LOCKED), 'pin-locked');
  for (const code of [
    ckr.CKR_DEVICE_REMOVED,
    ckr.CKR_SESSION_HANDLE_INVALID,
    ckr.CKR_TOKEN_NOT_PRESENT,
    ckr.CKR_SESSION_CLOSED,
    ckr.CKR_CRYPTOKI_NOT_INITIALIZED,
    ckr.CKR_OBJECT_HANDLE_INVALID,
  ]) {
    t.equal(classifyCkr(code), 'token-lost', `0x${code.toString(16)}`);
  }
  t.equal(classifyCkr(ckr.CKR_USER_ALREADY_LOGGED_IN), 'already-logged-in');
  t.equal(classifyCkr(0x70), 'other', 'CKR_MECHANISM_INVALID');
});

t.test('probe backoff: doubles, caps, jitters within the ratio', async (t) => {
  const backoff = { msInitial: 500, msMax: 30_000, jitterRatio: 0.2 };
  t.same(
    [0, 1, 2, 5, 6, 40].map((n) => probeDelayMs(n, 0, backoff)),
    [500, 1000, 2000, 16_000, 30_000, 30_000],
  );
  t.equal(probeDelayMs(0, 0.999, backoff), 600);
  t.throws(() => probeDelayMs(0, 1, backoff));
  t.throws(() => probeDelayMs(-1, 0, backoff));
});

/** A one-token fake module: configurable flags and login result; counts logins. */
function fakeBinding(flags: number, loginCkr: number | null) {
  const calls = { login: 0, sign: 0 };
  const handle = (n: number) => Buffer.from([n]);
  const info: TokenInfoView = {
    label: 'FAKE',
    serialNumber: 'F00D',
    model: 'fake',
    manufacturerID: 'test',
    flags,
  };
  const fail = (code: number) => Object.assign(new Error(`CKR 0x${code.toString(16)}`), { code });
  const binding: Pkcs11Binding = {
    load() {},
    C_Initialize() {},
    C_Finalize() {},
    C_GetSlotList: () => [handle(1)],
    C_GetTokenInfo: () => info,
    C_OpenSession: () => handle(2),
    C_CloseSession() {},
    C_Login() {
      calls.login += 1;
      if (loginCkr !== null) throw fail(loginCkr);
    },
    C_Logout() {},
    C_FindObjectsInit() {},
    C_FindObjects: () => [handle(3)],
    C_FindObjectsFinal() {},
    C_GetAttributeValue: () => [],
    C_SignInit() {},
    C_Sign: () => {
      calls.sign += 1;
      return Buffer.alloc(64, 7);
    },
    C_GenerateKeyPair: () => ({ publicKey: handle(4), privateKey: handle(5) }),
  };
  return { binding, calls };
}

const logger = createLogger({ name: 'test-login-policy' });
const digest = new Uint8Array(32);
const pinEnv = 'BIANMIN_TEST_FAKE_PIN';
process.env[pinEnv] = '123456';

function signerOn(binding: Pkcs11Binding) {
  return new Pkcs11Signer({
    modulePath: '/fake.so',
    token: { label: 'FAKE' },
    keyLabel: 'k',
    pin: { env: pinEnv },
    logger,
    createBinding: () => binding,
    probe: { enabled: false },
  });
}

t.test('signer never attempts a login the flags forbid', async (t) => {
  for (const [bit, code] of [
    [tokenFlagBits.CKF_USER_PIN_LOCKED, 'AGENT_TOKEN_PIN_LOCKED'],
    [tokenFlagBits.CKF_USER_PIN_FINAL_TRY, 'AGENT_TOKEN_PIN_FINAL_TRY'],
    [tokenFlagBits.CKF_USER_PIN_COUNT_LOW, 'AGENT_TOKEN_PIN_COUNT_LOW'],
  ] as const) {
    const { binding, calls } = fakeBinding(ready | bit, null);
    const signer = signerOn(binding);
    await t.rejects(signer.signDigest(digest), { code }, code);
    await t.rejects(signer.signDigest(digest), { code }, `${code} again`);
    const state = signer.state();
    t.equal(state.kind, 'locked');
    if (state.kind === 'locked') t.same(state.codes, [code]);
    t.equal(calls.login, 0, 'no C_Login');
    t.equal(calls.sign, 0, 'nothing signed');
  }
  const { binding, calls } = fakeBinding(tokenFlagBits.CKF_LOGIN_REQUIRED, null);
  await t.rejects(signerOn(binding).signDigest(digest), { code: 'AGENT_TOKEN_NOT_INITIALIZED' });
  t.equal(calls.login, 0);
});

t.test('CKR_PIN_INCORRECT: one attempt, alarm state, never again', async (t) => {
  const { binding, calls } = fakeBinding(ready, ckr.CKR_PIN_INCORRECT);
  const signer = signerOn(binding);
  const states: string[] = [];
  signer.onStateChange((state) => states.push(state.kind));
  await t.rejects(signer.signDigest(digest), { code: 'AGENT_TOKEN_PIN_REJECTED' });
  for (let i = 0; i < 5; i += 1)
    await t.rejects(signer.signDigest(digest), { code: 'AGENT_TOKEN_PIN_REJECTED' });
  t.equal(calls.login, 1, 'exactly one C_Login');
  t.equal(calls.sign, 0);
  t.same(states, ['pin-rejected']);
});

t.test('CKR_PIN_LOCKED from C_Login becomes the locked state', async (t) => {
  const { binding, calls } = fakeBinding(ready, ckr.CKR_PIN_LOCKED);
  const signer = signerOn(binding);
  await t.rejects(signer.signDigest(digest), { code: 'AGENT_TOKEN_PIN_LOCKED' });
  t.equal(signer.state().kind, 'locked');
  t.equal(calls.login, 1);
});

t.test('a healthy fake signs; a non-loss CKR maps to AGENT_TOKEN_SIGN_FAILED', async (t) => {
  const { binding } = fakeBinding(ready, null);
  const signer = signerOn(binding);
  t.equal((await signer.signDigest(digest)).length, 64);
  binding.C_Sign = () => {
    throw Object.assign(new Error('CKR_MECHANISM_INVALID'), { code: 0x70 });
  };
  await t.rejects(signer.signDigest(digest), { code: 'AGENT_TOKEN_SIGN_FAILED' });
  binding.C_Sign = () => Buffer.alloc(70);
  await t.rejects(signer.signDigest(digest), { code: 'AGENT_TOKEN_SIGN_FAILED' });
  binding.C_GetAttributeValue = () => [{ type: 0x181, value: Buffer.alloc(67, 0x05) }];
  await t.rejects(signer.publicKey(), { code: 'AGENT_TOKEN_BAD_PUBLIC_KEY' });
});
