// Goal: prove the UK-key signer against a real PKCS#11 module. Method: a SoftHSM2 token in a temp
// dir (test/helpers/softhsm.ts); the key is generated on it by ensureSigningKey, inspected through
// a raw pkcs11js session (sensitive, not extractable, CKA_VALUE unreadable), signatures verified
// with Node's crypto (ieee-p1363), and the token pulled (directory moved away) or the module
// finalised under the signer to show nothing is signed, a typed error comes back, and the signer
// recovers on the next call or through its background probe (driven by fake timers).
import { createHash, createPublicKey, verify } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import t from 'tap';
import { createPkcs11jsBinding } from '../../src/adapters/pkcs11/binding.js';
import { Pkcs11Signer, type ProbeTimers } from '../../src/adapters/pkcs11/pkcs11-signer.js';
import { ensureSigningKey } from '../../src/adapters/pkcs11/provision-key.js';
import {
  findToken,
  generateP256KeyPair,
  initializeModule,
  loginSafely,
} from '../../src/adapters/pkcs11/token-access.js';
import { isAgentError } from '../../src/errors.js';
import { createLogger } from '../../src/logging.js';
import { softhsmModulePath, startSoftHsm } from '../helpers/softhsm.js';

const hsm = startSoftHsm({ label: 'SIGNER-T' });
t.teardown(() => hsm.close());
const logger = createLogger({ name: 'test-pkcs11', level: 'debug' });
const keyLabel = 'kiosk-signing';
const base = {
  modulePath: softhsmModulePath,
  token: { label: hsm.label },
  keyLabel,
  pin: { file: hsm.pinFile },
};

function digestOf(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text).digest());
}

function verifies(pem: string, digestText: string, signature: Uint8Array): boolean {
  // ECDSA over a prehashed digest: Node's verify with algorithm sha256 hashes the message itself.
  return verify(
    'sha256',
    Buffer.from(digestText),
    { key: createPublicKey(pem), dsaEncoding: 'ieee-p1363' },
    signature,
  );
}

class ManualTimers implements ProbeTimers {
  pending: Array<{ callback: () => void; delayMs: number; id: number }> = [];
  #nextId = 1;
  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.#nextId++;
    this.pending.push({ callback, delayMs, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((entry) => entry.id !== handle);
  }
  fireNext(): number {
    const entry = this.pending.shift();
    if (entry === undefined) throw new Error('no timer pending');
    entry.callback();
    return entry.delayMs;
  }
}

t.test('provisioning generates a P-256 key on the token, sensitive and not extractable', async (t) => {
  const first = ensureSigningKey(base);
  t.equal(first.created, true, 'the key was created');
  t.equal(first.token.serial, hsm.serial);
  t.match(first.publicKey.pem, /BEGIN PUBLIC KEY/);
  t.match(first.publicKey.fingerprintSha256Hex, /^[0-9a-f]{64}$/);
  const again = ensureSigningKey(base);
  t.equal(again.created, false, 'a second provision never overwrites the key');
  t.equal(again.publicKey.fingerprintSha256Hex, first.publicKey.fingerprintSha256Hex, 'same key kept');

  // Inspect the private key through a raw session.
  const raw = new pkcs11js.PKCS11();
  raw.load(softhsmModulePath);
  raw.C_Initialize();
  t.teardown(() => raw.C_Finalize());
  const binding = raw as unknown as ReturnType<typeof createPkcs11jsBinding>;
  const token = findToken(binding, { label: hsm.label });
  if (token === null) throw new Error('token not found');
  const session = raw.C_OpenSession(token.slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  t.equal(loginSafely(binding, session, token, false, { file: hsm.pinFile }).kind, 'logged-in');
  raw.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_LABEL, value: keyLabel },
  ]);
  const handles = raw.C_FindObjects(session, 4);
  raw.C_FindObjectsFinal(session);
  t.equal(handles.length, 1, 'exactly one private key under the label');
  const [attrs] = [
    raw.C_GetAttributeValue(session, handles[0]!, [
      { type: pkcs11js.CKA_SENSITIVE },
      { type: pkcs11js.CKA_EXTRACTABLE },
      { type: pkcs11js.CKA_TOKEN },
    ]),
  ];
  t.same(
    attrs!.map((attribute) => Buffer.from(attribute.value as Buffer)[0]),
    [1, 0, 1],
    'CKA_SENSITIVE true, CKA_EXTRACTABLE false, CKA_TOKEN true',
  );
  const usage = raw.C_GetAttributeValue(session, handles[0]!, [
    { type: pkcs11js.CKA_SIGN },
    { type: pkcs11js.CKA_DECRYPT },
    { type: pkcs11js.CKA_UNWRAP },
    { type: pkcs11js.CKA_DERIVE },
  ]);
  t.same(
    usage.map((attribute) => Buffer.from(attribute.value as Buffer)[0]),
    [1, 0, 0, 0],
    'sign-only: CKA_SIGN true, CKA_DECRYPT / CKA_UNWRAP / CKA_DERIVE false (issue 8)',
  );
  t.throws(
    () => raw.C_GetAttributeValue(session, handles[0]!, [{ type: pkcs11js.CKA_VALUE }]),
    { code: pkcs11js.CKR_ATTRIBUTE_SENSITIVE },
    'the private value cannot be read',
  );
  t.throws(() => generateP256KeyPair(binding, session, keyLabel), { code: 'AGENT_TOKEN_KEY_EXISTS' });
  raw.C_CloseSession(session);
});

