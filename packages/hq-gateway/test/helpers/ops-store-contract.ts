// The OpsStore contract (ports/ops-store.ts), run against any adapter: users, sessions, the audit
// chain, alert dedup and delivery state, discrepancy marks, station branches and the
// station-control version. The factory makes an empty store and can open a SECOND handle on the
// same data (another connection pool: what a second HQ process sees), so the multi-process cases
// run on every adapter: two handles appending audit rows at once make one valid chain, an alert
// opened through both is one row, a session saved by one is found by the other, a control-version
// bump by one is read by the other. Used by test/store-contract/ops-sqlite.test.ts and
// ops-postgres.test.ts.
import type { Test } from 'tap';
import { AuditLog } from '../../src/app/audit-log.js';
import { verifyAuditChain } from '../../src/domain/audit-chain.js';
import { alertDeliveryClaimMs } from '../../src/limits.js';
import type { OpsStore, UserRecord } from '../../src/ports/ops-store.js';

export interface OpsHandle {
  readonly ops: OpsStore;
  close(): Promise<void>;
}

export interface OpsInstance {
  /** A new handle on the same data (a new connection or pool). */
  open(): Promise<OpsHandle>;
  /** Remove the data (the database or the file). */
  remove(): Promise<void>;
}

export interface OpsFactory {
  readonly name: string;
  create(): Promise<OpsInstance>;
}

const user = (userName: string, overrides: Partial<UserRecord> = {}): UserRecord => ({
  userName,
  role: 'market',
  branchId: null,
  passwordHash: 'scrypt$1024$8$1$c2FsdA$aGFzaA',
  createdAtMs: 1_790_000_000_000,
  createdBy: 'test',
  ...overrides,
});

const sha = (digit: string): string => digit.repeat(64);

const entry = (index: number, actor = 'alice') => ({
  atMs: 1_790_000_000_000 + index,
  actor,
  role: 'market',
  action: 'station.enrol',
  target: `S${index}`,
  outcome: 'ok',
  detail: { index, 备注: '东街便民站', nested: { b: 2, a: 1 } },
});

