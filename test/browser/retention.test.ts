import { type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { deleteMeta, RESTORED_PAUSE_KEY, writeMeta } from '../../src/repositories/meta.js';
import { addPolicy } from '../../src/services/policies.js';
import { ROOT, tempDir } from '../support/cli.js';
import { toNdjson } from '../support/records.js';
import { cliFor, HAVE_CHROMIUM, navIds, openPage, setUpAccount, startConsoleAndBrowser, stopServer, tokenOf, type Account } from './harness.js';
import { RETENTION_ATTACHMENT_BYTES, RETENTION_CUSTODIAN, RETENTION_SOURCE, retentionFixture } from './fixtures.js';

/**
 * The retention, legal hold and disposition pages in real Chromium (Debian's /usr/bin/chromium)
 * against the real `wekeep serve` on a temporary data dir: a small demo corpus plus the records of
 * retentionFixture() (dated relative to now) and a policy `e2e-30d` over them (30-day maximum,
 * action review: nothing is deleted whatever runs). A compliance officer sees the forecast, adds a
 * policy through dry run then save, places and releases a legal hold, disables a policy, runs a
 * disposition and proposes a review item (and cannot approve their own proposal); an auditor sees
 * the pages read-only; an employee has no entry for them. Screenshots: docs/screenshots with
 * WEKEEP_SCREENSHOTS=1, else a temporary folder.
 */

const WRITE_DOCS = process.env.WEKEEP_SCREENSHOTS === '1';
/** The machine is shared: every wait is generous. */
const LONG = 240_000;

const poll = <T>(fn: () => Promise<T> | T, timeout = 30_000) => expect.poll(fn, { timeout, interval: 150 });

describe.skipIf(!HAVE_CHROMIUM)('retention, legal holds and disposition in Chromium', () => {
  const tmp = tempDir('browser-retention');
  const SHOTS = WRITE_DOCS ? join(ROOT, 'docs', 'screenshots') : join(tmp.path, 'screenshots');
  const data = join(tmp.path, 'data');
  let server: ChildProcess | undefined;
  let base = '';
  let browser: Browser;
  const accounts: Record<string, Account> = {};
  const problems: string[] = [];

  const { json: cli, addUser, importFile } = cliFor(data);

  beforeAll(async () => {
    let links: Map<string, string>;
    ({ server, browser, base, links } = await startConsoleAndBrowser(data, { demo: 300, timeoutMs: 90_000 }));
    const started = Date.now();
    accounts.comp = { username: 'demo', token: tokenOf(links.get('demo') ?? '') };
    const file = join(tmp.path, 'retention.ndjson');
    writeFileSync(file, toNdjson(retentionFixture(Date.now())));
    await importFile(file);
    accounts.audit = await addUser('ret-auditor', 'auditor');
    accounts.employee = await addUser('ret-chen', 'employee', RETENTION_CUSTODIAN);
    // The server's daily disposition job first looks 5 s after the start, then hourly: the policies
    // come later, so that no run has happened yet. The maximum is written as if created 3 h ago
    // (in-process, with that clock): past the 2 h the first run may take, so the console shows the
    // "overdue" alert.
    await new Promise((r) => setTimeout(r, Math.max(0, started + 7000 - Date.now())));
    const purpose = ['--purpose', 'Browser test: records of the retention fixture', '--basis', 'Internal records schedule'];
    const ctx = await createContext(loadConfig({ data }, {}), { clock: { now: () => Date.now() - 3 * 3_600_000 } });
    try {
      await addPolicy(ctx, { name: 'e2e-30d', scope: `source:${RETENTION_SOURCE}`, max: '30d', action: 'review', purpose: purpose[1]!, basis: purpose[3]! });
    } finally {
      await ctx.close();
    }
    await cli(['policies', 'add', '--name', 'e2e-locked', '--scope', `source:${RETENTION_SOURCE} type:video`, '--min', '6y', '--action', 'review', '--locked', ...purpose]);
    mkdirSync(SHOTS, { recursive: true });
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await stopServer(server);
    tmp.cleanup();
  });

  const newPage = async (): Promise<Page> => (await openPage(browser, { name: 'retention', problems })).page;
  const setUp = (page: Page, account: Account, mfa: boolean): Promise<void> => setUpAccount(page, base, account, mfa);

  const cell = (page: Page, policy: string, testId: string) => page.locator(`[data-testid="forecast-row"][data-policy="${policy}"] [data-testid="${testId}"]`);
  const policyRow = (page: Page, name: string) => page.locator(`[data-testid="policy-row"][data-name="${name}"]`);

  it(
    'a compliance officer sees the forecast, adds a policy (dry run, then save), places and releases a hold, and runs a disposition with four-eyes review',
    async () => {
      const page = await newPage();
      await setUp(page, accounts.comp as Account, true);
      await page.getByTestId('search-input').waitFor();
      expect(await navIds(page)).toEqual(expect.arrayContaining(['nav-retention', 'nav-holds', 'nav-disposition']));

      // The forecast of the fixture policy: 2 due now (one with the attachment), 3 within 7 days, 5 within 30 and 365.
      await page.getByTestId('nav-retention').click();
      await page.getByTestId('retention').waitFor();
      await poll(() => cell(page, 'e2e-30d', 'forecast-due-now').getAttribute('data-records')).toBe('2');
      expect(await cell(page, 'e2e-30d', 'forecast-due-now').getAttribute('data-bytes')).toBe(String(RETENTION_ATTACHMENT_BYTES));
      expect(await cell(page, 'e2e-30d', 'forecast-within-7').getAttribute('data-records')).toBe('3');
      expect(await cell(page, 'e2e-30d', 'forecast-within-30').getAttribute('data-records')).toBe('5');
      expect(await cell(page, 'e2e-30d', 'forecast-within-365').getAttribute('data-records')).toBe('5');
      expect(await page.getByTestId('forecast-conflict-count').getAttribute('data-records')).toBe('0');
      // No run has completed while a policy sets a maximum: the alert.
      await page.getByTestId('disposition-overdue').waitFor();
      expect(await page.getByTestId('retention-read-only').count()).toBe(0);

      // A locked policy: marked, can only be extended, cannot be disabled.
      const locked = policyRow(page, 'e2e-locked');
      await locked.getByTestId('policy-locked').waitFor();
      expect(await locked.getByTestId('policy-disable').count()).toBe(0);
      expect(await locked.getByTestId('policy-edit').textContent()).toBe('延长');
      await locked.getByTestId('policy-edit').click();
      await page.getByTestId('locked-notice').waitFor();
      expect(await page.getByTestId('policy-scope').isDisabled()).toBe(true);
      await page.getByTestId('policy-min-input').fill('5y');
      await poll(() => page.getByTestId('policy-problems').textContent()).toContain('只能延长下限');
      expect(await page.getByTestId('policy-dry-run').isDisabled()).toBe(true);
      await page.getByTestId('policy-min-input').fill('7y');
      await poll(() => page.getByTestId('policy-dry-run').isDisabled()).toBe(false);
      await page.keyboard.press('Escape');
      await poll(() => page.getByTestId('policy-editor').count()).toBe(0);
      await page.screenshot({ path: join(SHOTS, 'retention.png'), fullPage: true });

      // A preset fills the form.
      await page.getByTestId('policy-add').click();
      await page.getByTestId('policy-preset').selectOption('sec-17a-4');
      expect(await page.getByTestId('policy-min-input').inputValue()).toBe('6y');
      expect(await page.getByTestId('policy-locked-input').isChecked()).toBe(true);
      await page.getByTestId('preset-note').waitFor();
      // From scratch: a one-year floor over the fixture, longer than e2e-30d's ceiling.
      await page.getByTestId('policy-preset').selectOption('');
      expect(await page.getByTestId('policy-locked-input').isChecked()).toBe(false);
      await page.getByTestId('policy-name').fill('e2e-floor-1y');
      await page.getByTestId('policy-scope').fill(`source:${RETENTION_SOURCE}`);
      await page.getByTestId('policy-min-input').fill('1y');
      await page.getByTestId('policy-purpose').fill('合同往来须保留一年');
      await page.getByTestId('policy-basis').fill('内部档案制度第 3 条');
      // Saving is offered only after the dry run.
      expect(await page.getByTestId('policy-save').count()).toBe(0);
      await page.getByTestId('policy-dry-run').click();
      await page.getByTestId('dry-run-result').waitFor();
      expect(await page.getByTestId('dry-run-changed-now').getAttribute('data-count')).toBe('2');
      expect(await page.getByTestId('dry-run-no-longer-due').getAttribute('data-count')).toBe('2');
      expect(await page.getByTestId('dry-run-newly-due').getAttribute('data-count')).toBe('0');
      expect(await page.getByTestId('dry-run-new-conflicts').getAttribute('data-count')).toBe('5');
      expect(await page.getByTestId('dry-run-example').count()).toBeGreaterThanOrEqual(2);
      await page.screenshot({ path: join(SHOTS, 'retention-dry-run.png') });
      // A change after the dry run: run it again before saving.
      await page.getByTestId('policy-purpose').fill('合同往来须保留一年（法务部）');
      await page.getByTestId('dry-run-stale').waitFor();
      expect(await page.getByTestId('policy-save').isDisabled()).toBe(true);
      await page.getByTestId('policy-dry-run').click();
      await poll(() => page.getByTestId('policy-save').isDisabled()).toBe(false);
      await page.getByTestId('policy-save').click();
      await page.getByTestId('policy-saved').waitFor();
      await policyRow(page, 'e2e-floor-1y').waitFor();
      // The forecast follows: nothing due now any more, five records in conflict, named by policy.
      await poll(() => cell(page, 'e2e-30d', 'forecast-due-now').getAttribute('data-records')).toBe('0');
      expect(await page.getByTestId('forecast-conflict-count').getAttribute('data-records')).toBe('5');
      expect(await page.getByTestId('conflict-row').first().textContent()).toMatch(/e2e-floor-1y.*e2e-30d.*5/u);

      // Legal holds: open a matter, place a hold (its covered count), release it (who, when, why stay).
      await page.getByTestId('nav-holds').click();
      await page.getByTestId('holds').waitFor();
      await page.getByTestId('matter-name').fill('E2E 合同纠纷');
      await page.getByTestId('matter-description').fill('浏览器测试案件');
      await page.getByTestId('matter-submit').click();
      const matterRow = page.locator('[data-testid="matter-row"][data-name="E2E 合同纠纷"]');
      await matterRow.waitFor();
      await matterRow.getByTestId('matter-link').click();
      await page.getByTestId('matter').waitFor();
      await page.getByTestId('hold-custodians').fill(RETENTION_CUSTODIAN);
      await page.getByTestId('hold-scope').fill(`source:${RETENTION_SOURCE}`);
      await page.getByTestId('hold-reason').fill('诉讼保全：陈静的全部往来');
      await page.getByTestId('hold-submit').click();
      await poll(() => page.getByTestId('hold-placed').getAttribute('data-count')).toBe('5');
      const holdRow = page.getByTestId('hold-row').first();
      await poll(() => holdRow.getAttribute('data-status')).toBe('active');
      await holdRow.getByTestId('hold-count').click();
      await poll(() => holdRow.getByTestId('hold-covered-now').getAttribute('data-count')).toBe('5');
      await page.screenshot({ path: join(SHOTS, 'holds-matter.png'), fullPage: true });
      await holdRow.getByTestId('hold-release').click();
      await page.getByTestId('release-form-reason').fill('和解结案，无需继续保全');
      await page.getByTestId('release-form-submit').click();
      await poll(() => holdRow.getAttribute('data-status')).toBe('released');
      expect(await holdRow.getByTestId('hold-release-reason').textContent()).toBe('和解结案，无需继续保全');
      expect(await holdRow.getByTestId('hold-released').textContent()).toContain('demo');
      await page.getByTestId('matters-back').click();
      await page.getByTestId('holds-filter-released').click();
      await poll(() => page.locator('[data-testid="holds-table"] [data-testid="hold-row"][data-status="released"]').count()).toBe(1);

      // Disable the floor policy (dry run first): the two old records are due again.
      await page.getByTestId('nav-retention').click();
      await policyRow(page, 'e2e-floor-1y').getByTestId('policy-disable').click();
      await page.getByTestId('enable-notice').waitFor();
      await page.getByTestId('policy-dry-run').click();
      await poll(() => page.getByTestId('dry-run-newly-due').getAttribute('data-count')).toBe('2');
      await page.getByTestId('policy-save').click();
      await poll(() => policyRow(page, 'e2e-floor-1y').getByTestId('policy-enabled').getAttribute('data-enabled')).toBe('false');
      await poll(() => cell(page, 'e2e-30d', 'forecast-due-now').getAttribute('data-records')).toBe('2');

      // Disposition: the alert, a real run (action review: two records queued), the certificate.
      await page.getByTestId('nav-disposition').click();
      await page.getByTestId('disposition').waitFor();
      await page.getByTestId('disposition-overdue').waitFor();
      await page.getByTestId('four-eyes-explain').waitFor();
      await page.getByTestId('no-reviews').waitFor();
      await page.getByTestId('run-real').click();
      await page.getByTestId('run-real-confirm').click();
      await poll(() => page.getByTestId('run-result').getAttribute('data-status'), 120_000).toBe('completed');
      await page.getByTestId('disposition-on-time').waitFor();
      await poll(() => page.getByTestId('review-row').count()).toBe(2);
      await poll(() => page.getByTestId('certificate-row').count()).toBeGreaterThanOrEqual(1);
      await page.getByTestId('certificate-verify').first().click();
      await poll(() => page.getByTestId('certificate-verify-result').first().getAttribute('data-ok')).toBe('true');
      // Four eyes: the proposer cannot approve their own proposal.
      const review = page.getByTestId('review-row').first();
      const reviewId = await review.getAttribute('data-review');
      await review.getByTestId('review-note').fill('已超过保留期限');
      await review.getByTestId('review-propose-dispose').click();
      const proposed = page.locator(`[data-testid="review-row"][data-review="${reviewId}"]`);
      await poll(() => proposed.getAttribute('data-status')).toBe('proposed');
      await proposed.getByTestId('review-own-proposal').waitFor();
      expect(await proposed.getByTestId('review-approve').isDisabled()).toBe(true);
      expect(await proposed.getByTestId('review-proposal').textContent()).toContain('demo');
      // The bulk bar: only items this user can act on are selectable (not their own proposal).
      expect(await proposed.getByTestId('review-select').count()).toBe(0);
      await page.getByTestId('bulk-select-page').click();
      await poll(() => page.getByTestId('bulk-selected').getAttribute('data-count')).toBe('1');
      expect(await page.getByTestId('bulk-approve').isDisabled()).toBe(true);
      await page.getByTestId('bulk-note').fill('业务仍需要');
      await page.getByTestId('bulk-propose-retain').click();
      await poll(() => page.locator('[data-testid="review-row"][data-status="proposed"]').count()).toBe(2);
      // Nothing left that this user may act on: the bar goes away.
      await poll(() => page.getByTestId('bulk-review').count()).toBe(0);
      await page.screenshot({ path: join(SHOTS, 'disposition.png'), fullPage: true });

      // English.
      await page.getByTestId('lang-switch').selectOption('en');
      expect(await page.getByTestId('nav-retention').textContent()).toBe('Retention');
      await page.getByTestId('nav-retention').click();
      await poll(() => page.locator('h1').first().textContent()).toBe('Retention policies');
      await page.getByTestId('lang-switch').selectOption('zh-CN');
      await page.context().close();
    },
    LONG,
  );

  it(
    'an auditor sees the retention and disposition pages read-only, and no legal holds',
    async () => {
      const page = await newPage();
      await setUp(page, accounts.audit as Account, true);
      await page.getByTestId('audit').waitFor();
      const nav = await navIds(page);
      expect(nav).toEqual(expect.arrayContaining(['nav-retention', 'nav-disposition']));
      expect(nav).not.toContain('nav-holds');
      await page.getByTestId('nav-retention').click();
      await page.getByTestId('retention-read-only').waitFor();
      await poll(() => cell(page, 'e2e-30d', 'forecast-due-now').getAttribute('data-records')).toBe('2');
      await policyRow(page, 'e2e-30d').waitFor();
      expect(await page.getByTestId('policy-add').count()).toBe(0);
      expect(await page.getByTestId('policy-edit').count()).toBe(0);
      expect(await page.getByTestId('policy-disable').count()).toBe(0);
      expect(await page.getByTestId('policy-save').count()).toBe(0);
      await page.getByTestId('nav-disposition').click();
      await page.getByTestId('run-row').first().waitFor();
      expect(await page.getByTestId('run-real').count()).toBe(0);
      expect(await page.getByTestId('run-dry').count()).toBe(0);
      expect(await page.getByTestId('four-eyes-explain').count()).toBe(0);
      // After a restore, scheduled disposition is paused: the page says so (set in-process, as a restore would).
      const store = await createContext(loadConfig({ data }, {}));
      try {
        await writeMeta(store.db, RESTORED_PAUSE_KEY, JSON.stringify({ backupId: 'bk-e2e-restored', snapshotAt: Date.now() - 86_400_000, restoredAt: Date.now() }));
        await page.reload();
        await poll(() => page.getByTestId('disposition-paused').textContent()).toContain('bk-e2e-restored');
        expect(await page.getByTestId('disposition-on-time').count()).toBe(0);
      } finally {
        await deleteMeta(store.db, RESTORED_PAUSE_KEY);
        await store.close();
      }
      await page.goto(`${base}/#/holds`);
      await page.getByTestId('not-allowed').waitFor();
      await page.context().close();
    },
    LONG,
  );

  it(
    'an employee has no entry for retention, holds or disposition',
    async () => {
      const page = await newPage();
      await setUp(page, accounts.employee as Account, false);
      await page.getByTestId('search-input').waitFor();
      expect(await navIds(page)).toEqual(['nav-search', 'nav-account']);
      for (const area of ['retention', 'holds', 'disposition']) {
        await page.goto(`${base}/#/${area}`);
        await page.getByTestId('not-allowed').waitFor();
      }
      await page.context().close();
    },
    LONG,
  );

  it('served under the strict CSP without violations or page errors', () => {
    expect(problems).toEqual([]);
  });
});