t.test('signs SHA-256 digests: 64 raw bytes that Node verifies', async (t) => {
  const signer = new Pkcs11Signer({ ...base, logger, probe: { enabled: false } });
  t.teardown(() => signer.close());
  t.equal(signer.open().kind, 'ready');
  const publicKey = await signer.publicKey();
  const signature = await signer.signDigest(digestOf('event 1'));
  t.equal(signature.length, 64);
  t.ok(verifies(publicKey.pem, 'event 1', signature), 'verifies');
  t.notOk(verifies(publicKey.pem, 'event 2', signature), 'does not verify another digest');
  // Concurrent callers are serialised on the one session: every signature verifies.
  const texts = Array.from({ length: 20 }, (_, index) => `concurrent ${index}`);
  const signatures = await Promise.all(texts.map((text) => signer.signDigest(digestOf(text))));
  t.ok(
    signatures.every((sig, index) => verifies(publicKey.pem, texts[index]!, sig)),
    '20 concurrent signatures verify',
  );
  const blocking = new Pkcs11Signer({ ...base, logger, probe: { enabled: false }, signCall: 'blocking' });
  t.ok(
    verifies(publicKey.pem, 'blocking', await blocking.signDigest(digestOf('blocking'))),
    'blocking C_Sign mode',
  );
  await blocking.close();
  await t.rejects(signer.signDigest(new Uint8Array(20)), { code: 'AGENT_TOKEN_BAD_DIGEST' });
  await signer.close();
  await t.rejects(signer.signDigest(digestOf('x')), { code: 'AGENT_TOKEN_CLOSED' });
});

t.test('token pulled: nothing signed, typed error, recovery on the next call', async (t) => {
  const signer = new Pkcs11Signer({ ...base, logger, probe: { enabled: false } });
  t.teardown(() => signer.close());
  const publicKey = await signer.publicKey();
  hsm.pull();
  let plugged = false;
  t.teardown(() => {
    if (!plugged) hsm.plugBack();
  });
  await t.rejects(signer.signDigest(digestOf('lost')), { code: 'AGENT_TOKEN_NOT_PRESENT' }, 'no signature');
  t.equal(signer.state().kind, 'no-token');
  await t.rejects(signer.signDigest(digestOf('still lost')), { code: 'AGENT_TOKEN_NOT_PRESENT' });
  hsm.plugBack();
  plugged = true;
  const signature = await signer.signDigest(digestOf('back'));
  t.equal(signer.state().kind, 'ready', 're-initialised and logged in again');
  t.ok(verifies(publicKey.pem, 'back', signature));
});

t.test('module finalised under the signer (session lost): typed error, then recovery', async (t) => {
  const signer = new Pkcs11Signer({ ...base, logger, probe: { enabled: false } });
  t.teardown(() => signer.close());
  t.equal(signer.open().kind, 'ready');
  const other = createPkcs11jsBinding();
  other.load(softhsmModulePath);
  other.C_Finalize(); // shared library state: the signer's session is gone
  await t.rejects(signer.signDigest(digestOf('gone')), { code: 'AGENT_TOKEN_NOT_PRESENT' });
  t.equal(signer.state().kind, 'no-token');
  const signature = await signer.signDigest(digestOf('again'));
  t.equal(signature.length, 64);
  t.equal(signer.state().kind, 'ready');
});

