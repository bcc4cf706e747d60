// Goal: a station's lifecycle (R4, R12–R15, R22) through the application layer: every legal step
// in order, every illegal step from every state refused with HQ_NET_TRANSITION_ILLEGAL and nothing
// written, the R12/R13 refusals listing every reason (R21), the 140 free places enforced, the org
// code immutable, and R4's predicate true only once open. Method: a memory operations store, the
// real calendars and a settable clock; states reached by replaying the legal steps.
import t from 'tap';
import {
  freePlacesLeft,
  registerBranch,
  stationMayTransact,
  stationStep,
  stationView,
} from '../src/app/network/stations.js';
import { STATION_STATES, STEP_FROM, type StationState } from '../src/domain/network/station.js';
import { FREE_PLACES_TOTAL, STATION_KINDS } from '../src/domain/network/station-payloads.js';
import { advance, BASE, goodFindings, market, networkDeps, northOf, stepsToOpen } from './helpers/network.js';

t.test('the legal path to open, then follow-up, changes, move, transfer, suspension, closure', async (t) => {
  const deps = networkDeps('2026-11-02');
  t.notOk((await stationMayTransact(deps, 'S1')).ok, 'R4: unknown station may not transact');
  await advance(deps, 'S1', 10);
  const before = await stationMayTransact(deps, 'S1');
  t.equal(before.ok ? '' : before.code, 'HQ_NET_NOT_OPEN', 'R4: equipment signed is not yet open');
  await advance(deps, 'S2', 0);
  const opened = await stationStep(deps, market, 'S1', 'opened', { orgCode: 'ORG-1', quotaAccount: 'QA-1' });
  t.ok(opened.ok);
  t.same(await stationMayTransact(deps, 'S1'), {
    ok: true,
    value: { orgCode: 'ORG-1', quotaAccount: 'QA-1' },
  });
  let view = await stationView(deps, 'S1');
  t.equal(view?.state, 'open');
  t.same(
    view?.application,
    { receiptNumber: 'R22-0001', appliedDate: '2026-11-02', endedDate: '2026-11-02' },
    'R22: tracked to its end',
  );

  const follow = await stationStep(deps, market, 'S1', 'follow-up-visited', { notes: 'all fine' });
  t.ok(follow.ok);
  const again = await stationStep(deps, market, 'S1', 'follow-up-visited', {});
  t.equal(again.ok ? '' : again.code, 'HQ_NET_TRANSITION_ILLEGAL', 'one opening follow-up');

  // R15: ordinary change, org code kept; a change naming another org code is refused.
  const wrongCode = await stationStep(deps, market, 'S1', 'change-requested', {
    description: 'new hours',
    orgCode: 'ORG-2',
  });
  t.equal(wrongCode.ok ? '' : wrongCode.code, 'HQ_NET_ORG_CODE_IMMUTABLE');
  t.ok(
    (
      await stationStep(deps, market, 'S1', 'change-requested', {
        description: 'new hours',
        orgCode: 'ORG-1',
      })
    ).ok,
  );
  t.ok((await stationStep(deps, market, 'S1', 'change-approved', {})).ok);
  const noChange = await stationStep(deps, market, 'S1', 'change-approved', {});
  t.equal(noChange.ok ? '' : noChange.code, 'HQ_NET_TRANSITION_ILLEGAL');

  // R15 move: a new survey with R12 against the others (not itself).
  const target = northOf(BASE, 900);
  t.ok((await stationStep(deps, market, 'S1', 'move-requested', { location: target })).ok);
  const moved = await stationStep(deps, market, 'S1', 'move-surveyed', { findings: goodFindings });
  t.ok(moved.ok, 'moving 900 m from its own old site is fine');
  view = await stationView(deps, 'S1');
  t.same(view?.location, target);
  t.equal(view?.orgCode, 'ORG-1');

  // R15 transfer re-signs (three copies), org code unchanged.
  const transfer = await stationStep(deps, market, 'S1', 'transferred', {
    agreementNumber: 'AG-2',
    copies: 3,
    holderName: '张三',
  });
  t.ok(transfer.ok);
  view = await stationView(deps, 'S1');
  t.equal(view?.agreementNumber, 'AG-2');
  t.equal(view?.orgCode, 'ORG-1');

  t.ok((await stationStep(deps, market, 'S1', 'suspended', { notes: 'unpaid' })).ok);
  t.notOk((await stationMayTransact(deps, 'S1')).ok, 'R4: a suspended station may not transact');
  t.ok((await stationStep(deps, market, 'S1', 'reopened', {})).ok);
  t.ok((await stationMayTransact(deps, 'S1')).ok);
  t.ok((await stationStep(deps, market, 'S1', 'closed', { notes: 'retired' })).ok);
  const records = await deps.store.read('station:S1');
  t.ok(
    records.every((r) => r.actor === 'li.market' && r.atMs > 0),
    'who and when on every record',
  );
});

