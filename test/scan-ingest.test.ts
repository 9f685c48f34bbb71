import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { listAuditEvents } from '../src/services/audit.js';
import { readAttachment } from '../src/services/conversations.js';
import { importNdjson } from '../src/services/import.js';
import { rescanPending, scanReport } from '../src/services/scanning.js';
import { searchMessages } from '../src/services/search.js';
import { exportAttachments } from '../src/services/show.js';
import { initStore } from '../src/services/store.js';
import { tempDir } from './support/cli.js';
import { clamdMissingReason, eicarTestFile, startClamd, type ClamdServer } from './support/clamd.js';
import { textRecord, toNdjson } from './support/records.js';

/**
 * Every new attachment is scanned by a real clamd in the ingest path, fail-closed: infected files are
 * kept encrypted and never served; while clamd is down new files wait as pending and are not served.
 */

const missing = clamdMissingReason();
const dir = tempDir('scan');
let clamd: ClamdServer | undefined;
let ctx: Context;

/** A ZIP with one stored (uncompressed) entry: the archive scanner must look inside. */
function storedZip(name: string, data: Buffer): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const b of data) crc = crcTable[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  crc = (crc ^ 0xffffffff) >>> 0;
  const fname = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fname.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fname.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + fname.length, 12);
  end.writeUInt32LE(30 + fname.length + data.length, 16);
  return Buffer.concat([local, fname, data, central, fname, end]);
}

async function importRecords(records: object[], name: string): Promise<void> {
  const file = join(dir.path, name);
  writeFileSync(file, toNdjson(records));
  await importNdjson(ctx, { file });
}

async function attachmentOf(id: string): Promise<{ key: number }> {
  const r = await searchMessages(ctx, { query: `type:file`, limit: 100, offset: 0 });
  const m = r.messages.find((x) => x.id === id);
  if (!m) throw new Error(`no message ${id}`);
  return { key: m.key };
}

describe.skipIf(missing !== undefined)('malware scanning in the ingest path (real clamd)', () => {
  beforeAll(async () => {
    clamd = await startClamd();
    const config = loadConfig({ data: join(dir.path, 'data'), clamd: clamd!.socketPath }, {});
    await (await initStore(config)).ctx.close();
    ctx = await createContext(config);
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
    await clamd?.dispose();
    dir.cleanup();
  });

  it('serves clean files and quarantines EICAR, plain and inside a zip', async () => {
    const b64 = (b: Buffer): string => b.toString('base64');
    await importRecords([
      textRecord({ id: 'clean', type: 'file', text: '报价单', attachments: [{ name: 'quote.txt', mime: 'text/plain', data: b64(Buffer.from('price list, nothing to see')) }] }),
      textRecord({ id: 'eicar', type: 'file', text: '测试文件', attachments: [{ name: 'eicar.com', data: b64(eicarTestFile()) }] }),
      textRecord({ id: 'zipped', type: 'file', text: '压缩包', attachments: [{ name: 'bundle.zip', mime: 'application/zip', data: b64(storedZip('inner.com', eicarTestFile())) }] }),
    ], 'first.ndjson');

    const clean = await readAttachment(ctx, (await attachmentOf('clean')).key, 0, { kind: 'all' });
    const chunks: Buffer[] = [];
    for await (const c of clean.body) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('price list, nothing to see');

    for (const id of ['eicar', 'zipped']) {
      const { key } = await attachmentOf(id);
      await expect(readAttachment(ctx, key, 0, { kind: 'all' })).rejects.toMatchObject({ code: 'attachment.quarantined', status: 403 });
      await expect(exportAttachments(ctx, { source: 'test', id }, join(dir.path, `out-${id}`))).rejects.toMatchObject({ code: 'attachment.quarantined' });
    }
    const report = await scanReport(ctx);
    expect(report.scanner).toMatchObject({ configured: true, reachable: true });
    expect(report.counts).toMatchObject({ clean: 1, infected: 2, pending: 0 });
    expect(report.infected.map((b) => b.signature).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^Test\.EICAR\./u)]));
    const hits = await searchMessages(ctx, { query: '测试文件', limit: 10, offset: 0 });
    expect(hits.messages[0]!.attachments[0]!.scan).toBe('infected');
    const events = await listAuditEvents(ctx, { limit: 100, action: 'attachment.infected' });
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({ count: 2 });
  });

  it('holds new files as pending while clamd is down, and serves them once a rescan finds them clean', async () => {
    await clamd!.stop();
    await importRecords([textRecord({ id: 'later', type: 'file', text: '合同草稿', attachments: [{ name: 'draft.txt', data: Buffer.from('draft v2').toString('base64') }] })], 'second.ndjson');
    const { key } = await attachmentOf('later');
    await expect(readAttachment(ctx, key, 0, { kind: 'all' })).rejects.toMatchObject({ code: 'attachment.pending_scan', status: 409 });
    expect((await rescanPending(ctx)).stillPending).toBe(1);
    await clamd!.restart();
    expect(await rescanPending(ctx)).toMatchObject({ scanned: 1, clean: 1, stillPending: 0 });
    const served = await readAttachment(ctx, key, 0, { kind: 'all' });
    const parts: Buffer[] = [];
    for await (const c of served.body) parts.push(c);
    expect(Buffer.concat(parts).toString()).toBe('draft v2');
  }, 60_000);
});
