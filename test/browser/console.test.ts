import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/cli.js';
import { toNdjson } from '../support/records.js';
import { CHROMIUM, HAVE_CHROMIUM, naturalWidth, navIds, openPage, PASSWORD, run, startConsoleAndBrowser, stopServer, tokenOf, totpCode, wekeep, type Account } from './harness.js';
import { browserFixture, EMPLOYEE_PERSON, KEYWORD, SECRET_TITLE, VISIBLE_TITLES } from './fixtures.js';

/**
 * The web console in real Chromium (Debian's /usr/bin/chromium, never a downloaded browser)
 * against the real `wekeep serve` on a temporary data dir (demo corpus + the fixture in
 * fixtures.ts). Screenshots of the main pages go to docs/screenshots/.
 */

const IN_CI = process.env.CI === 'true';
/** Screenshots go to docs/screenshots with WEKEEP_SCREENSHOTS=1 (npm run screenshots); otherwise to a temporary folder, so that test runs leave the tree clean. */
const WRITE_DOCS = process.env.WEKEEP_SCREENSHOTS === '1';

if (!HAVE_CHROMIUM && !IN_CI) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium). Under CI=true this is a failure.`);

describe('browser availability', () => {
  it.runIf(IN_CI)('Chromium is installed for the browser tests (CI)', () => {
    expect(HAVE_CHROMIUM, `${CHROMIUM} is missing: install Debian's chromium package (the browser tests never download a browser)`).toBe(true);
  });
});

/** What the tests read of media and image elements (the Node-side type check has no DOM types). */
interface MediaElement {
  play(): Promise<void>;
  pause(): void;
  currentTime: number;
  duration: number;
  error: unknown;
}

/** Polls until the value matches (10 s). */
const poll = <T>(fn: () => Promise<T> | T, timeout = 10_000) => expect.poll(fn, { timeout, interval: 100 });