/** A station brought to `state` by the legal steps (suspended/closed/rejected by one more). */
async function stationIn(state: StationState, id: string) {
  const deps = networkDeps('2026-11-02');
  const order: StationState[] = [
    'proposed',
    'surveyed',
    'applied',
    'agreement-signed',
    'fee-settled',
    'fitted-out',
    'debit-account-set',
    'installed',
    'goods-delivered',
    'equipment-signed',
    'open',
  ];
  if (state === 'rejected') {
    await advance(deps, id, 1);
    await stationStep(deps, market, id, 'surveyed', {
      location: BASE,
      findings: { ...goodFindings, premisesM2: 5 },
    });
  } else {
    const index = order.indexOf(state);
    await advance(deps, id, index >= 0 ? index + 1 : 11);
    if (state === 'suspended') await stationStep(deps, market, id, 'suspended', {});
    if (state === 'closed') await stationStep(deps, market, id, 'closed', {});
  }
  const view = await stationView(deps, id);
  if (view?.state !== state) throw new Error(`could not reach ${state}`);
  return deps;
}

t.test(
  'every step from every state it is not allowed from: HQ_NET_TRANSITION_ILLEGAL, nothing written',
  async (t) => {
    const payloads: Record<string, Record<string, unknown>> = Object.fromEntries(
      stepsToOpen().map(([k, p]) => [k, p]),
    );
    let checked = 0;
    for (const state of STATION_STATES) {
      const deps = await stationIn(state, 'SX');
      const versionBefore = (await deps.store.read('station:SX')).length;
      for (const kind of STATION_KINDS) {
        const from = STEP_FROM[kind];
        if (from === 'new' || from.includes(state)) continue;
        const result = await stationStep(deps, market, 'SX', kind, payloads[kind] ?? {});
        t.ok(
          !result.ok && result.reasons.some((r) => r.code === 'HQ_NET_TRANSITION_ILLEGAL'),
          `${kind} from ${state}`,
        );
        checked++;
      }
      t.equal((await deps.store.read('station:SX')).length, versionBefore, `nothing written in ${state}`);
      const dup = await stationStep(deps, market, 'SX', 'proposed', payloads.proposed!);
      t.equal(dup.ok ? '' : dup.code, 'HQ_NET_ALREADY_EXISTS');
    }
    t.ok(checked > 200, `${checked} illegal steps refused`);
    const unknown = await stationStep(networkDeps(), market, 'NOPE', 'surveyed', {
      location: BASE,
      findings: goodFindings,
    });
    t.equal(unknown.ok ? '' : unknown.code, 'HQ_NET_NOT_FOUND');
  },
);

t.test('R12 at proposal: every branch and station within 2 km listed with its distance', async (t) => {
  const deps = networkDeps();
  t.ok((await registerBranch(deps, market, 'B1', { name: '城关支局', location: northOf(BASE, -1_500) })).ok);
  await advance(deps, 'S1', 1, northOf(BASE, 600));
  await advance(deps, 'FAR', 1, northOf(BASE, 3_000));
  const refused = await stationStep(deps, market, 'S2', 'proposed', {
    branchId: 'B1',
    name: 'x',
    location: BASE,
  });
  t.equal(refused.ok ? '' : refused.code, 'HQ_NET_TOO_CLOSE');
  t.same(refused.ok ? [] : refused.reasons.map((r) => r.details), [
    { kind: 'station', id: 'S1', distanceM: 600 },
    { kind: 'branch', id: 'B1', distanceM: 1_500 },
  ]);
  t.same(await deps.store.read('station:S2'), [], 'nothing recorded');
});

t.test(
  'R13: a survey lists every unmet condition, is recorded, and rejects the station (R22 ends)',
  async (t) => {
    const deps = networkDeps();
    await advance(deps, 'S1', 1);
    const bad = {
      premisesM2: 9.5,
      terminalSpaceM2: 0.5,
      signageSpace: false,
      communicationLine: false,
      tradingMonths: 5,
    };
    const result = await stationStep(deps, market, 'S1', 'surveyed', { location: BASE, findings: bad });
    t.notOk(result.ok);
    t.same(result.ok ? [] : [...new Set(result.reasons.map((r) => r.code))], [
      'HQ_NET_PREMISES_TOO_SMALL',
      'HQ_NET_TERMINAL_SPACE_TOO_SMALL',
      'HQ_NET_SIGNAGE_SPACE_MISSING',
      'HQ_NET_COMMUNICATION_LINE_MISSING',
      'HQ_NET_TRADING_TOO_SHORT',
      // Then the recording of the failed survey, with its own code (not a finding's).
      'HQ_NET_SURVEY_FAILED_RECORDED',
    ]);
    t.equal((await stationView(deps, 'S1'))?.state, 'rejected');
    const records = await deps.store.read('station:S1');
    t.equal(records.at(-1)?.payload.failed, true);
    // Bad input is a field reason, not a recorded survey.
    await advance(deps, 'S3', 1, northOf(BASE, 5_000));
    const garbage = await stationStep(deps, market, 'S3', 'surveyed', {
      location: northOf(BASE, 5_000),
      findings: { premisesM2: 'big' },
    });
    t.ok(!garbage.ok && garbage.reasons.every((r) => r.code === 'HQ_NET_FIELD_INVALID'));
    t.equal((await deps.store.read('station:S3')).length, 1);
  },
);

