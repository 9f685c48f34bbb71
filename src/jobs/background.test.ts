import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/cli.js';
import { loadConfig } from '../config.js';
import { createContext, type Context } from '../context.js';
import { addWeComSource, loadWeComSource, updateWeComSource } from '../services/connectors/wecom-source.js';
import { initStore } from '../services/store.js';
import { childEnv, DISPOSITION_JOB, directoryJobName, startBackgroundJobs, syncJobName } from './background.js';

// The jobs `wekeep serve` / `wekeep work` schedule: a chat sync and a directory sync (names, room
// titles, consent status) per WeCom source, at the source's intervals, and the daily disposition.

const tmp = tempDir('background-jobs');
let ctx: Context;

beforeAll(async () => {
  const config = loadConfig({ data: join(tmp.path, 'data') }, {});
  await (await initStore(config)).ctx.close();
  ctx = await createContext(config);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  writeFileSync(join(tmp.path, 'secret'), 'archive-secret');
  writeFileSync(join(tmp.path, 'k.pem'), privateKey);
  await addWeComSource(ctx, { name: 'acme', corpId: 'ww1', secretFile: join(tmp.path, 'secret'), privateKeys: [`1=${join(tmp.path, 'k.pem')}`], sdkPath: '/unused.so' });
});
afterAll(async () => {
  await ctx.close();
  tmp.cleanup();
});

describe('background jobs', () => {
  it('schedule a chat sync and a daily directory sync per WeCom source, and the disposition check', async () => {
    expect((await loadWeComSource(ctx, 'acme')).config).toMatchObject({ syncIntervalSeconds: 300, directoryIntervalSeconds: 86_400 });
    const scheduler = await startBackgroundJobs(ctx);
    try {
      expect(scheduler.has(syncJobName('wecom:acme'))).toBe(true);
      expect(scheduler.has(directoryJobName('wecom:acme'))).toBe(true);
      expect(scheduler.has(DISPOSITION_JOB)).toBe(true);
    } finally {
      await scheduler.stop();
    }
  });

  it('run their child processes on this store, and from the sources when the server runs from them', () => {
    const fromBuild = childEnv(ctx.config, false, { PATH: '/usr/bin' });
    expect(fromBuild).toMatchObject({ PATH: '/usr/bin', WEKEEP_DATA: ctx.config.dataDir });
    expect(fromBuild.WEKEEP_FROM_SOURCE).toBeUndefined();
    expect(childEnv(ctx.config, true, {}).WEKEEP_FROM_SOURCE).toBe('1');
    expect(childEnv(ctx.config, false, {}).WEKEEP_KEY_FILE ?? childEnv(ctx.config, false, {}).WEKEEP_MASTER_KEY).toBeTruthy();
  });

  it('take the directory interval from the source settings (sources update --directory-interval)', async () => {
    await updateWeComSource(ctx, { name: 'acme', directoryIntervalSeconds: 3_600 });
    expect((await loadWeComSource(ctx, 'acme')).config.directoryIntervalSeconds).toBe(3_600);
  });
});
