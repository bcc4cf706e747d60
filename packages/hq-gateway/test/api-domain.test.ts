// Goal: the pure parts of the HQ API (issue 11): the audit hash chain finds a changed, removed,
// inserted or reordered row; the daily CSV is UTF-8 with BOM, zh-CN headers, yuan and Beijing time
// with fields quoted and formula-neutralised; scrypt hashes verify and keep their cost; the login
// limiter counts per user and per address in a window on the Clock. Method: table-style cases
// over the functions directly; a fake clock for the limiter.
import t from 'tap';
import { LoginLimiter } from '../src/app/login-limiter.js';
import { hashPassword, verifyPassword } from '../src/app/passwords.js';
import { type AuditRow, sealAuditRow, verifyAuditChain } from '../src/domain/audit-chain.js';
import { beijingTime, dailyReportCsv } from '../src/domain/daily-report-csv.js';
import { loginAttemptsPerAddressMax, loginAttemptsPerUserMax, loginWindowMs } from '../src/limits.js';
import { FakeClock } from './helpers/fake-clock.js';

function chain(length: number): AuditRow[] {
  const rows: AuditRow[] = [];
  for (let index = 0; index < length; index += 1) {
    rows.push(
      sealAuditRow(rows.at(-1), {
        atMs: 1_000 + index,
        actor: `user${index}`,
        role: 'market',
        action: 'station.suspend',
        target: `S${index}`,
        outcome: 'ok',
        detail: { reason: `r${index}` },
      }),
    );
  }
  return rows;
}

t.test('audit chain: intact verifies; every kind of tampering is found at its row', async (t) => {
  const rows = chain(5);
  t.match(verifyAuditChain(rows), { ok: true, rowsChecked: 5, headSha256: rows[4]?.sha256 });
  t.match(verifyAuditChain([]), { ok: true, rowsChecked: 0 });
  const changed = rows.map((r, i) => (i === 2 ? { ...r, target: 'S99' } : r));
  t.match(verifyAuditChain(changed), { ok: false, brokenAtSeq: 3, reason: 'hash' });
  const removed = rows.filter((_, i) => i !== 1);
  t.match(verifyAuditChain(removed), { ok: false, brokenAtSeq: 3, reason: 'seq' });
  const reordered = [rows[0], rows[2], rows[1], rows[3], rows[4]] as AuditRow[];
  t.match(verifyAuditChain(reordered), { ok: false, brokenAtSeq: 3, reason: 'seq' });
  // A rewritten tail (re-sealed after a change) still breaks at the first row whose link differs.
  const forged = sealAuditRow(rows[0], { ...rows[1]!, detail: { reason: 'forged' } });
  t.match(verifyAuditChain([rows[0]!, forged, ...rows.slice(2)]), {
    ok: false,
    brokenAtSeq: 3,
    reason: 'link',
  });
});

t.test('daily CSV: BOM, zh-CN headers, yuan, Beijing time, quoting', async (t) => {
  const generatedAtMs = Date.UTC(2026, 10, 28, 16, 30, 5); // 00:30:05 on the 29th in Beijing
  t.equal(beijingTime(generatedAtMs), '2026-11-29 00:30:05');
  const csv = dailyReportCsv(
    '2026-11-28',
    [
      {
        stationId: 'S1',
        kind: 'BILL_PAYMENT',
        count: 3,
        amountFen: 123_456,
        feeFen: 0,
        reconciliation: 'matched',
      },
      { stationId: '=cmd', kind: 'A,B', count: 1, amountFen: 5, feeFen: 100, reconciliation: 'no_close' },
    ],
    generatedAtMs,
  );
  t.ok(
    csv.startsWith(
      '\uFEFF营业日期,站点编号,业务种类,笔数,金额(元),手续费(元),对账结果,生成时间(北京时间)\r\n',
    ),
  );
  const lines = csv.slice(1).split('\r\n');
  t.equal(lines[1], '2026-11-28,S1,代收费,3,1234.56,0.00,账账相符,2026-11-29 00:30:05');
  t.equal(lines[2], `2026-11-28,'=cmd,"A,B",1,0.05,1.00,未收到日终,2026-11-29 00:30:05`);
  t.equal(lines[3], '', 'ends with a line break');
});

t.test('passwords: scrypt, cost kept with the hash, wrong and malformed refused', async (t) => {
  const cheap = { n: 1024, r: 8, p: 1 };
  const stored = await hashPassword('密码 correct horse', cheap);
  t.match(stored, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  t.ok(await verifyPassword('密码 correct horse', stored));
  t.notOk(await verifyPassword('密码 correct horsE', stored));
  t.notOk(await verifyPassword('x', 'plain'));
  t.notOk(await verifyPassword('x', 'scrypt$0$8$1$AA$AA'));
  t.not(await hashPassword('same', cheap), await hashPassword('same', cheap), 'salted');
});

t.test('login limiter: per user and per address, in a window on the Clock', async (t) => {
  const clock = new FakeClock();
  const limiter = new LoginLimiter(clock);
  for (let i = 0; i < loginAttemptsPerUserMax; i += 1) t.ok(await limiter.attempt('wang', '10.0.0.1'));
  t.notOk(await limiter.attempt('wang', '10.0.0.2'), 'the user is over its limit from any address');
  t.ok(await limiter.attempt('li', '10.0.0.2'), 'another user is not');
  clock.advance(loginWindowMs);
  t.ok(await limiter.attempt('wang', '10.0.0.1'), 'a new window');
  await limiter.succeeded('wang');
  let allowed = 0;
  for (let i = 0; i < loginAttemptsPerAddressMax + 5; i += 1)
    if (await limiter.attempt(`u${i}`, '10.0.0.9')) allowed += 1;
  t.equal(allowed, loginAttemptsPerAddressMax, 'per address');
});
