// Goal: enrolment proves possession (issue 8, docs/protocol.md "Enrolment"): HQ binds a key only
// when the request carries an EnrolmentRequest envelope signed by that very key and naming the
// same station, key and org code. Method: HqOperations over an in-memory SQLite store, with
// requests built by the simulated station: honest, without proof, signed by another key, a proof
// copied from another station, and a proof naming another station or org code.
import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { generateHqKeyPem, hqKeyFromPem } from '../src/adapters/crypto/hq-key.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { HqOperations } from '../src/app/operations.js';
import { HqError } from '../src/errors.js';
import { asClock } from '../src/ports/clock.js';
import { SimStation } from './helpers/station-sim.js';

function operations(): { ops: HqOperations; store: SqliteStore } {
  const store = new SqliteStore({ path: ':memory:' });
  const ops = new HqOperations({
    store,
    hqKey: hqKeyFromPem(generateHqKeyPem().privateKeyPem),
    clock: asClock({ nowMs: () => 1_780_000_000_000 }),
    quotaOf: async () => ({ quotaFen: 0, throughSeq: 0 }),
  });
  return { ops, store };
}

async function refusal(work: Promise<unknown>): Promise<{ code: string; field: string | undefined }> {
  try {
    await work;
  } catch (error) {
    if (error instanceof HqError) return { code: error.problems[0]!.code, field: error.problems[0]!.field };
    throw error;
  }
  throw new Error('expected a refusal');
}

t.test('a request signed by the key it enrols is bound', async (t) => {
  const { ops, store } = operations();
  const station = new SimStation('EP1');
  const result = await ops.enrol(station.enrolmentRequest());
  t.equal(result.outcome, 'enrolled');
  t.equal((await store.getStation('EP1'))?.fingerprint, station.keyId);
  await store.close();
});

t.test('a request without proof is refused (HQ_ENROLMENT_PROOF_MISSING) and binds nothing', async (t) => {
  const { ops, store } = operations();
  const request = new SimStation('EP2').enrolmentRequest();
  delete request.proof;
  t.same(await refusal(ops.enrol(request)), { code: 'HQ_ENROLMENT_PROOF_MISSING', field: 'proof' });
  t.equal(await store.getStation('EP2'), undefined);
  await store.close();
});

t.test(
  'a proof that is not signed by the enrolled key is refused (HQ_ENROLMENT_SIGNATURE_INVALID)',
  async (t) => {
    const { ops, store } = operations();
    const station = new SimStation('EP3');
    const { privateKey: other } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cases: Record<string, Uint8Array> = {
      'signed by another key': station.enrolmentProof({ key: other }),
      'copied from another station': new SimStation('EPX').enrolmentProof(),
      'naming another station': station.enrolmentProof({ stationId: 'EPOTHER' }),
      'naming another org code': station.enrolmentProof({ orgCode: 'ORG-ELSE' }),
      'not an envelope': new Uint8Array([1, 2, 3]),
    };
    for (const [name, proof] of Object.entries(cases)) {
      const request = { ...station.enrolmentRequest(), proof: Buffer.from(proof).toString('base64') };
      t.same(
        await refusal(ops.enrol(request)),
        { code: 'HQ_ENROLMENT_SIGNATURE_INVALID', field: 'proof' },
        name,
      );
    }
    t.equal(await store.getStation('EP3'), undefined);
    await store.close();
  },
);
