import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as OTPAuth from 'otpauth';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect, onTestFailed } from 'vitest';
import { ROOT } from '../support/cli.js';

/**
 * What the browser tests share: Debian's Chromium, `wekeep serve` started as users run it and
 * waited for, the console built when its sources are newer than web/dist, setup links and TOTP codes.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

export interface Account {
  username: string;
  token: string;
}

export const tokenOf = (link: string): string => {
  const token = /#\/setup\/([^/?#\s]+)/u.exec(link)?.[1];
  if (!token) throw new Error(`no setup token in ${link}`);
  return token;
};

/** Runs a child process to its end: its standard output; rejects with its output on a non-zero exit. */
/** The child's stdout once it exits with one of `ok` (default 0; e.g. 3 for a partial sync). */
export function run(child: ChildProcess, what: string, ok: readonly number[] = [0]): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code !== null && ok.includes(code) ? resolve(out) : reject(new Error(`${what} exited with ${code}:\n${out}\n${err}`))));
  });
}

/**
 * `wekeep serve --demo` on a new data dir: creates the store with the demo corpus, creates the
 * `admin` and `demo` (compliance) accounts and writes their setup links to a file (its path printed), then the console's address.
 */
export function waitForServer(child: ChildProcess, timeoutMs: number): Promise<{ url: string; links: Map<string, string> }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`wekeep serve did not start in ${timeoutMs / 1000} s:\n${out}\n${err}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /WeKeep console: (https?:\/\/[^\s/]+)\//u.exec(out)?.[1];
      // Not a terminal: serve writes the links to a 0600 file and prints its path.
      const file = / are in (\S+) \(mode 0600\)/u.exec(out)?.[1];
      const written = file && existsSync(file) ? readFileSync(file, 'utf8') : '';
      const links = new Map([...written.matchAll(/^\s+(\S+)\s+\([a-z]+\): (\S+#\/setup\/\S+)$/gmu)].map((m) => [m[1] as string, m[2] as string]));
      if (url && links.has('admin') && links.has('demo')) {
        clearTimeout(timer);
        resolve({ url, links });
      }
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`wekeep serve exited with ${code}:\n${out}\n${err}`));
    });
  });
}

/** Newest modification time of the files under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const mtime = (path: string): number => (existsSync(path) ? statSync(path).mtimeMs : 0);

/** Builds the console (vite) unless web/dist is newer than every source of it. */
export async function buildConsoleIfStale(): Promise<void> {
  const built = mtime(join(ROOT, 'web', 'dist', 'index.html')) > Math.max(newestMtime(join(ROOT, 'web', 'src')), mtime(join(ROOT, 'web', 'index.html')), mtime(join(ROOT, 'web', 'vite.config.ts')));
  if (built) return;
  await run(spawn(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'error'], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' } }), 'vite build');
}

/**
 * `wekeep` as users run it (bin/wekeep.js): from the compiled dist/ when it is newer than every
 * source file (npm ci builds it; fast start), else from the sources through tsx.
 */
export function wekeep(args: string[]): ChildProcess {
  const distFresh = mtime(join(ROOT, 'dist', 'main.js')) > newestMtime(join(ROOT, 'src'));
  return spawn(process.execPath, [join(ROOT, 'bin', 'wekeep.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, WEKEEP_MASTER_KEY: '', WEKEEP_DATA: '', WEKEEP_KEY_FILE: '', WEKEEP_PUBLIC_URL: '', WEKEEP_FROM_SOURCE: distFresh ? '' : '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The data-testid of every navigation entry, in order. */
export async function navIds(page: Page): Promise<(string | null)[]> {
  const links = page.locator('[data-testid^="nav-"]');
  const out: (string | null)[] = [];
  for (let i = 0; i < (await links.count()); i++) out.push(await links.nth(i).getAttribute('data-testid'));
  return out;
}

export const naturalWidth = (el: unknown): number => (el as { naturalWidth: number }).naturalWidth;

/** The code of a 30-second step (the next ones with `stepsAhead`): the server accepts ±1 step and each step only once. */
export const totpCode = (secret: string, stepsAhead = 0): string => new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + stepsAhead * 30_000 });

/** The password every browser test sets for its accounts. */
export const PASSWORD = 'Tea-garden 7 lanterns 合同';

/** Stops a `wekeep serve` child: SIGTERM, then SIGKILL after 5 s. */
export async function stopServer(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (server.exitCode === null) server.kill('SIGKILL');
}

/**
 * A new page in its own context (Asia/Shanghai), collecting CSP violations and page errors into
 * `problems`, with a screenshot written to the temp dir when the current test fails.
 */
export async function openPage(
  browser: Browser,
  o: { name: string; problems: string[]; locale?: string; viewport?: { width: number; height: number }; timeoutMs?: number; fullPage?: boolean },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: o.viewport ?? { width: 1360, height: 900 }, locale: o.locale ?? 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  page.setDefaultTimeout(o.timeoutMs ?? 30_000);
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/iu.test(m.text())) o.problems.push(`CSP: ${m.text()}`);
  });
  page.on('pageerror', (e) => o.problems.push(`page error: ${e.message}`));
  onTestFailed(async ({ task }) => {
    const path = join(tmpdir(), `wekeep-${o.name}-failure-${task.name.replace(/\W+/gu, '-').slice(0, 60)}.png`);
    await page.screenshot({ path, fullPage: o.fullPage ?? true }).then(() => console.error(`screenshot of the failure: ${path}`), () => undefined);
  });
  return { context, page };
}

/** Completes an account's one-time setup link: password, and with `mfa` a TOTP second factor and its recovery codes. */
export async function setUpAccount(page: Page, base: string, account: Account, mfa: boolean): Promise<void> {
  await page.goto(`${base}/#/setup/${account.token}`);
  await page.getByTestId('setup-password').fill(PASSWORD);
  await page.getByTestId('setup-repeat').fill(PASSWORD);
  await page.getByTestId('setup-submit').click();
  if (!mfa) return;
  const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
  await expect.poll(() => page.getByTestId('totp-qr').evaluate(naturalWidth), { timeout: 30_000, interval: 150 }).toBeGreaterThan(0);
  await page.getByTestId('totp-confirm-code').fill(totpCode(secret));
  await page.getByTestId('totp-confirm').click();
  await expect.poll(() => page.getByTestId('recovery-codes').locator('li').count(), { timeout: 30_000, interval: 150 }).toBe(10);
  await page.getByTestId('recovery-saved').click();
}

