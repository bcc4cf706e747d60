// Goal: the HQ console (issue 12) works for HQ's people in a real browser against a real HQ: each
// role logs in and sees only its pages and stations; a kiosk going offline and coming back shows
// on the overview live (server-sent events, no reload); a quota purchase recorded in the form is
// applied by the kiosk and shows on the station's page, a form lists every problem at once (R21)
// and a repeated receipt is not booked twice; a CSV export reads back with its zh-CN header; the
// main pages have no serious accessibility violations (axe-core); and the first page's load time
// with 10,000 stations is measured (printed, not asserted: docs/performance.md).
// Method: startE2e (real Mosquitto with TLS and ACLs, HQ in-process on SQLite, two kiosks as their
// own processes with SoftHSM tokens and PTY peripherals), the HQ API on a free port serving the
// built console, and Debian's Chromium driven by playwright-core, one browser for the file. Waits
// are on what the page shows (waitForFunction / locators), never sleeps.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
// The gateway startE2e runs is the built package (dist), so its API and users come from there too.
import { listenApi } from '@bianmin/hq-gateway/adapters/http/server';
import { LoginLimiter } from '@bianmin/hq-gateway/app/login-limiter';
import { UserService } from '@bianmin/hq-gateway/app/users';
import { type Role, roles } from '@bianmin/hq-gateway/domain/roles';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import t from 'tap';
import { kioskStatus, waitForStatus } from '../../scripts/demo/lib/network.js';
import { payBill } from '../../scripts/demo/lib/operator.js';
import { startE2e } from './helpers/e2e.js';

const password = 'correct horse battery';
const chromiumPath = '/usr/bin/chromium';
/** Chromium as root on this network (shared/TOOLCHAIN.md): no sandbox, no calls home. */
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const screenshotDir = process.env.CONSOLE_SCREENSHOT_DIR;

/** What an element shows (its text content; '' when it has none). */
async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? '';
}

// What the functions run inside the page use (this file is type-checked without the DOM library).
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { readonly length: number };
  readonly activeElement: { textContent: string | null } | null;
};
declare const window: { axe: AxeRunner };
declare function getComputedStyle(element: unknown): { outlineStyle: string };
interface AxeRunner {
  run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }>;
}

/** The menu each role sees (zh-CN), as packages/hq-console/src/navigation.ts declares it. */
const menus: Record<Role, string[]> = {
  branch: ['总览', '网点', '网点发展', '维修', '投诉', '告警', '日报与对账'],
  market: ['总览', '网点', '网点发展', '巡检', '回访', '维修', '投诉', '告警', '日报与对账', '佣金'],
  ecommerce: ['总览', '网点', '网点发展', '回访', '维修', '告警', '额度', '日报与对账', '佣金'],
  agency_finance: ['总览', '网点', '网点发展', '告警', '日报与对账'],
  supervision: [
    '总览',
    '网点',
    '网点发展',
    '巡检',
    '回访',
    '维修',
    '投诉',
    '告警',
    '日报与对账',
    '佣金',
    '审计',
  ],
  finance: ['总览', '网点', '网点发展', '告警', '日报与对账', '佣金'],
  admin: ['总览', '网点', '网点发展', '告警'],
};

