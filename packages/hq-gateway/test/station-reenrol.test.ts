// Goal: re-enrolment after a key revocation (issue 11): a revoked key stays revoked forever (a
// re-enrolment or an enrolment naming it is refused, HQ_ENROLMENT_KEY_REVOKED); a new key for the
// same station id and org code is a new enrolment, allowed only after a revocation
// (HQ_REENROL_REFUSED otherwise), recorded in the audit with who and why; from then on messages
// under the new key are served and messages under the old one are still refused. Method: the API
// fixture on a PostgreSQL database of its own with its in-process broker, real HTTP; the kiosk's
// new key is a second simulated kiosk with the same station id.
import t from 'tap';
import { type Any, startApiFixture } from './helpers/api-fixture.js';
import { SimStation } from './helpers/station-sim.js';
import { until } from './helpers/until.js';

t.test('a revoked station gets a new key; the old one never serves again', async (t) => {
  const api = await startApiFixture({ store: 'postgres' });
  t.teardown(() => api.close());
  const gateway = api.hq.gateway;
  const old = api.hq.stations.find((s) => s.stationId === 'S2');
  if (old === undefined) throw new Error('the fixture has S2');
  const renewed = new SimStation('S2', old.orgCode);
  const reenrol = (request: Record<string, unknown>, reason = '旧UK丢失，换新UK') =>
    api.call('POST', '/api/v1/stations/S2/reenrol', { token: api.tokens.market, body: { request, reason } });

  const early = await reenrol(renewed.enrolmentRequest());
  t.equal(early.status, 409);
  t.equal(early.json.code, 'HQ_REENROL_REFUSED', 'only a station whose key is revoked');

  const revoked = await api.call('POST', '/api/v1/stations/S2/revoke-key', {
    token: api.tokens.market,
    body: { reason: 'UK丢失' },
  });
  t.equal(revoked.status, 200);

  const sameKey = await reenrol(old.enrolmentRequest());
  t.equal(sameKey.status, 409);
  t.equal(sameKey.json.code, 'HQ_ENROLMENT_KEY_REVOKED', 'the revoked key cannot come back');
  const otherOrg = await reenrol(new SimStation('S2', 'ORG-OTHER').enrolmentRequest());
  t.equal(otherOrg.json.code, 'HQ_REENROL_REFUSED');
  t.match(otherOrg.json.problems, [{ field: 'request.orgCode' }], 'R15: the org code never changes');
  const branch = await api.call('POST', '/api/v1/stations/S2/reenrol', {
    token: api.tokens.supervision,
    body: { request: renewed.enrolmentRequest(), reason: 'x' },
  });
  t.equal(branch.status, 403, 'least privilege: the market dept re-enrols');

  const done = await reenrol(renewed.enrolmentRequest());
  t.equal(done.status, 200, JSON.stringify(done.json));
  t.match(done.json, {
    stationId: 'S2',
    outcome: 'reenrolled',
    orgCode: old.orgCode,
    fingerprint: renewed.keyId,
  });
  const page = await api.call('GET', '/api/v1/stations/S2', { token: api.tokens.market });
  t.match(page.json, { state: 'never_seen', fingerprint: renewed.keyId, suspension: null });
  const audit = (await gateway.ops.auditRows({ action: 'station.reenrol', limit: 5 })) as Any[];
  t.equal(audit.length, 1);
  t.match(audit[0], {
    actor: 'u-market',
    target: 'S2',
    outcome: 'ok',
    detail: { reason: '旧UK丢失，换新UK', revokedFingerprint: old.keyId, fingerprint: renewed.keyId },
  });
  const lifted = await gateway.integrity.resumptions('S2');
  t.match(lifted.at(-1), {
    reasonCode: 'HQ_STATION_KEY_REVOKED',
    resumedBy: 'u-market',
    reason: /re-enrolled/,
  });

  // Messages: the old key's refused (quarantined, not stored), the new key's served.
  const quarantinedBefore = gateway.pipeline.counters.quarantined;
  await old.publish('event', old.billPayment(100, { quotaFenAfter: 0 }).bytes);
  await until(
    gateway.pipeline,
    ['quarantined'],
    () => gateway.pipeline.counters.quarantined > quarantinedBefore,
  );
  await gateway.pipeline.flush();
  const refused = (await gateway.store.quarantine(10)).find((q) => q.stationId === 'S2');
  t.match(refused?.reasonCode, /^HQ_(SIGNATURE_INVALID|KEY_UNKNOWN)$/, 'the old key is refused');
  renewed.attach(api.hq.broker, api.hq.hqPublicKeyPem);
  const sealed = renewed.billPayment(100, { quotaFenAfter: 0 });
  await renewed.publish('event', sealed.bytes);
  await renewed.waitForAck(1);
  t.ok(
    (await gateway.store.eventsOfStation('S2')).some((e) => e.seq === 1),
    "the new key's event is stored",
  );

  // And the revoked key cannot enrol again, as this station or as a new one.
  const enrolOld = await api.call('POST', '/api/v1/stations', {
    token: api.tokens.market,
    body: { branch: 'B2', request: old.enrolmentRequest() },
  });
  t.equal(enrolOld.json.code, 'HQ_ENROLMENT_KEY_REVOKED');
});