export function opsStoreContract(t: Test, factory: OpsFactory): void {
  const withOps = (
    title: string,
    body: (ops: OpsStore, t: Test, instance: OpsInstance) => Promise<void>,
  ): void => {
    t.test(`${factory.name}: ${title}`, async (t) => {
      const instance = await factory.create();
      t.teardown(() => instance.remove());
      const handle = await instance.open();
      try {
        await body(handle.ops, t, instance);
      } finally {
        await handle.close();
      }
    });
  };

  withOps('users: added once, read back as stored; unknown is undefined', async (ops, t) => {
    t.equal(await ops.addUser(user('alice', { role: 'branch', branchId: 'B1' })), 'added');
    t.equal(await ops.addUser(user('alice', { role: 'admin' })), 'exists');
    t.same(await ops.getUser('alice'), user('alice', { role: 'branch', branchId: 'B1' }));
    t.equal(await ops.getUser('nobody'), undefined);
    t.equal(await ops.getUser('ali\u0000ce'), undefined, 'a name with U+0000 is nobody (hostile login)');
    t.same(await ops.auditRows({ actor: 'a\u0000', limit: 5 }), [], 'a U+0000 filter matches nothing');
  });

  withOps('sessions: saved, read, deleted, pruned by expiry', async (ops, t) => {
    await ops.addUser(user('alice'));
    const session = { tokenSha256: sha('a'), userName: 'alice', createdAtMs: 100, expiresAtMs: 200 };
    await ops.saveSession(session);
    await ops.saveSession({ ...session, tokenSha256: sha('b'), expiresAtMs: 500 });
    t.same(await ops.getSession(sha('a')), { session, user: user('alice') }, 'the session with its user');
    t.equal(await ops.pruneSessions(200), 1, 'expired at 200 is pruned at 200');
    t.equal(await ops.getSession(sha('a')), undefined);
    t.ok(await ops.getSession(sha('b')));
    await ops.deleteSession(sha('b'));
    t.equal(await ops.getSession(sha('b')), undefined);
    t.equal(await ops.pruneSessions(10_000), 0);
  });

  withOps(
    'audit: chained rows, filters, the chain verifies with detail exactly as written',
    async (ops, t) => {
      for (let index = 1; index <= 5; index++)
        await ops.appendAudit(entry(index, index % 2 === 0 ? 'bob' : 'alice'));
      const chain = await ops.auditChain();
      t.same(
        chain.map((r) => r.seq),
        [1, 2, 3, 4, 5],
      );
      t.same(verifyAuditChain(chain), { ok: true, rowsChecked: 5, headSha256: chain[4]!.sha256 });
      t.same(chain[0]!.detail, { index: 1, 备注: '东街便民站', nested: { b: 2, a: 1 } });
      t.same(
        (await ops.auditRows({ actor: 'bob', limit: 10 })).map((r) => r.seq),
        [2, 4],
      );
      t.same(
        (await ops.auditRows({ target: 'S3', limit: 10 })).map((r) => r.seq),
        [3],
      );
      t.same(
        (await ops.auditRows({ seqMin: 4, limit: 10 })).map((r) => r.seq),
        [4, 5],
      );
      t.same(
        (await ops.auditRows({ action: 'station.enrol', limit: 2 })).map((r) => r.seq),
        [1, 2],
      );
    },
  );

  withOps(
    'two handles (two processes) appending audit rows at once make ONE valid chain',
    async (ops, t, instance) => {
      const second = await instance.open();
      try {
        const perHandle = 15;
        const appends: Array<Promise<unknown>> = [];
        for (let index = 0; index < perHandle; index++) {
          appends.push(ops.appendAudit(entry(index, 'first')));
          appends.push(second.ops.appendAudit(entry(index, 'second')));
        }
        await Promise.all(appends);
        const chain = await second.ops.auditChain();
        t.equal(chain.length, perHandle * 2);
        const check = verifyAuditChain(chain);
        t.ok(check.ok, 'one unbroken chain');
        t.equal(new Set(chain.map((r) => r.prevSha256)).size, chain.length, 'no two rows share a parent');
        t.equal(chain.filter((r) => r.actor === 'second').length, perHandle);
      } finally {
        await second.close();
      }
    },
  );

  withOps('audit log: U+0000 in a text field is stored as U+FFFD; the chain verifies', async (ops, t) => {
    const log = new AuditLog(ops, { nowMs: () => 42 });
    const row = await log.record(
      { userName: 'x\u0000y', role: '' },
      'session.login',
      'x\u0000y',
      { raw: 'x\u0000y' },
      'HQ_AUTH_FAILED',
    );
    t.same([row.actor, row.target], ['x\ufffdy', 'x\ufffdy']);
    const chain = await ops.auditChain();
    t.same(chain, [row], 'read back as sealed');
    t.equal(chain[0]?.detail.raw, 'x\u0000y', 'the detail is JSON: kept exactly');
    t.ok(verifyAuditChain(chain).ok);
  });

  withOps('alerts: one open per kind and station; ack; a new one after ack', async (ops, t) => {
    const offline = {
      kind: 'HQ_ALERT_STATION_OFFLINE',
      stationId: 'S1',
      detail: '站点离线',
      openedAtMs: 1000,
      deliveryState: 'pending',
    } as const;
    const first = await ops.openAlert(offline);
    t.equal(first.outcome, 'opened');
    t.equal(first.alert.deliveryNextAtMs, 1000, 'first delivery due when opened');
    const again = await ops.openAlert({ ...offline, detail: 'again', openedAtMs: 2000 });
    t.same(again, { outcome: 'exists', alert: first.alert });
    const other = await ops.openAlert({ ...offline, stationId: 'S2', deliveryState: 'none' });
    t.equal(other.outcome, 'opened');
    t.equal(await ops.countOpenAlerts(), 2);
    t.equal(await ops.acknowledgeAlert(first.alert.alertId, 'bob', 3000), 'acked');
    t.equal(await ops.acknowledgeAlert(first.alert.alertId, 'carol', 4000), 'already');
    t.equal(await ops.acknowledgeAlert(999_999, 'bob', 3000), 'unknown');
    const acked = await ops.getAlert(first.alert.alertId);
    t.same([acked?.ackedBy, acked?.ackedAtMs], ['bob', 3000]);
    const reopened = await ops.openAlert({ ...offline, openedAtMs: 5000 });
    t.equal(reopened.outcome, 'opened');
    t.not(reopened.alert.alertId, first.alert.alertId);
    t.same(
      (await ops.alerts({ open: true, limit: 10, offset: 0 })).map((a) => a.alertId),
      [reopened.alert.alertId, other.alert.alertId],
      'newest first',
    );
    t.same(
      (await ops.alerts({ open: false, limit: 10, offset: 0 })).map((a) => a.alertId),
      [first.alert.alertId],
    );
    await ops.setStationBranch('S2', 'B2');
    t.same(
      (await ops.alerts({ branchId: 'B2', limit: 10, offset: 0 })).map((a) => a.stationId),
      ['S2'],
      "a branch's scope: its stations' alerts",
    );
    t.same(await ops.alerts({ branchId: 'B9', limit: 10, offset: 0 }), [], 'a branch with no stations');
    t.equal(await ops.countOpenAlerts('B2'), 1, "a branch's open alerts counted");
    t.equal(await ops.countOpenAlerts('B9'), 0);
    t.equal((await ops.alerts({ limit: 1, offset: 1 })).length, 1);
    t.equal(await ops.getAlert(123_456), undefined);
  });

  withOps('alert delivery: due pending alerts claimed oldest first; recorded state', async (ops, t) => {
    const base = { kind: 'HQ_ALERT_QUOTA_LOW', detail: '额度低', deliveryState: 'pending' } as const;
    const a = await ops.openAlert({ ...base, stationId: 'S1', openedAtMs: 100 });
    const b = await ops.openAlert({ ...base, stationId: 'S2', openedAtMs: 200 });
    const c = await ops.openAlert({ ...base, stationId: 'S3', openedAtMs: 300 });
    await ops.openAlert({ ...base, stationId: 'S4', openedAtMs: 100, deliveryState: 'none' });
    t.equal((await ops.alertsToDeliver(250, 0)).length, 0, 'limit 0 claims nothing');
    const claimed = await ops.alertsToDeliver(250, 10);
    t.same(
      claimed.map((x) => x.alertId),
      [a.alert.alertId, b.alert.alertId],
      'due and pending only, oldest first',
    );
    t.same(
      claimed.map((x) => x.deliveryNextAtMs),
      [250 + alertDeliveryClaimMs, 250 + alertDeliveryClaimMs],
      'claimed until the claim runs out',
    );
    t.same(
      (await ops.alertsToDeliver(300, 10)).map((x) => x.alertId),
      [c.alert.alertId],
      'a claimed alert is not handed out again',
    );
    await ops.recordDelivery(a.alert.alertId, 'pending', 1, 1000, 'HTTP 500');
    await ops.recordDelivery(b.alert.alertId, 'delivered', 1, 0, '');
    const retried = await ops.getAlert(a.alert.alertId);
    t.same(
      [
        retried?.deliveryState,
        retried?.deliveryAttempts,
        retried?.deliveryNextAtMs,
        retried?.deliveryLastError,
      ],
      ['pending', 1, 1000, 'HTTP 500'],
    );
    t.same(
      (await ops.alertsToDeliver(1000, 10)).map((x) => x.alertId),
      [a.alert.alertId],
      'the retry, when due',
    );
    t.same(
      (await ops.alertsToDeliver(300 + alertDeliveryClaimMs, 10)).map((x) => x.alertId),
      [c.alert.alertId],
      'a claim that ran out (its process died) is handed out again',
    );
  });

  withOps('two handles claiming deliveries at once: each alert to exactly one', async (ops, t, instance) => {
    const second = await instance.open();
    try {
      for (let index = 0; index < 12; index++)
        await ops.openAlert({
          kind: 'HQ_ALERT_STATION_OFFLINE',
          stationId: `S${index}`,
          detail: '离线',
          openedAtMs: 1,
          deliveryState: 'pending',
        });
      const passes = await Promise.all([
        ops.alertsToDeliver(10, 5),
        second.ops.alertsToDeliver(10, 5),
        ops.alertsToDeliver(10, 5),
        second.ops.alertsToDeliver(10, 5),
      ]);
      const ids = passes.flat().map((x) => x.alertId);
      t.equal(ids.length, 12, 'every due alert claimed');
      t.equal(new Set(ids).size, 12, 'none claimed twice');
    } finally {
      await second.close();
    }
  });

  withOps('two handles opening the same alert at once store one open alert', async (ops, t, instance) => {
    const second = await instance.open();
    try {
      const alert = {
        kind: 'HQ_ALERT_DISCREPANCY',
        stationId: 'S9',
        detail: '账实不符',
        openedAtMs: 1,
        deliveryState: 'pending',
      } as const;
      const outcomes = await Promise.all(
        [0, 1, 2, 3, 4, 5].map((index) => (index % 2 === 0 ? ops : second.ops).openAlert(alert)),
      );
      t.equal(outcomes.filter((o) => o.outcome === 'opened').length, 1);
      t.equal(new Set(outcomes.map((o) => o.alert.alertId)).size, 1, 'every caller sees the same alert');
      t.equal(await second.ops.countOpenAlerts(), 1);
      const acks = await Promise.all([
        ops.acknowledgeAlert(outcomes[0]!.alert.alertId, 'bob', 10),
        second.ops.acknowledgeAlert(outcomes[0]!.alert.alertId, 'carol', 11),
      ]);
      t.same([...acks].sort(), ['acked', 'already'], 'two people acknowledging at once: one is recorded');
    } finally {
      await second.close();
    }
  });

  withOps('discrepancy marks and station branches are upserts', async (ops, t) => {
    t.same(await ops.discrepanciesAlerted(), new Map());
    await ops.setDiscrepanciesAlerted('S1', 2);
    await ops.setDiscrepanciesAlerted('S1', 5);
    await ops.setDiscrepanciesAlerted('S2', 1);
    t.same(
      await ops.discrepanciesAlerted(),
      new Map([
        ['S1', 5],
        ['S2', 1],
      ]),
    );
    await ops.setStationBranch('S1', 'B1');
    await ops.setStationBranch('S1', 'B2');
    t.same(await ops.stationBranches(), new Map([['S1', 'B2']]));
  });

  withOps(
    'sessions and the control version are shared between handles (processes)',
    async (ops, t, instance) => {
      const second = await instance.open();
      try {
        t.equal(await ops.stationControlVersion(), '', 'none before the first change');
        const bumped = await ops.bumpStationControlVersion();
        t.not(bumped, '');
        t.equal(await second.ops.stationControlVersion(), bumped, 'the other process sees the bump');
        const again = await second.ops.bumpStationControlVersion();
        t.not(again, bumped, 'every bump is a new version');
        t.equal(await ops.stationControlVersion(), again);
        await ops.addUser(user('alice'));
        await ops.saveSession({ tokenSha256: sha('c'), userName: 'alice', createdAtMs: 1, expiresAtMs: 9 });
        t.equal(
          (await second.ops.getSession(sha('c')))?.user.userName,
          'alice',
          'a session made by one is valid on the other',
        );
        await second.ops.deleteSession(sha('c'));
        t.equal(await ops.getSession(sha('c')), undefined, 'a logout on one ends it on the other');
      } finally {
        await second.close();
      }
    },
  );

  withOps('persisted: a new handle reads what the first wrote', async (ops, t, instance) => {
    await ops.addUser(user('alice'));
    await ops.appendAudit(entry(1));
    await ops.setStationBranch('S1', 'B1');
    const second = await instance.open();
    try {
      t.equal((await second.ops.getUser('alice'))?.userName, 'alice');
      t.equal((await second.ops.auditChain()).length, 1);
      t.same(await second.ops.stationBranches(), new Map([['S1', 'B1']]));
    } finally {
      await second.close();
    }
  });
}