/**
 * Launches Chromium and, at the same time, builds the console when its sources are newer and starts
 * `wekeep serve --demo N` on a fresh data dir: resolves with the server, the browser, the base URL
 * and the setup links the server printed (by user name).
 */
export async function startConsoleAndBrowser(
  data: string,
  o: { demo: number; timeoutMs: number; extraChromiumArgs?: string[] },
): Promise<{ server: ChildProcess; browser: Browser; base: string; links: Map<string, string> }> {
  const launched = chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...(o.extraChromiumArgs ?? [])],
  });
  // The server serves web/dist only if it exists when it starts.
  await buildConsoleIfStale();
  const server = wekeep(['--data', data, 'serve', '--port', '0', '--demo', String(o.demo)]);
  const [{ url, links }, browser] = await Promise.all([waitForServer(server, o.timeoutMs), launched]);
  return { server, browser, base: url, links };
}

/** The CLI against one data dir: a JSON command, a new account (its setup link), an import. */
export function cliFor(data: string): { json<T>(args: string[]): Promise<T>; addUser(username: string, role: string, person?: string): Promise<Account>; importFile(file: string): Promise<void> } {
  const json = async <T>(args: string[]): Promise<T> => JSON.parse(await run(wekeep(['--data', data, ...args, '--json']), `wekeep ${args.join(' ')}`)) as T;
  return {
    json,
    async addUser(username, role, person) {
      const r = await json<{ setupLink: string }>(['users', 'add', '--username', username, '--role', role, ...(person ? ['--person', person] : [])]);
      return { username, token: tokenOf(r.setupLink) };
    },
    async importFile(file) {
      await run(wekeep(['--data', data, 'import', file]), 'wekeep import');
    },
  };
}