t.test('the HQ console in a browser', async (t) => {
  const e2e = await startE2e(t, { stationIds: ['K1', 'K2'], seed: 1212 });
  const gateway = e2e.network.gateway;
  const [k1, k2] = e2e.network.stations.map((s) => s.kiosk);
  if (k1 === undefined || k2 === undefined) throw new Error('two kiosks');
  await gateway.ops.setStationBranch('K1', 'B1');
  await gateway.ops.setStationBranch('K2', 'B2');
  const users = new UserService(gateway.ops, gateway.api.clock, new LoginLimiter({ nowMs: () => 0 }), {
    n: 1024,
    r: 8,
    p: 1,
  });
  for (const role of roles) {
    await users.addUser(
      { userName: `u-${role}`, role, password, ...(role === 'branch' ? { branchId: 'B1' } : {}) },
      'test',
    );
  }
  const { app, url } = await listenApi(gateway.api, '127.0.0.1:0');
  e2e.cleanup.defer('hq api', () => app.close());
  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath,
    args: chromiumArgs,
    headless: true,
  });
  e2e.cleanup.defer('chromium', () => browser.close());
  const consoleUrl = `${url}/console/`;

  const open = async (
    role: Role,
    viewport = { width: 1366, height: 768 },
  ): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({
      viewport,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      acceptDownloads: true,
    });
    const page = await context.newPage();
    await page.goto(consoleUrl);
    await page.getByLabel('用户名').fill(`u-${role}`);
    await page.getByLabel('密码').fill(password);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('navigation', { name: '主菜单' }).waitFor();
    return { context, page };
  };
  const menuOf = async (page: Page): Promise<string[]> =>
    page.getByRole('navigation', { name: '主菜单' }).getByRole('link').allTextContents();
  const tileValue = (page: Page, id: string) => page.getByTestId(`tile-${id}`).locator('.tile-value');
  const waitForTile = (page: Page, id: string, value: string) =>
    page.waitForFunction(
      ([tile, text]) =>
        document.querySelector(`[data-testid="tile-${tile}"] .tile-value`)?.textContent === text,
      [id, value] as const,
    );

  await t.test('a wrong password is refused on the page, nothing else shown', async (t) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(consoleUrl);
    t.equal(await page.title(), '便民服务站 总部控制台');
    await page.getByLabel('用户名').fill('u-market');
    await page.getByLabel('密码').fill('wrong password');
    await page.getByRole('button', { name: '登录' }).click();
    t.equal(await text(page.getByRole('alert')), '用户名或密码错误');
    t.equal(await page.getByRole('navigation', { name: '主菜单' }).count(), 0, 'no menu without a session');
    await context.close();
  });

  await t.test('each role sees its own pages; a branch office its own stations', async (t) => {
    for (const role of roles) {
      const { context, page } = await open(role);
      t.same(await menuOf(page), menus[role], `${role}: menu`);
      t.match(await text(page.getByTestId('who')), `u-${role}`, `${role}: who is logged in`);
      await page.getByRole('link', { name: '网点', exact: true }).click();
      await page.locator('tbody tr td a').first().waitFor();
      const ids = await page.locator('tbody tr td:first-child').allTextContents();
      t.same(ids, role === 'branch' ? ['K1'] : ['K1', 'K2'], `${role}: stations`);
      // A page outside the role's menu falls back to the overview.
      await page.goto(`${consoleUrl}#/audit`);
      const heading = await text(page.locator('main h1'));
      t.equal(heading, role === 'supervision' ? '审计' : '总览', `${role}: #/audit`);
      await context.close();
    }
  });

  await t.test('overview: a kiosk goes offline and comes back, live', async (t) => {
    const { context, page } = await open('market');
    await page.waitForSelector('[data-live="on"]');
    await waitForTile(page, 'online', '2');
    t.equal(await text(tileValue(page, 'offline')), '0');
    await k1.stop();
    await waitForTile(page, 'online', '1');
    t.equal(await text(tileValue(page, 'offline')), '1', 'K1 counted offline without a reload');
    t.equal(await text(page.getByTestId('last-event')), 'K1 离线');
    await k1.start();
    await waitForTile(page, 'online', '2');
    t.equal(await text(page.getByTestId('last-event')), 'K1 在线', 'back online, live');
    // A transaction arriving shows in today's volumes without a reload.
    const paid = await payBill(k2, 'console-bill-1', 'WATER', 'W-3301-1234567', 12_345);
    t.equal(paid.ok, true, 'the bill payment went through');
    const row = page.locator('table tr', { hasText: '代收费' });
    await row.waitFor();
    t.match(await text(row), /¥123\.45/, "today's bill payments in yuan");
    if (screenshotDir !== undefined)
      await page.screenshot({ path: join(screenshotDir, 'overview.png'), fullPage: true });
    await context.close();
  });

  await t.test(
    'quota: every problem at once, a purchase the kiosk applies, a receipt booked once',
    async (t) => {
      const { context, page } = await open('ecommerce');
      await page.getByRole('link', { name: '额度' }).click();
      await page.getByRole('button', { name: '登记' }).click();
      t.equal(
        await page.locator('.field-error').count(),
        3,
        'station, amount and receipt: all at once (R21)',
      );
      t.equal(await page.getByLabel('网点编号').getAttribute('aria-invalid'), 'true');
      await page.getByLabel('网点编号').fill('K1');
      await page.getByLabel('金额(元)').fill('499.99');
      await page.getByLabel('收据编号').fill('POS-20261201-0001');
      await page.getByRole('button', { name: '登记' }).click();
      t.equal(await text(page.locator('.field-error')), '金额不能低于 ¥500.00(R3)');
      const before = (await kioskStatus(k1)).quotaFenAvailable ?? 0;
      await page.getByLabel('金额(元)').fill('600');
      await page.getByRole('button', { name: '登记' }).click();
      const done = page.getByRole('status');
      await done.waitFor();
      t.equal(await text(done), '已登记:K1 ¥600.00,收据 POS-20261201-0001');
      if (screenshotDir !== undefined)
        await page.screenshot({ path: join(screenshotDir, 'quota.png'), fullPage: true });
      const applied = await waitForStatus(k1, (s) => (s.quotaFenAvailable ?? 0) === before + 60_000);
      t.equal(applied.quotaFenAvailable, before + 60_000, 'the kiosk applied the purchase');
      await page.getByRole('button', { name: '登记' }).click();
      await page.waitForFunction(() =>
        document.querySelector('[role="status"]')?.textContent?.includes('已登记过'),
      );
      t.equal(
        await text(done),
        '该收据已登记过(未重复记账):POS-20261201-0001',
        'the same receipt is not booked twice',
      );
      await page.goto(`${consoleUrl}#/stations/K1`);
      const appliedRow = page.locator('table tr', { hasText: '信誉额度购买' });
      await appliedRow.first().waitFor();
      t.ok((await appliedRow.count()) >= 1, "the kiosk's QUOTA_PURCHASE_APPLIED is on the station page");
      t.match(await text(page.locator('table tr', { hasText: 'POS-20261201-0001' })), /¥600\.00/);
      if (screenshotDir !== undefined)
        await page.screenshot({ path: join(screenshotDir, 'station.png'), fullPage: true });
      await context.close();
    },
  );

  await t.test('a CSV export reads back with its zh-CN header', async (t) => {
    const { context, page } = await open('market');
    await page.getByRole('link', { name: '网点', exact: true }).click();
    await page.locator('tbody tr td a').first().waitFor();
    if (screenshotDir !== undefined)
      await page.screenshot({ path: join(screenshotDir, 'stations.png'), fullPage: true });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: '导出 CSV' }).click(),
    ]);
    t.equal(download.suggestedFilename(), 'stations.csv');
    const text = readFileSync(await download.path(), 'utf8');
    t.ok(text.startsWith('\uFEFF'), 'UTF-8 BOM: Excel reads the Chinese');
    const lines = text.slice(1).trimEnd().split('\r\n');
    t.equal(lines[0], '网点编号,机构代码,支局,状态,最后在线');
    t.match(lines[1], /^K1,33010001,B1,在线,\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}:\d{2}$/);
    t.match(lines[2], /^K2,33010002,B2,在线,/);
    t.equal(lines.length, 3);
    // Filtered on the server by branch office: only B2's station is listed.
    await page.getByLabel('支局').fill('B2');
    await page.getByRole('button', { name: '筛选' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    t.same(await page.locator('tbody tr td:first-child').allTextContents(), ['K2'], 'branch filter');
    await context.close();
  });

  await t.test('no serious accessibility violations on the main pages (axe-core)', async (t) => {
    const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    const pages: Array<[Role, string]> = [
      ['market', 'overview'],
      ['market', 'stations'],
      ['market', 'alerts'],
      ['ecommerce', 'quota'],
      ['finance', 'daily'],
      ['supervision', 'audit'],
    ];
    for (const [role, hash] of pages) {
      const { context, page } = await open(role, hash === 'daily' ? { width: 768, height: 1024 } : undefined);
      await page.goto(`${consoleUrl}#/${hash}`);
      await page.locator('main h1').waitFor();
      await page.locator('table').first().waitFor();
      if (screenshotDir !== undefined && (hash === 'alerts' || hash === 'daily')) {
        await page.screenshot({ path: join(screenshotDir, `${hash}.png`), fullPage: true });
      }
      await page.evaluate(axeSource);
      const violations = await page.evaluate(async () => {
        const result = await window.axe.run();
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
      });
      const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      t.same(serious, [], `${hash} (${role}): no serious or critical violations`);
      if (violations.length > serious.length) t.comment(`${hash}: minor: ${JSON.stringify(violations)}`);
      // Keyboard: the first Tab lands on the skip link, and focus is visible.
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = document.activeElement;
        return {
          text: element?.textContent ?? '',
          outline: element === null ? '' : getComputedStyle(element).outlineStyle,
        };
      });
      t.same(
        focused,
        { text: '跳到正文', outline: 'solid' },
        `${hash}: keyboard focus starts at the skip link, visibly`,
      );
      await context.close();
    }
  });

  await t.test('measured: the first page with 10,000 stations (printed, not asserted)', async (t) => {
    const template = await gateway.store.getStation('K2');
    if (template === undefined) throw new Error('K2 is enrolled');
    const extra = 10_000 - 2;
    for (let index = 0; index < extra; index += 1) {
      const stationId = `M${String(index).padStart(5, '0')}`;
      await gateway.store.enrolStation({
        ...template,
        stationId,
        orgCode: `99${String(index).padStart(6, '0')}`,
        keyId: stationId,
      });
      await gateway.ops.setStationBranch(stationId, `B${(index % 40) + 1}`);
    }
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    const startedMs = Date.now();
    await page.goto(consoleUrl);
    await page.getByLabel('用户名').waitFor();
    const loginMs = Date.now() - startedMs;
    await page.getByLabel('用户名').fill('u-market');
    await page.getByLabel('密码').fill(password);
    const submittedMs = Date.now();
    await page.getByRole('button', { name: '登录' }).click();
    await waitForTile(page, 'never_seen', '9,998');
    const overviewMs = Date.now() - submittedMs;
    const listStartedMs = Date.now();
    await page.getByRole('link', { name: '网点', exact: true }).click();
    await page.getByText('第 1 / 200 页,共 10,000 条').waitFor();
    const listMs = Date.now() - listStartedMs;
    t.equal(await page.locator('tbody tr').count(), 50, 'one page of 50 of the 10,000');
    t.comment(
      `console with 10,000 stations over loopback: login page ${loginMs} ms; overview after login ${overviewMs} ms; station list first page ${listMs} ms`,
    );
    await context.close();
  });
});