t.test('R14/R22: documents, three copies, field problems all at once', async (t) => {
  const deps = networkDeps();
  await advance(deps, 'S1', 2);
  const noDocs = await stationStep(deps, market, 'S1', 'applied', { receiptNumber: 'R-1', documents: [] });
  t.same(noDocs.ok ? [] : noDocs.reasons.map((r) => r.code), [
    'HQ_NET_DOCUMENTS_MISSING',
    'HQ_NET_DOCUMENTS_MISSING',
  ]);
  t.ok(
    (
      await stationStep(deps, market, 'S1', 'applied', {
        receiptNumber: 'R-1',
        documents: ['id-card', 'business-licence'],
      })
    ).ok,
  );
  const twoCopies = await stationStep(deps, market, 'S1', 'agreement-signed', {
    agreementNumber: 'AG',
    copies: 2,
  });
  t.equal(twoCopies.ok ? '' : twoCopies.code, 'HQ_NET_AGREEMENT_COPIES');
  const bad = await stationStep(deps, market, 'S1', 'agreement-signed', { copies: 'three' });
  t.same(bad.ok ? [] : bad.reasons.map((r) => r.field), ['agreementNumber', 'copies']);
  const badKind = await stationStep(deps, market, 'S1', 'teleported', {});
  t.equal(badKind.ok ? '' : badKind.code, 'HQ_NET_FIELD_INVALID');
});

t.test('R14: the 140 free places are counted network-wide; a retry keeps its place', async (t) => {
  const deps = networkDeps();
  for (let index = 0; index < FREE_PLACES_TOTAL - 1; index++) {
    await deps.store.append(
      {
        aggregateId: 'network:free-places',
        kind: 'free-place-granted',
        payload: { stationId: `OLD${index}` },
        actor: 'seed',
        atMs: 1,
        reason: '',
        idempotencyKey: `free-place:OLD${index}`,
      },
      index,
    );
  }
  t.equal(await freePlacesLeft(deps), 1);
  await advance(deps, 'S1', 4);
  await advance(deps, 'S2', 4, northOf(BASE, 5_000));
  t.ok((await stationStep(deps, market, 'S1', 'fee-settled', { mode: 'free-place' })).ok);
  t.equal(await freePlacesLeft(deps), 0);
  const none = await stationStep(deps, market, 'S2', 'fee-settled', { mode: 'free-place' });
  t.equal(none.ok ? '' : none.code, 'HQ_NET_FREE_PLACES_EXHAUSTED');
  t.ok(
    (await stationStep(deps, market, 'S2', 'fee-settled', { mode: 'competitor-switch' })).ok,
    'a competitor switch needs no place',
  );
  const feeWithout = await stationStep(networkDeps(), market, 'S9', 'fee-settled', { mode: 'platform-fee' });
  t.notOk(feeWithout.ok);
});

t.test('optimistic concurrency and idempotency through the service', async (t) => {
  const deps = networkDeps();
  await advance(deps, 'S1', 1);
  const first = await stationStep(
    deps,
    market,
    'S1',
    'surveyed',
    { location: BASE, findings: goodFindings },
    { idempotencyKey: 'survey-S1' },
  );
  const retry = await stationStep(
    deps,
    market,
    'S1',
    'surveyed',
    { location: BASE, findings: goodFindings },
    { idempotencyKey: 'survey-S1' },
  );
  t.ok(first.ok);
  // The retry (same key, same kind) answers the first record: a client that lost the answer to
  // its HTTP request and sends it again with its Idempotency-Key gets the step, not a refusal.
  t.same(retry.ok ? { duplicate: retry.duplicate, version: retry.record.version } : retry.code, {
    duplicate: true,
    version: 2,
  });
  t.equal((await deps.store.read('station:S1')).length, 2, 'recorded once');
  const reused = await stationStep(
    deps,
    market,
    'S1',
    'applied',
    { receiptNumber: 'R-1', documents: ['id-card', 'business-licence'] },
    { idempotencyKey: 'survey-S1' },
  );
  t.equal(reused.ok ? '' : reused.code, 'HQ_OPS_IDEMPOTENCY_CONFLICT');
  const stale = await deps.store.append(
    {
      aggregateId: 'station:S1',
      kind: 'applied',
      payload: {},
      actor: 'x',
      atMs: 1,
      reason: '',
      idempotencyKey: 'late',
    },
    1,
  );
  t.equal(stale.ok ? '' : stale.code, 'HQ_OPS_VERSION_CONFLICT');
});
