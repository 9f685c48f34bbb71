import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from '../context.js';
import { listSourceSettings } from '../repositories/source-settings.js';
import { dispositionDue, restoredPause } from '../services/disposition-run.js';
import { purgeIndexNow } from '../services/disposition.js';
import { runErasureFollowUps } from '../services/privacy-requests.js';
import { rescanPending } from '../services/scanning.js';
import { Scheduler } from './scheduler.js';

/**
 * The background work of `wekeep serve` and `wekeep work`, registered explicitly:
 * - `wecom-sync:<source>`: one sync per configured WeCom source at its interval, run as a child
 *   `wekeep sources sync` process (its own database connection and writer lock; a crash in the SDK
 *   cannot take the server down);
 * - `wecom-directory:<source>`: the directory sync (names, departments, room titles, consent status)
 *   of each WeCom source, daily by default, as a child `wekeep sources directory` process;
 * - `scan-pending`: attachments that arrived while clamd was unreachable are scanned again;
 * - `retention-disposition`: every hour, checks whether the daily disposition is due (enabled
 *   policies with a maximum, and no run completed in the last 24 h, or an interrupted run to
 *   continue) and then runs it as a child `wekeep retention run --trigger schedule` process;
 *   otherwise drops the index tokens that disposals outside a sweep (approved reviews) left
 *   (services/disposition.ts purgeIndexNow: nothing to do is one cheap read) and runs the erasure
 *   follow-ups that are due (a store with floors only has no daily run to do them).
 */

const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');
export const syncJobName = (source: string): string => `wecom-sync:${source}`;
export const directoryJobName = (source: string): string => `wecom-directory:${source}`;
export const DISPOSITION_JOB = 'retention-disposition';

/**
 * The environment of a job's child `wekeep` process: this store and its key, the scanner, and — when
 * this server runs from the TypeScript sources — the sources too, not a dist/ that may be older.
 */
export function childEnv(config: Context['config'], fromSource: boolean, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, WEKEEP_DATA: config.dataDir };
  if (config.masterKeyHex) env.WEKEEP_MASTER_KEY = config.masterKeyHex;
  else env.WEKEEP_KEY_FILE = config.keyFile;
  if (config.clamd) env.WEKEEP_CLAMD = config.clamd;
  if (fromSource) env.WEKEEP_FROM_SOURCE = '1';
  return env;
}

function runChild(ctx: Context, args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const fromSource = import.meta.url.endsWith('.ts');
    // The child runs the code this process runs: the sources through bin/ (tsx), else the main.js of
    // this very build (dist/, or a test run's own build), never another build that may be older.
    const entry = fromSource ? join(PACKAGE_ROOT, 'bin', 'wekeep.js') : fileURLToPath(new URL('../main.js', import.meta.url));
    const child = spawn(process.execPath, [entry, ...args], { env: childEnv(ctx.config, fromSource), stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 || code === 3 ? resolvePromise() : reject(Object.assign(new Error(`wekeep ${args[0] ?? ''} failed`), { code: `exit_${code}` }))));
  });
}

export async function startBackgroundJobs(ctx: Context): Promise<Scheduler> {
  const scheduler = new Scheduler(ctx.log);
  for (const s of await listSourceSettings(ctx.db)) {
    if (s.kind !== 'wecom') continue;
    const config = JSON.parse(s.config) as { syncIntervalSeconds?: number; directoryIntervalSeconds?: number };
    scheduler.add({ name: syncJobName(s.name), intervalMs: (config.syncIntervalSeconds ?? 300) * 1000, run: () => runChild(ctx, ['sources', 'sync', s.name, '--json']) });
    scheduler.add({ name: directoryJobName(s.name), intervalMs: (config.directoryIntervalSeconds ?? 86_400) * 1000, run: () => runChild(ctx, ['sources', 'directory', s.name, '--json']) });
  }
  scheduler.add({
    name: DISPOSITION_JOB,
    intervalMs: 60 * 60_000,
    run: async () => {
      // After a restore, nothing is disposed of or erased on a schedule until a person has run one disposition.
      if (await restoredPause(ctx.db)) return;
      if (await dispositionDue(ctx)) {
        await runChild(ctx, ['retention', 'run', '--trigger', 'schedule', '--json']); // its erasure follow-ups included
        return;
      }
      await purgeIndexNow(ctx, 'job:index-purge');
      // A store without ceilings has no daily run, yet a released hold or a passed floor must still
      // end in the erasure the requester was promised.
      await runErasureFollowUps(ctx); // nothing due: one read
    },
  });
  if (ctx.scanner) scheduler.add({ name: 'scan-pending', intervalMs: 5 * 60_000, run: async () => void (await rescanPending(ctx)) });
  scheduler.start();
  return scheduler;
}
