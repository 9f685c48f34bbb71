/**
 * The console's speed on the 1,000,000-message demo archive (issue 3: first screen < 1 s on localhost,
 * search results < 300 ms end to end):
 *
 *   node --import tsx bench/archive.ts        (once, to build .bench-tmp/data-none)
 *   node --import tsx bench/console.ts
 *
 * Serves the archive in-process on 127.0.0.1, signs a compliance user in through the real API
 * (password + TOTP), then measures over HTTP — baseline: GET /api/v1/health in the same run — the
 * console's first screen (index.html and its assets), the dashboard's statistics and searches; and,
 * when Debian's Chromium is installed, the same in a real browser (navigation until the first search
 * hit / the dashboard is on screen).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as OTPAuth from 'otpauth';
import { loadConfig } from '../src/config.js';
import { createContext } from '../src/context.js';
import { buildApp } from '../src/http/app.js';
import { addUser } from '../src/services/users.js';

const ROOT = resolve(import.meta.dirname, '..');
const DATA = process.env.BENCH_DATA ?? join(ROOT, '.bench-tmp', 'data-none');
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const say = (s = ''): void => void process.stdout.write(`${s}\n`);
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

if (!existsSync(join(DATA, 'wekeep.db'))) throw new Error(`no archive in ${DATA}: run bench/archive.ts first (or set BENCH_DATA)`);
const ctx = await createContext(loadConfig({ data: DATA }, {}));
const app = await buildApp(ctx, { https: false });
const url = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');

let cookie = '';
let csrf = '';
async function call(method: string, path: string, body?: unknown): Promise<{ ms: number; json: Record<string, unknown>; bytes: number }> {
  const t = performance.now();
  const res = await fetch(`${url}${path}`, { method, headers: { cookie, 'x-csrf-token': csrf, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  const ms = performance.now() - t;
  const set = res.headers.get('set-cookie');
  if (set) cookie = set.split(';')[0]!;
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  if (typeof json.csrfToken === 'string') csrf = json.csrfToken;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return { ms, json, bytes: text.length };
}

const username = `bench${Date.now() % 1_000_000}`;
const { setupToken } = await addUser(ctx, { username, role: 'compliance' });
await call('GET', '/api/v1/auth/session');
const password = 'Bench-console passphrase 42';
await call('POST', `/api/v1/auth/setup/${setupToken}`, { password });
const enroll = await call('POST', '/api/v1/auth/totp/enroll');
const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(String(enroll.json.secret)) });
await call('POST', '/api/v1/auth/totp/confirm', { code: totp.generate() });

async function timed(path: string, runs = RUNS): Promise<number[]> {
  await call('GET', path);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push((await call('GET', path)).ms);
  return out;
}

const health = await timed('/api/v1/health');
const index = await fetch(`${url}/`).then((r) => r.text());
const assets = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/gu)].map((m) => m[1]!);
const firstScreen: number[] = [];
let firstScreenBytes = 0;
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  const parts = await Promise.all([fetch(`${url}/`).then((r) => r.arrayBuffer()), ...assets.map((a) => fetch(`${url}${a}`).then((r) => r.arrayBuffer()))]);
  await call('GET', '/api/v1/auth/session');
  firstScreen.push(performance.now() - t);
  firstScreenBytes = parts.reduce((n, p) => n + p.byteLength, 0);
}
const stats = await timed('/api/v1/stats', 10);
const queries: [string, string][] = [['2-char Chinese 合同', '合同'], ['1-char Chinese 款', '款'], ['English invoice', 'invoice'], ['filtered 合同 type:text after:2026-01-01', '合同 type:text after:2026-01-01']];
const searches = [];
for (const [label, q] of queries) searches.push({ label, ms: await timed(`/api/v1/search?q=${encodeURIComponent(q)}&limit=50`) });

say('### Console on the 1,000,000-message demo archive (HTTP, localhost)');
say();
say(`| request | p50 ms | p95 ms | ratio p50 / health p50 |`);
say('|---|---:|---:|---:|');
const row = (label: string, xs: number[]): void => say(`| ${label} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 95).toFixed(1)} | ${(pct(xs, 50) / pct(health, 50)).toFixed(1)} |`);
row('baseline: GET /api/v1/health', health);
row(`first screen: index.html + ${assets.length} assets (${(firstScreenBytes / 1024).toFixed(0)} KiB) + session`, firstScreen);
row('dashboard data: GET /api/v1/stats', stats);
for (const s of searches) row(`search ${s.label} (exact total + 50 hits)`, s.ms);

if (existsSync('/usr/bin/chromium')) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const context = await browser.newContext();
  const [name, value] = cookie.split('=');
  await context.addCookies([{ name: name!, value: value!, url }]);
  const searchRuns: number[] = [];
  const firstRuns: number[] = [];
  for (let i = 0; i < 8; i++) {
    const page = await context.newPage();
    let t = performance.now();
    await page.goto(`${url}/#/search?q=${encodeURIComponent('合同')}`);
    await page.locator('[data-testid="search-hit"]').first().waitFor({ timeout: 30_000 });
    searchRuns.push(performance.now() - t);
    // A new search typed into the loaded console: request, render, first hit on screen.
    await page.fill('[data-testid="search-input"]', '付款');
    t = performance.now();
    await page.press('[data-testid="search-input"]', 'Enter');
    await page.locator('[data-testid="search-hit"]', { hasText: '付款' }).first().waitFor({ timeout: 30_000 });
    firstRuns.push(performance.now() - t);
    await page.close();
  }
  await browser.close();
  say();
  say('In Chromium (headless, localhost):');
  say();
  say('| measure | p50 ms | p95 ms |');
  say('|---|---:|---:|');
  say(`| first screen: navigate to #/search?q=合同 until the first hit is on screen (cold page) | ${pct(searchRuns, 50).toFixed(0)} | ${pct(searchRuns, 95).toFixed(0)} |`);
  say(`| search typed in the console until the first hit is on screen | ${pct(firstRuns, 50).toFixed(0)} | ${pct(firstRuns, 95).toFixed(0)} |`);
}
await app.close();
await ctx.close();