describe.skipIf(!HAVE_CHROMIUM)('web console in Chromium', () => {
  const tmp = tempDir('browser');
  const SHOTS = WRITE_DOCS ? join(ROOT, 'docs', 'screenshots') : join(tmp.path, 'screenshots');
  const data = join(tmp.path, 'data');
  let server: ChildProcess | undefined;
  let base = '';
  let browser: Browser;
  const accounts: Record<string, Account> = {};
  const secrets: Record<string, string> = {};
  const problems: string[] = [];
  /** The secret conversation's address, as a compliance officer sees it (the employee must not open it). */
  let secretHref = '';

  beforeAll(async () => {
    // The console is built from the current sources first (unless web/dist is newer than them).
    let links: Map<string, string>;
    ({ server, browser, base, links } = await startConsoleAndBrowser(data, { demo: 2000, timeoutMs: 40_000, extraChromiumArgs: ['--autoplay-policy=no-user-gesture-required'] }));
    accounts.admin = { username: 'admin', token: tokenOf(links.get('admin') ?? '') };
    accounts.comp = { username: 'demo', token: tokenOf(links.get('demo') ?? '') };
    // The fixture conversations, imported next to the running server.
    const file = join(tmp.path, 'e2e.ndjson');
    writeFileSync(file, toNdjson(browserFixture()));
    await run(wekeep(['--data', data, 'import', file]), 'wekeep import');
    mkdirSync(SHOTS, { recursive: true });
    if (WRITE_DOCS && !spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' }).stdout?.trim()) console.warn('no Chinese font installed (e.g. apt-get install fonts-wqy-microhei): screenshots will show boxes for Chinese text');
  });

  afterAll(async () => {
    await browser?.close();
    await stopServer(server);
    tmp.cleanup();
  });

  const newPage = (lang: 'zh-CN' | 'en' = 'zh-CN'): Promise<{ context: BrowserContext; page: Page }> =>
    openPage(browser, { name: 'browser', problems, locale: lang, viewport: { width: 1280, height: 860 }, timeoutMs: 15_000, fullPage: false });

  /** First sign-in from the setup link: password, then (when required) the authenticator. Returns the TOTP secret. */
  async function setUp(page: Page, account: Account, options: { mfa: boolean; screenshot?: string }): Promise<string | undefined> {
    await page.goto(`${base}/#/setup/${account.token}`);
    await page.getByTestId('setup-password').fill(PASSWORD);
    await page.getByTestId('setup-repeat').fill(PASSWORD);
    await page.getByTestId('setup-submit').click();
    if (!options.mfa) return undefined;
    const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/u);
    await poll(() => page.getByTestId('totp-qr').evaluate(naturalWidth)).toBeGreaterThan(0);
    if (options.screenshot) await page.screenshot({ path: join(SHOTS, options.screenshot) });
    await page.getByTestId('totp-confirm-code').fill(totpCode(secret));
    await page.getByTestId('totp-confirm').click();
    await poll(() => page.getByTestId('recovery-codes').locator('li').count()).toBe(10);
    await page.getByTestId('recovery-saved').click();
    return secret;
  }

  it('an admin adds accounts (setup links) and sees totals without people', async () => {
    const { context, page } = await newPage();
    await setUp(page, accounts.admin as Account, { mfa: true });
    await page.getByTestId('users').waitFor();
    expect(await navIds(page)).toEqual(['nav-dashboard', 'nav-users', 'nav-sources', 'nav-system', 'nav-account']);
    await poll(() => page.getByTestId('user-row').count()).toBe(2);
    const add = async (username: string, role: string, person?: string): Promise<Account> => {
      await page.getByTestId('add-user-username').fill(username);
      await page.getByTestId('add-user-role').selectOption(role);
      if (person) await page.getByTestId('add-user-person').fill(person);
      await page.getByTestId('add-user-submit').click();
      await poll(() => page.getByTestId('setup-link-url').textContent()).toMatch(/#\/setup\/\S+/u);
      return { username, token: tokenOf((await page.getByTestId('setup-link-url').textContent()) ?? '') };
    };
    accounts.audit = await add('auditor1', 'auditor');
    await page.keyboard.press('Escape');
    accounts.zhang = await add('zhangwei', 'employee', EMPLOYEE_PERSON);
    await poll(() => page.locator('[data-testid="user-row"][data-username="zhangwei"] [data-testid="user-approval-pending"]').count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'users-setup-link.png') });
    await page.keyboard.press('Escape');
    // A reset gives a new setup link; disabling and enabling change the row's status.
    const first = await add('temp1', 'auditor');
    await page.keyboard.press('Escape');
    const row = page.locator('[data-testid="user-row"][data-username="temp1"]');
    page.once('dialog', (d) => void d.accept());
    await row.getByTestId('user-reset').click();
    await poll(() => page.getByTestId('setup-link-url').textContent()).toMatch(/#\/setup\/\S+/u);
    expect(tokenOf((await page.getByTestId('setup-link-url').textContent()) ?? '')).not.toBe(first.token);
    await page.keyboard.press('Escape');
    await row.getByTestId('user-disable').click();
    await poll(() => row.locator('.badge.status-disabled').count()).toBe(1);
    await row.getByTestId('user-enable').click();
    await poll(() => row.locator('.badge.status-disabled').count()).toBe(0);
    await poll(() => page.getByTestId('user-row').count()).toBe(5);
    await page.screenshot({ path: join(SHOTS, 'users.png') });
    await page.getByTestId('nav-dashboard').click();
    await page.getByTestId('chart-by-person-hidden').waitFor();
    expect(await page.getByTestId('chart-by-person').count()).toBe(0);
    // System: the test server runs no malware scanner, so nothing is scanned and nothing quarantined.
    await page.getByTestId('nav-system').click();
    await poll(() => page.getByTestId('scanner-status').getAttribute('data-state')).toBe('not_configured');
    expect(await page.getByTestId('scanner-status').textContent()).toBe('未配置');
    expect(Number(await page.getByTestId('scan-count-not_scanned').getAttribute('data-count'))).toBeGreaterThan(0);
    expect(await page.getByTestId('scan-count-infected').getAttribute('data-count')).toBe('0');
    await page.getByTestId('no-infected').waitFor();
    await page.screenshot({ path: join(SHOTS, 'system.png') });
    // Sources: no connector source (such as a WeCom chat archive) on the test server.
    await page.getByTestId('nav-sources').click();
    await page.getByTestId('no-connectors').waitFor();
    expect(await page.getByTestId('source-row').count()).toBeGreaterThanOrEqual(2);
    await context.close();
  });

  it('a compliance officer signs in with TOTP, searches Chinese, opens the conversation and plays a voice note', async () => {
    const { context, page } = await newPage();
    const secret = await setUp(page, accounts.comp as Account, { mfa: true, screenshot: 'setup-authenticator.png' });
    secrets.comp = secret ?? '';
    await page.getByTestId('search-input').waitFor();

    // Sign out, then sign in again: password, then a TOTP code computed from the secret.
    await page.getByTestId('sign-out').click();
    await page.getByTestId('signin-username').fill(accounts.comp?.username ?? '');
    await page.getByTestId('signin-password').fill(PASSWORD);
    await page.screenshot({ path: join(SHOTS, 'sign-in.png') });
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('signin-totp').fill(totpCode(secrets.comp, 1));
    await page.getByTestId('signin-verify').click();
    await poll(() => page.getByTestId('current-user').textContent()).toContain(accounts.comp?.username ?? '?');

    // Compliance may search, read, see statistics and sources, and manage retention, holds, disposition and privacy requests; not users or the audit log.
    const nav = await navIds(page);
    expect(nav).toEqual(['nav-search', 'nav-dashboard', 'nav-sources', 'nav-retention', 'nav-holds', 'nav-disposition', 'nav-privacy', 'nav-account']);

    // The employee account the admin created reads content: it waits for a compliance user's approval (the auditor does not).
    await page.getByTestId('nav-dashboard').click();
    await page.getByTestId('account-approvals').waitFor();
    expect(await page.getByTestId('account-approval').evaluateAll((els) => els.map((e) => e.getAttribute('data-username')))).toEqual(['zhangwei']);
    await page.getByTestId('account-approve').click();
    await poll(() => page.getByTestId('account-approvals').count()).toBe(0);
    await page.getByTestId('nav-search').click();

    // Chinese search over the demo corpus: exact total, matches highlighted, permalink in the hash.
    await page.getByTestId('search-input').fill('合同');
    await page.getByTestId('search-submit').click();
    await page.getByTestId('search-hit').first().waitFor();
    expect(Number(await page.getByTestId('search-total').getAttribute('data-total'))).toBeGreaterThan(0);
    expect(new Set(await page.locator('[data-testid="search-hit"] mark').allTextContents())).toEqual(new Set(['合同']));
    expect(decodeURIComponent(new URL(page.url()).hash)).toBe('#/search?q=合同');
    await page.screenshot({ path: join(SHOTS, 'search.png') });

    // The fixture's keyword: three conversations.
    await page.goto(`${base}/#/search?q=${encodeURIComponent(`${KEYWORD} -底价`)}`);
    await poll(() => page.getByTestId('search-total').getAttribute('data-total')).toBe('4');
    await page.goto(`${base}/#/search?q=${encodeURIComponent(KEYWORD)}`);
    await poll(() => page.getByTestId('search-total').getAttribute('data-total')).toBe('5');
    secretHref = (await page.locator('[data-testid="search-hit"]', { hasText: SECRET_TITLE }).first().getAttribute('href')) ?? '';
    expect(secretHref).toMatch(/^#\/c\//u);

    // Open the direct chat at the hit: the target bubble is highlighted and in view.
    const hit = page.locator('[data-testid="search-hit"]', { hasText: '季度报价单' });
    const key = await hit.getAttribute('data-key');
    await hit.click();
    const target = page.locator(`[data-testid="bubble"][data-key="${key}"]`);
    await poll(() => target.getAttribute('class')).toContain('target');
    expect(await target.isVisible()).toBe(true);
    expect(page.url()).toContain(`around=${key}`);
    await poll(() => page.getByTestId('conversation-title').textContent()).toBe('李娜');
    // Bubbles of every kind: day separators, a recalled original with its badge, a call record, cards.
    expect(await page.getByTestId('day-separator').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('recalled-badge').first().textContent()).toMatch(/撤回于/u);
    expect(await page.getByTestId('call-record').textContent()).toContain('语音通话 3:12');
    expect(await page.getByTestId('link-card').count()).toBe(1);
    expect(await page.getByTestId('location-card').count()).toBe(1);
    expect(await page.getByTestId('file-card').count()).toBe(1);
    await poll(() => page.getByTestId('image-thumb').locator('img').evaluate(naturalWidth)).toBe(240);

    // Play the voice note (a WAV the browser can play) to the end.
    const voice = page.getByTestId('voice-player');
    await voice.scrollIntoViewIfNeeded();
    await voice.evaluate((a) => (a as unknown as MediaElement).play());
    await poll(() => voice.evaluate((a) => (a as unknown as MediaElement).currentTime)).toBeGreaterThan(0.3);
    expect(await voice.evaluate((a) => (a as unknown as MediaElement).error)).toBeNull();
    expect(await voice.evaluate((a) => Math.round((a as unknown as MediaElement).duration * 10) / 10)).toBe(1.6);
    await voice.evaluate((a) => (a as unknown as MediaElement).pause());
    await page.screenshot({ path: join(SHOTS, 'conversation.png') });

    // A demo WeCom/WeChat voice note (AMR or SILK): the server decodes it to WAV for the player.
    await page.goto(`${base}/#/search?q=${encodeURIComponent('type:voice source:demo:wecom')}`);
    await poll(() => page.getByTestId('search-total').getAttribute('data-total')).not.toBe(null);
    const voiceHit = page.getByTestId('search-hit').first();
    const voiceKey = await voiceHit.getAttribute('data-key');
    await voiceHit.click();
    const amr = page.locator(`[data-testid="bubble"][data-key="${voiceKey}"] [data-testid="voice-player"]`);
    await amr.waitFor();
    expect(await amr.getAttribute('src')).toMatch(/\?as=wav$/u);
    await amr.evaluate((a) => (a as unknown as MediaElement).play());
    await poll(() => amr.evaluate((a) => (a as unknown as MediaElement).currentTime)).toBeGreaterThan(0.2);
    await amr.evaluate((a) => (a as unknown as MediaElement).pause());

    // The dashboard: charts and the forecast, labelled as such.
    await page.getByTestId('nav-dashboard').click();
    await page.getByTestId('chart-growth').locator('canvas').first().waitFor();
    await page.getByTestId('chart-daily').locator('canvas').first().waitFor();
    expect(await page.getByTestId('forecast-note').textContent()).toContain('预测');
    // A tooltip (drawn on the canvas: the HTML tooltip would break the CSP).
    const growth = page.getByTestId('chart-growth').locator('canvas').first();
    const box = await growth.boundingBox();
    if (box) await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
    await page.getByTestId('chart-by-type-table-toggle').click();
    expect(await page.getByTestId('chart-by-type').locator('tbody tr').count()).toBeGreaterThan(3);
    await page.getByTestId('chart-by-type-table-toggle').click();
    await page.waitForTimeout(400); // chart animations
    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });

    await page.getByTestId('nav-sources').click();
    await page.getByTestId('source-row').first().waitFor();
    expect(await page.getByTestId('source-row').count()).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(SHOTS, 'sources.png') });

    await page.getByTestId('nav-account').click();
    await page.getByTestId('session-row').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'account.png') });

    // Language switch: English, remembered across a reload.
    await page.getByTestId('lang-switch').selectOption('en');
    expect(await page.getByTestId('nav-search').textContent()).toBe('Search');
    await page.reload();
    await poll(() => page.getByTestId('nav-search').textContent()).toBe('Search');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.goto(`${base}/#/search?q=${encodeURIComponent(KEYWORD)}`);
    await poll(() => page.getByTestId('search-total').textContent()).toBe('5 results');
    await page.screenshot({ path: join(SHOTS, 'search-en.png') });
    await page.getByTestId('lang-switch').selectOption('zh-CN');
    expect(await page.getByTestId('nav-search').textContent()).toBe('搜索');

    // On a phone (390 px wide): no page scrolls sideways; wide tables scroll inside their frame.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = (): Promise<number> => page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as Promise<number>;
    const pages: [string, string][] = [
      [`#/search?q=${encodeURIComponent(KEYWORD)}`, 'search-total'], ['#/dashboard', 'dashboard'], ['#/sources', 'sources'], ['#/retention', 'retention'],
      ['#/holds', 'holds'], ['#/disposition', 'disposition'], ['#/privacy', 'privacy'], ['#/account', 'session-row'],
    ];
    for (const [path, ready] of pages) {
      await page.goto(`${base}/${path}`);
      await page.getByTestId(ready).first().waitFor();
      await page.waitForTimeout(300); // charts and late panels settle
      await page.screenshot({ path: join(SHOTS, `phone-${path.replace(/[^a-z]+/giu, '-').replace(/^-|-$/gu, '')}.png`), fullPage: true });
      expect(await overflow(), `${path} is wider than a 390 px screen`).toBeLessThanOrEqual(1);
    }
    // The navigation has a row of its own under the brand, as wide as the screen (it scrolls sideways).
    const navBox = (await page.locator('.main-nav').boundingBox())!;
    const brand = (await page.locator('.brand').boundingBox())!;
    expect(navBox.y).toBeGreaterThanOrEqual(brand.y + brand.height - 1);
    expect(navBox.width).toBeGreaterThanOrEqual(360);
    await context.close();
  });

  it('an employee sees only the conversations they took part in', async () => {
    const { context, page } = await newPage();
    expect(accounts.zhang, 'the admin test creates the employee').toBeDefined();
    await setUp(page, accounts.zhang as Account, { mfa: false });
    await page.getByTestId('search-input').waitFor();
    // The conversations they may open: their direct chat and their group, nothing else.
    await poll(() => page.getByTestId('conversation-row').count()).toBe(2);
    for (const t of await page.locator('[data-testid="conversation-row"] .hit-conv').allTextContents()) expect(VISIBLE_TITLES).toContain(t);
    const nav = await navIds(page);
    expect(nav).toEqual(['nav-search', 'nav-account']);

    await page.getByTestId('search-input').fill(KEYWORD);
    await page.getByTestId('search-submit').click();
    await page.getByTestId('search-hit').first().waitFor();
    expect(await page.getByTestId('search-total').getAttribute('data-total')).toBe('4');
    const titles = await page.locator('[data-testid="search-hit"] .hit-conv').allTextContents();
    expect(titles.length).toBe(4);
    for (const t of titles) expect(VISIBLE_TITLES).toContain(t);

    // Nothing of the demo corpus (no conversation of theirs) and nothing of the secret chat.
    await page.goto(`${base}/#/search?q=${encodeURIComponent('after:2000-01-01')}`);
    await poll(() => page.getByTestId('search-total').getAttribute('data-total')).toBe('13');
    await page.goto(`${base}/${secretHref}`);
    await poll(() => page.getByTestId('error').textContent()).toMatch(/不存在|无权/u);
    expect(await page.getByTestId('bubble').count()).toBe(0);

    // Their own chat: their messages on the right.
    await page.goto(`${base}/#/search?q=${encodeURIComponent('季度报价单')}`);
    await poll(() => page.getByTestId('search-total').getAttribute('data-total')).toBe('1');
    await page.getByTestId('search-hit').first().click();
    const mine = page.locator('[data-testid="bubble"][data-side="right"]');
    await mine.first().waitFor();
    expect(await mine.count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'conversation-employee.png') });
    await context.close();
  });

  it('an auditor enrolls a passkey, signs in with it, and verifies the audit log and a proof in the browser', async () => {
    const { context, page } = await newPage();
    // A virtual authenticator (Chrome DevTools protocol); WebAuthn needs a host name, not an IP address.
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true } });
    const local = base.replace('127.0.0.1', 'localhost');
    const account = accounts.audit as Account;
    await page.goto(`${local}/#/setup/${account.token}`);
    await page.getByTestId('setup-password').fill(PASSWORD);
    await page.getByTestId('setup-repeat').fill(PASSWORD);
    await page.getByTestId('setup-submit').click();
    await page.getByTestId('enroll-passkey').click();
    await poll(() => page.getByTestId('recovery-codes').locator('li').count()).toBe(10);
    await page.getByTestId('recovery-saved').click();
    await page.getByTestId('audit').waitFor();
    await page.getByTestId('sign-out').click();
    await page.getByTestId('signin-username').fill(account.username);
    await page.getByTestId('signin-password').fill(PASSWORD);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('signin-passkey').click();
    await page.getByTestId('audit').waitFor();

    expect(await navIds(page)).toEqual(['nav-dashboard', 'nav-audit', 'nav-retention', 'nav-disposition', 'nav-account']);
    await poll(() => page.getByTestId('audit-head-signature').getAttribute('data-ok')).toMatch(/true|unknown/u);
    await page.getByTestId('audit-verify').click();
    await poll(() => page.getByTestId('audit-verify-result').getAttribute('data-ok')).toBe('true');
    expect(await page.getByTestId('audit-row').count()).toBeGreaterThan(5);
    await page.screenshot({ path: join(SHOTS, 'audit.png') });
    await page.getByTestId('audit-proof-button').nth(3).click();
    await poll(() => page.getByTestId('audit-proof-check').getAttribute('data-ok')).toBe('true');
    await page.screenshot({ path: join(SHOTS, 'audit-proof.png') });
    await context.close();
  });

  it('served under the strict CSP without violations or page errors', () => {
    expect(problems).toEqual([]);
  });
});