t.test('background probe with capped backoff brings the signer back', async (t) => {
  const timers = new ManualTimers();
  const signer = new Pkcs11Signer({
    ...base,
    logger,
    probe: {
      enabled: true,
      timers,
      random01: () => 0,
      backoff: { msInitial: 100, msMax: 400, jitterRatio: 0.2 },
    },
  });
  t.teardown(() => signer.close());
  t.equal(signer.open().kind, 'ready');
  hsm.pull();
  await t.rejects(signer.signDigest(digestOf('x')), { code: 'AGENT_TOKEN_NOT_PRESENT' });
  const delays = [timers.fireNext(), timers.fireNext(), timers.fireNext(), timers.fireNext()];
  t.same(delays, [100, 200, 400, 400], 'exponential, capped');
  t.equal(signer.state().kind, 'no-token');
  hsm.plugBack();
  timers.fireNext();
  t.equal(signer.state().kind, 'ready', 'probe found the token again');
  t.equal(timers.pending.length, 0, 'no probe left once ready');
});

t.test('missing PIN, missing key, missing module, unknown token: typed errors and states', async (t) => {
  const noPin = new Pkcs11Signer({
    ...base,
    pin: { env: 'BIANMIN_TEST_UNSET_PIN' },
    logger,
    probe: { enabled: false },
  });
  await t.rejects(noPin.signDigest(digestOf('x')), { code: 'AGENT_TOKEN_PIN_UNAVAILABLE' });
  t.equal(noPin.state().kind, 'pin-unavailable');
  await noPin.close();

  const noKey = new Pkcs11Signer({ ...base, keyLabel: 'no-such-key', logger, probe: { enabled: false } });
  await t.rejects(noKey.signDigest(digestOf('x')), { code: 'AGENT_TOKEN_KEY_NOT_FOUND' });
  t.equal(noKey.state().kind, 'no-key');
  await noKey.close();

  const noModule = new Pkcs11Signer({
    ...base,
    modulePath: '/nonexistent/libpkcs11.so',
    logger,
    probe: { enabled: false },
  });
  const error = await noModule.signDigest(digestOf('x')).catch((e: unknown) => e);
  t.ok(isAgentError(error, 'AGENT_TOKEN_MODULE_LOAD_FAILED'));
  t.equal(noModule.state().kind, 'no-token');
  await noModule.close();

  const other = new Pkcs11Signer({
    ...base,
    token: { serial: 'ffffffffffffffff' },
    logger,
    probe: { enabled: false },
  });
  await t.rejects(other.signDigest(digestOf('x')), { code: 'AGENT_TOKEN_NOT_PRESENT' });
  await other.close();
});

t.test('initializeModule tolerates a library already initialised', async (t) => {
  const one = createPkcs11jsBinding();
  one.load(softhsmModulePath);
  initializeModule(one);
  initializeModule(one);
  one.C_Finalize();
  t.pass();
});

// Last: a wrong PIN leaves the token flagged COUNT_LOW for the rest of this file.
t.test('wrong PIN: one attempt, then pin-rejected and no more logins', async (t) => {
  const wrongEnv = 'BIANMIN_TEST_WRONG_PIN';
  process.env[wrongEnv] = '000000';
  t.teardown(() => {
    delete process.env[wrongEnv];
  });
  const inner = createPkcs11jsBinding();
  let loginCount = 0;
  // Native methods need the real object as `this`: delegate through a Proxy that counts C_Login.
  const counting = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'C_Login') {
        return (session: Buffer, userType: number, pin?: string) => {
          loginCount += 1;
          target.C_Login(session, userType, pin);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const signer = new Pkcs11Signer({
    ...base,
    pin: { env: wrongEnv },
    logger,
    probe: { enabled: false },
    createBinding: () => counting,
  });
  t.teardown(() => signer.close());
  await t.rejects(signer.signDigest(digestOf('x')), { code: 'AGENT_TOKEN_PIN_REJECTED' });
  t.equal(signer.state().kind, 'pin-rejected');
  await t.rejects(signer.signDigest(digestOf('x')), { code: 'AGENT_TOKEN_PIN_REJECTED' });
  t.equal(loginCount, 1, 'exactly one login attempt');

  // SoftHSM now reports CKF_USER_PIN_COUNT_LOW: a fresh signer with the right PIN refuses to try.
  loginCount = 0;
  const fresh = new Pkcs11Signer({
    ...base,
    logger,
    probe: { enabled: false },
    createBinding: () => counting,
  });
  t.teardown(() => fresh.close());
  await t.rejects(fresh.signDigest(digestOf('x')), { code: 'AGENT_TOKEN_PIN_COUNT_LOW' });
  t.equal(fresh.state().kind, 'locked');
  t.equal(loginCount, 0, 'no login attempted against a token that counted a wrong PIN');
});
