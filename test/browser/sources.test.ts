import { type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { tryBuildFakeSdk } from '../support/wecom-sdk/build.js';
import { FakeSdkScenario, generateTestKeyPair } from '../support/wecom-sdk/scenario.js';
import { HAVE_CHROMIUM, openPage, run, setUpAccount, startConsoleAndBrowser, stopServer, tokenOf, wekeep, type Account } from './harness.js';

/**
 * The Sources page of a WeCom chat archive in real Chromium against the real `wekeep serve`: a
 * WeCom source added with `wekeep sources add wecom` (the SDK double of test/support/wecom-sdk/),
 * synced once with `wekeep sources sync` while WeCom refuses one message's file. The page shows the
 * connector, its cursor and the file missing from the archived message, waiting for the next syncs.
 */

const build = tryBuildFakeSdk();
/** The machine is shared: every wait is generous. */
const LONG = 240_000;

describe.skipIf(!HAVE_CHROMIUM || !build.available)('a WeCom source on the Sources page in Chromium', () => {
  const tmp = tempDir('browser-sources');
  const data = join(tmp.path, 'data');
  let server: ChildProcess | undefined;
  let base = '';
  let browser: Browser;
  let admin: Account;
  const problems: string[] = [];

  /** `wekeep …` on the data dir; `ok`: the exit statuses expected (a sync that archived everything but a file exits 3). */
  const cli = (args: string[], ok: number[] = [0]): Promise<string> => run(wekeep(['--data', data, ...args]), `wekeep ${args.join(' ')}`, ok);

  beforeAll(async () => {
    let links: Map<string, string>;
    ({ server, browser, base, links } = await startConsoleAndBrowser(data, { demo: 50, timeoutMs: 90_000 }));
    admin = { username: 'admin', token: tokenOf(links.get('admin') ?? '') };
    // The source is added after the server started, so its scheduler does not sync it: the CLI does, once.
    const key = generateTestKeyPair(1);
    writeFileSync(join(tmp.path, 'secret'), 'the-archive-secret\n');
    writeFileSync(join(tmp.path, 'key1.pem'), key.privateKeyPem);
    await cli(['sources', 'add', 'wecom', '--name', 'acme', '--corp-id', 'ww-browser', '--secret-file', join(tmp.path, 'secret'), '--private-key', `1=${join(tmp.path, 'key1.pem')}`, '--sdk', build.available ? build.libraryPath : '']);
    const fixtures = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'wecom', 'messages.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    const image = fixtures.image!;
    const fileId = String((image.image as { sdkfileid: string }).sdkfileid);
    const scenario = new FakeSdkScenario({ keyPairs: [key], chunkSize: 4096 });
    scenario.addMessage({ seq: 1, publickeyVer: 1, message: fixtures.text!, msgid: String(fixtures.text!.msgid) });
    scenario.addMessage({ seq: 2, publickeyVer: 1, message: image, msgid: String(image.msgid) });
    scenario.addMedia(fileId, Buffer.from('image bytes WeCom will not hand out'));
    scenario.failGetMediaData(fileId, 0, 10005, 'always');
    process.env.WECOM_FAKE_DIR = scenario.write(join(tmp.path, 'scenario')).dir;
    const synced = JSON.parse(await cli(['sources', 'sync', 'acme', '--json'], [3])) as { status: string; imported: number; media: { failed: number } };
    expect(synced).toMatchObject({ status: 'partial', imported: 2, media: { failed: 1 } });
  }, LONG);

  afterAll(async () => {
    delete process.env.WECOM_FAKE_DIR;
    await browser?.close();
    await stopServer(server);
    tmp.cleanup();
  });

  it('shows the connector with its cursor and the file still missing from an archived message', async () => {
    const { context, page } = await openPage(browser, { name: 'sources', problems, viewport: { width: 1280, height: 860 } });
    await setUpAccount(page, base, admin, true);
    await page.getByTestId('nav-sources').click();
    await page.getByTestId('cursor').waitFor();
    expect(await page.getByTestId('cursor').textContent()).toBe('2');
    const missing = page.getByTestId('missing-media');
    await missing.waitFor();
    expect(await missing.textContent()).toBe('消息中缺失的文件：1 个等待后续同步重试 · 0 个已补充 · 0 个已放弃');
    expect(await page.getByTestId('media-counts').getAttribute('class')).toBe('warn-text');
    // The same in English.
    await page.getByTestId('lang-switch').selectOption('en');
    await expect.poll(() => page.getByTestId('missing-media').textContent(), { timeout: 30_000, interval: 150 }).toBe('Files missing from archived messages: 1 waiting for the next syncs · 0 attached later · 0 abandoned');
    await context.close();
    expect(problems).toEqual([]);
  }, LONG);
});
