import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson, tempDir } from './support/cli.js';
import { textRecord, toNdjson } from './support/records.js';

// A small but complete archive journey through the real CLI: init → import (good and bad lines,
// attachments, recalls in both orders, calls, unknown types) → search → show → sources → stats →
// audit verify, plus the failure modes a user meets (wrong key, usage errors, re-import).

const PNG_1X1 = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6b7bf0000000049454e44ae426082', 'hex');
const PDF_BYTES = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const SECRET_PHRASE = '绝密并购项目代号青龙'; // must never appear in plaintext under the data dir
const SECRET_NAME = '欧阳娜娜娜';
const SECRET_ATTACHMENT = Buffer.from('ATTACHMENT-PLAINTEXT-CANARY-7f3a9c '.repeat(50));

describe('wekeep CLI: the archive core end to end', () => {
  const tmp = tempDir('cli');
  const data = join(tmp.path, 'data');
  const input = join(tmp.path, 'in');
  const file = join(input, 'chat.ndjson');
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['--data', data, ...args], { env });
  const json = <T>(args: string[], expectStatus = 0) => runCliJson<T>(['--data', data, ...args], { expectStatus });

  beforeAll(() => {
    mkdirSync(join(input, 'media'), { recursive: true });
    writeFileSync(join(input, 'media', 'contract.pdf'), PDF_BYTES);
    const lines: unknown[] = [
      textRecord({ id: 'a1', seq: 1, text: `关于${SECRET_PHRASE}的合同草稿`, from: { id: 'ouyang', name: SECRET_NAME } }),
      textRecord({ id: 'a2', seq: 2, type: 'image', text: undefined, attachments: [{ name: 'photo.png', mime: 'image/png', data: PNG_1X1.toString('base64') }] }),
      textRecord({ id: 'a3', seq: 3, type: 'file', text: undefined, attachments: [{ name: '合同.pdf', mime: 'application/pdf', path: 'media/contract.pdf' }] }),
      // the same image again: stored once
      textRecord({ id: 'a4', seq: 4, type: 'image', text: undefined, attachments: [{ name: 'photo-again.png', mime: 'image/png', data: PNG_1X1.toString('base64') }] }),
      textRecord({ id: 'a5', seq: 5, text: 'Please confirm the payment terms', conversation: { id: 'dm-1', type: 'direct' } }),
      // a recall after its original
      textRecord({ id: 'a6', seq: 6, type: 'recall', text: undefined, recalls: 'a5' }),
      // a recall before its original
      textRecord({ id: 'a7', seq: 7, type: 'recall', text: undefined, recalls: 'a9' }),
      '{"this is": not json',
      textRecord({ id: 'a8', seq: 8, time: '2026-03-01 10:00' }),
      textRecord({ id: 'a9', seq: 9, text: '發票已經開好了' }),
      textRecord({ id: 'a10', seq: 10, type: 'call', text: undefined, call: { media: 'video', durationSeconds: 125 } }),
      textRecord({ id: 'a11', seq: 11, type: 'sticker_pack', text: '未知类型', raw: { kind: 'sticker_pack', pack: 42 } }),
      { source: 'test', id: 'a12' },
      textRecord({ id: 'a13', seq: 14, text: 'gap before me', attachments: [{ name: 'secret.bin', data: SECRET_ATTACHMENT.toString('base64') }] }),
      textRecord({ id: 'a14', seq: 15, attachments: [{ name: 'missing.pdf', path: 'media/nope.pdf' }] }),
      '',
    ];
    writeFileSync(file, toNdjson(lines));
  });
  afterAll(() => tmp.cleanup());

  it('init creates an encrypted store and a 0600 key file, and refuses to run twice', () => {
    const r = cli(['init']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(data, 'wekeep.db'))).toBe(true);
    expect(existsSync(join(data, 'keyring.json'))).toBe(true);
    expect(statSync(join(data, 'master.key')).mode & 0o777).toBe(0o600);
    expect(statSync(data).mode & 0o777).toBe(0o700);
    expect(statSync(join(data, 'wekeep.db')).mode & 0o777).toBe(0o600);
    // A key file others can read is warned about (the key itself is never printed).
    chmodSync(join(data, 'master.key'), 0o644);
    const warned = cli(['sources']);
    expect(warned.status).toBe(0);
    expect(warned.stderr).toMatch(/WARNING: the master key file .*master\.key can be read by other users \(mode 0644\)/);
    expect(warned.stderr).not.toContain(readFileSync(join(data, 'master.key'), 'utf8').trim());
    chmodSync(join(data, 'master.key'), 0o600);
    expect(cli(['sources']).stderr).not.toMatch(/WARNING/);
    const again = cli(['init']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds a WeKeep store/);
    // A directory that holds something else is refused, and no key is left behind in it.
    const other = join(tmp.path, 'not-empty');
    mkdirSync(other);
    writeFileSync(join(other, 'readme.txt'), 'x');
    const refused = runCli(['--data', other, 'init']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/store\.dir_not_empty/);
    expect(readdirSync(other)).toEqual(['readme.txt']);
  });

  it('imports, quarantines bad lines with file, line and reason, and exits 3', () => {
    const s = json<{ imported: number; quarantined: number; duplicates: number; recallsLinked: number; recallsPending: number; attachments: { stored: number; deduplicated: number } }>(['import', file], 3);
    expect(s.imported).toBe(11);
    expect(s.quarantined).toBe(4);
    expect(s.recallsLinked).toBe(2);
    expect(s.recallsPending).toBe(0);
    expect(s.attachments.stored).toBe(3);
    expect(s.attachments.deduplicated).toBe(1);
    const q = json<{ total: number; entries: { id: number; file: string; line: number; reason: string }[] }>(['quarantine', 'list']);
    expect(q.total).toBe(4);
    const byLine = new Map(q.entries.map((e) => [e.line, e]));
    expect(byLine.get(8)?.reason).toMatch(/invalid JSON/);
    expect(byLine.get(9)?.reason).toMatch(/time: must be ISO 8601 with an offset/);
    expect(byLine.get(13)?.reason).toMatch(/conversation/);
    expect(byLine.get(15)?.reason).toMatch(/attachments\.0\.path: file not found/);
    expect(q.entries.every((e) => e.file === file)).toBe(true);
    const one = json<{ line: number; content: string }>(['quarantine', 'show', String(q.entries.find((e) => e.line === 8)!.id)]);
    expect(one).toMatchObject({ line: 8, content: '{"this is": not json' });
  });

  it('re-importing the same file archives nothing new and reports duplicates', () => {
    const s = json<{ imported: number; duplicates: number; quarantined: number }>(['import', file], 3);
    expect(s.imported).toBe(0);
    expect(s.duplicates).toBe(11);
    const q = json<{ total: number }>(['quarantine', 'list']);
    expect(q.total).toBe(4);
  });

  it('searches Chinese (simplified and traditional), English words and filters, with the documented JSON shape', () => {
    const r = json<{ total: number; hits: Record<string, unknown>[] }>(['search', '合同']);
    // the text of a1 and the attachment name 合同.pdf of a3
    expect(r.total).toBe(2);
    expect(Object.keys(r.hits[0]!).sort()).toEqual(['attachments', 'conversation', 'from', 'id', 'recalled', 'source', 'text', 'time', 'type']);
    expect(r.hits.map((h) => h.id)).toEqual(['a3', 'a1']);
    expect(json<{ total: number }>(['search', '发票']).total).toBe(1);
    expect(json<{ total: number }>(['search', 'payment']).total).toBe(1);
    expect(json<{ total: number }>(['search', 'pay']).total).toBe(0);
    expect(json<{ total: number }>(['search', 'pay*']).total).toBe(1);
    expect(json<{ total: number }>(['search', 'from:ouyang']).total).toBe(1);
    expect(json<{ total: number }>(['search', 'type:call']).total).toBe(1);
    expect(json<{ total: number }>(['search', 'has:attachment']).total).toBe(4);
    // A query may begin with "-", before or after the options.
    const all = json<{ total: number }>(['search', 'type:text OR type:image OR type:file OR type:call OR type:recall OR type:other']).total;
    expect(json<{ total: number }>(['search', '-from:ouyang', '--limit', '1']).total).toBe(all - 1);
    expect(json<{ total: number }>(['search', '--limit', '1', '-合同']).total).toBe(all - 2);
  }, 180_000); // a dozen CLI processes: slow on a loaded 2-core machine

  it('keeps recalled originals, marks them recalled and still finds them', () => {
    const r = json<{ total: number; hits: { id: string; recalled: boolean }[] }>(['search', 'is:recalled']);
    expect(r.hits.map((h) => h.id).sort()).toEqual(['a5', 'a9']);
    expect(r.hits.every((h) => h.recalled)).toBe(true);
    const shown = json<{ message: { recalled: boolean; recalledBy: string; text: string } }>(['show', 'test/a9']);
    expect(shown.message).toMatchObject({ recalled: true, recalledBy: 'a7', text: '發票已經開好了' });
  });

  it('archives unknown types as other with the raw payload kept', () => {
    const shown = json<{ message: { type: string; fields: Record<string, unknown>; raw: unknown } }>(['show', 'test/a11']);
    expect(shown.message.type).toBe('other');
    expect(shown.message.fields.originalType).toBe('sticker_pack');
    expect(shown.message.raw).toEqual({ kind: 'sticker_pack', pack: 42 });
  });

  it('keeps raw exactly as received: numbers beyond JavaScript\'s precision are kept and tell a changed payload apart', () => {
    const line = (msgid: string, spacing: string) =>
      `{"source":"rawfid","id":"r1","time":"2026-03-02T09:15:03+08:00","conversation":{"id":"c","type":"direct"},"from":{"id":"z"},"type":"text","text":"x","raw":{"msgid":${spacing}${msgid},"amount":100.10,"n":1e2}}`;
    // A store of its own: the tests below count this store's sources and records.
    const store = join(tmp.path, 'raw-store');
    expect(runCli(['--data', store, 'init']).status).toBe(0);
    const cli = (args: string[]) => runCli(['--data', store, ...args]);
    const json = <T>(args: string[]) => runCliJson<T>(['--data', store, ...args]);
    const first = join(tmp.path, 'raw-1.ndjson');
    writeFileSync(first, `${line('12345678901234567890', '')}\n`);
    expect(json<{ imported: number }>(['import', first]).imported).toBe(1);
    const shown = json<{ message: { rawText: string; raw: unknown } }>(['show', 'rawfid/r1']);
    expect(shown.message.rawText).toBe('{"msgid":12345678901234567890,"amount":100.10,"n":1e2}');
    // The same payload spaced differently is the same record; one differing beyond 2^53 is not.
    const spaced = join(tmp.path, 'raw-2.ndjson');
    writeFileSync(spaced, `${line('12345678901234567890', ' ')}\n`);
    expect(json<{ imported: number; duplicates: number; conflicts: number }>(['import', spaced])).toMatchObject({ imported: 0, duplicates: 1, conflicts: 0 });
    const changed = join(tmp.path, 'raw-3.ndjson');
    writeFileSync(changed, `${line('12345678901234567891', '')}\n`);
    const r = cli(['import', changed, '--json']);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ imported: 0, duplicates: 0, conflicts: 1 });
    // A record of an unknown type keeps its whole line as raw; the same record spaced otherwise is a duplicate.
    const other = '{"source":"rawfid","id":"o1","time":1772414160000,"conversation":{"id":"c","type":"direct"},"from":{"id":"z"},"type":"hongbao_v9","amount":1}';
    const otherFile = join(tmp.path, 'raw-other-1.ndjson');
    writeFileSync(otherFile, `${other}\n`);
    expect(json<{ imported: number }>(['import', otherFile]).imported).toBe(1);
    const otherSpaced = join(tmp.path, 'raw-other-2.ndjson');
    writeFileSync(otherSpaced, `${other.replace(/,/g, ', ').replace(/:/g, ': ')}  \r\n`);
    expect(json<{ imported: number; duplicates: number; conflicts: number }>(['import', otherSpaced])).toMatchObject({ imported: 0, duplicates: 1, conflicts: 0 });
    expect(json<{ message: { raw: unknown } }>(['show', 'rawfid/o1']).message.raw).toBe(other);
  });

  it('show prints a message with conversation context and writes attachments back byte-identical', () => {
    const out = join(tmp.path, 'out');
    const shown = json<{ message: { id: string }; context: { before: unknown[]; after: unknown[] }; exported: { file: string; sha256: string }[] }>(['show', 'test/a3', '--context', '2', '--attachments-to', out]);
    expect(shown.message.id).toBe('a3');
    expect(shown.context.before).toHaveLength(2);
    expect(shown.context.after).toHaveLength(2);
    expect(shown.exported).toHaveLength(1);
    expect(readFileSync(shown.exported[0]!.file)).toEqual(PDF_BYTES);
    expect(shown.exported[0]!.sha256).toBe(createHash('sha256').update(PDF_BYTES).digest('hex'));
    // Again into the same folder: a second file, the first is not overwritten.
    const twice = json<{ exported: { file: string }[] }>(['show', 'test/a3', '--attachments-to', out]);
    expect(twice.exported[0]!.file).toBe(join(out, '1-合同 (2).pdf'));
    expect(readFileSync(shown.exported[0]!.file)).toEqual(PDF_BYTES);
    expect(cli(['show', 'test/nope']).status).toBe(1);
    expect(cli(['show', 'no-slash']).status).toBe(2);
    // Never written back into the data dir, where nothing may be unencrypted.
    const inside = cli(['show', 'test/a3', '--attachments-to', join(data, 'blobs', 'out')]);
    expect(inside.status).toBe(2);
    expect(inside.stderr).toMatch(/outside the data dir.*\[show\.bad_target\]/);
    expect(existsSync(join(data, 'blobs', 'out'))).toBe(false);
    // A file where the directory should be is a usage error naming the option.
    writeFileSync(join(tmp.path, 'a-file'), 'x');
    const onFile = cli(['show', 'test/a3', '--attachments-to', join(tmp.path, 'a-file')]);
    expect(onFile.status).toBe(2);
    expect(onFile.stderr).toMatch(/--attachments-to .*a-file: cannot write there \(EEXIST\)/);
  });

  it('lists sources with the seq watermark and gaps', () => {
    const r = json<{ sources: { name: string; records: number; lastSeq: number; gaps: { from: number; to: number }[] }[] }>(['sources']);
    expect(r.sources).toHaveLength(1);
    expect(r.sources[0]).toMatchObject({ name: 'test', records: 11, lastSeq: 14 });
    expect(r.sources[0]!.gaps).toEqual([{ from: 8, to: 8, missing: 1 }, { from: 12, to: 13, missing: 2 }]);
  });

  it('reports data usage with de-duplication savings', () => {
    const s = json<{ totals: { messages: number }; attachments: { references: number; uniqueBlobs: number; dedupSavedBytes: number }; byType: { key: string; count: number }[]; byPerson: unknown[]; byDay: unknown[]; bySource: unknown[] }>(['stats']);
    expect(s.totals.messages).toBe(11);
    expect(s.attachments.references).toBe(4);
    expect(s.attachments.uniqueBlobs).toBe(3);
    expect(s.attachments.dedupSavedBytes).toBe(PNG_1X1.length);
    expect(s.byType.find((t) => t.key === 'image')?.count).toBe(2);
    expect(s.byPerson.length).toBeGreaterThan(0);
    expect(s.byDay.length).toBeGreaterThan(0);
    expect(s.bySource).toHaveLength(1);
  });

  it('leaves no plaintext text, name or attachment byte anywhere under the data dir', () => {
    const needles = [Buffer.from(SECRET_PHRASE), Buffer.from(SECRET_NAME), SECRET_ATTACHMENT.subarray(0, 40), Buffer.from('Please confirm the payment terms'), Buffer.from('payment')];
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else files.push(join(d, e.name));
      }
    };
    walk(data);
    expect(files.some((f) => f.endsWith('wekeep.db'))).toBe(true);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const n of needles) expect(bytes.includes(n), `${n.toString()} found in ${f}`).toBe(false);
    }
  });

  it('audits every change and read, and the audit log verifies', () => {
    const list = json<{ action: string }[]>(['audit', 'list', '--limit', '1000']);
    const actions = new Set(list.map((e) => e.action));
    for (const a of ['store.initialized', 'import.started', 'record.imported', 'record.quarantined', 'import.completed', 'search.executed', 'message.viewed', 'attachment.exported', 'stats.viewed']) {
      expect(actions, a).toContain(a);
    }
    const v = cli(['audit', 'verify']);
    expect(v.status, v.stdout + v.stderr).toBe(0);
  });

  it('a wrong key fails clearly and changes nothing', () => {
    const snapshot = (): string => {
      const h = createHash('sha256');
      for (const f of readdirSync(data).sort()) if (statSync(join(data, f)).isFile()) h.update(f).update(readFileSync(join(data, f)));
      return h.digest('hex');
    };
    const before = snapshot();
    const r = cli(['search', '合同'], { WEKEEP_MASTER_KEY: 'ab'.repeat(32) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/master key does not match/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = runCli(['--data', data, '--key-file', join(tmp.path, 'absent.key'), 'stats']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/master key file not found/);
    expect(snapshot()).toBe(before);
    // A damaged database file (here: truncated) is named as such, not as a wrong key.
    const damaged = join(tmp.path, 'damaged');
    cpSync(data, damaged, { recursive: true });
    truncateSync(join(damaged, 'wekeep.db'), 8192);
    rmSync(join(damaged, 'wekeep.db-wal'), { force: true });
    const broken = runCli(['--data', damaged, 'stats']);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/the database file is damaged, truncated or not this store's.*\[store\.db_unreadable\]/);
  });

  it('rotates the master key by re-wrapping: the new key opens the store, the old one does not', () => {
    const oldKey = readFileSync(join(data, 'master.key'), 'utf8').trim();
    const r = json<{ oldKeyId: string; newKeyId: string }>(['keys', 'rotate']);
    expect(r.newKeyId).not.toBe(r.oldKeyId);
    const newKey = readFileSync(join(data, 'master.key'), 'utf8').trim();
    expect(newKey).not.toBe(oldKey);
    expect(json<{ total: number }>(['search', '合同']).total).toBe(2);
    expect(cli(['stats'], { WEKEEP_MASTER_KEY: oldKey }).status).toBe(1);
    expect(cli(['audit', 'verify']).status).toBe(0);
    // Audited before (a rotation stopped midway still leaves a trace) and after.
    const events = json<{ action: string; details: { oldKeyId: string; newKeyId?: string } }[]>(['audit', 'list', '--action', 'keys.*']);
    expect(events.slice(0, 2).map((e) => [e.action, e.details.oldKeyId])).toEqual([['keys.rotated', r.oldKeyId], ['keys.rotation_started', r.oldKeyId]]);

    // --out never replaces a file (the keyring, the database, anything): refused before anything changes.
    const keyring = readFileSync(join(data, 'keyring.json'));
    for (const target of [join(data, 'keyring.json'), join(data, 'wekeep.db'), file]) {
      const refused = cli(['keys', 'rotate', '--out', target]);
      expect(refused.status, target).toBe(2);
      expect(refused.stderr).toMatch(/exists already/u);
    }
    expect(readFileSync(join(data, 'keyring.json')).equals(keyring)).toBe(true);
    expect(json<{ total: number }>(['search', '合同']).total).toBe(2);
    // To a new file: written there (0600), the keyring re-wrapped; the old key file is stale.
    const out = join(tmp.path, 'next.key');
    const moved = json<{ keyFile: string }>(['keys', 'rotate', '--out', out]);
    expect(moved.keyFile).toBe(out);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(cli(['stats'], { WEKEEP_MASTER_KEY: readFileSync(out, 'utf8').trim() }).status).toBe(0);
    expect(cli(['stats']).status).toBe(1);
    // With the key in the environment, --out is required (a usage error).
    expect(cli(['keys', 'rotate'], { WEKEEP_MASTER_KEY: readFileSync(out, 'utf8').trim() }).status).toBe(2);
    writeFileSync(join(data, 'master.key'), readFileSync(out));
    expect(cli(['stats']).status).toBe(0);
  });

  it('reports usage errors with exit 2 and fatal errors with exit 1, without stack traces', () => {
    expect(runCli(['no-such-command']).status).toBe(2);
    expect(cli(['search']).status).toBe(2);
    expect(cli(['search', '合同', '--limit', 'many']).status).toBe(2);
    expect(cli(['search', '"unclosed']).status).toBe(2);
    const missingFile = cli(['import', join(tmp.path, 'absent.ndjson')]);
    expect(missingFile.status).toBe(1);
    expect(missingFile.stderr).toMatch(/absent\.ndjson: not an existing, readable file/);
    const none = runCli(['--data', join(tmp.path, 'nowhere'), 'stats']);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/wekeep init/);
    expect(none.stderr).not.toMatch(/\n\s+at /);
    // With --json a failure is also one JSON object on stdout, for scripts.
    const jsonFatal = cli(['import', join(tmp.path, 'absent.ndjson'), '--json']);
    expect([jsonFatal.status, JSON.parse(jsonFatal.stdout)]).toEqual([1, { error: { code: 'import.file_unreadable', message: expect.stringMatching(/absent\.ndjson: not an existing, readable file/), exitCode: 1 } }]);
    const jsonUsage = cli(['search', '"unclosed', '--json']);
    expect([jsonUsage.status, JSON.parse(jsonUsage.stdout)]).toEqual([2, { error: { code: expect.stringMatching(/^search\./), message: expect.any(String), exitCode: 2 } }]);
    const jsonCommander = cli(['stats', '--bogus', '--json']);
    expect([jsonCommander.status, JSON.parse(jsonCommander.stdout)]).toEqual([2, { error: { code: 'usage.unknownOption', message: "unknown option '--bogus'", exitCode: 2 } }]);
    expect(cli(['search', '"unclosed']).stdout).toBe('');
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    for (const c of ['init', 'demo', 'import', 'search', 'show', 'stats', 'sources', 'quarantine', 'audit', 'keys']) expect(help.stdout).toContain(c);
  });

  it('says what is wrong with a directory given as a file, and with a file in another encoding', () => {
    expect(cli(['import', input]).stderr).toMatch(/it is a directory, not an NDJSON file \(a WeChat export folder: add --format auto\)/);
    const keyDir = runCli(['--data', data, '--key-file', tmp.path, 'stats']);
    expect([keyDir.status, keyDir.stderr]).toEqual([1, expect.stringMatching(/master key file .* is not a file .*\[keys\.master_unreadable\]/)]);
    const odd = join(input, 'odd.ndjson');
    writeFileSync(odd, Buffer.concat([
      Buffer.from(`${JSON.stringify(textRecord({ id: 'dir-att', attachments: [{ name: 'x', path: 'media' }] }))}\n`),
      Buffer.from([0xba, 0xcf, 0xcd, 0xac, 0x0a]), // 合同 in GBK
      Buffer.from(`${JSON.stringify(textRecord({ id: 'lone' })).replace(/"text":"[^"]*"/, '"text":"lone \\ud800 half"')}\n`),
      Buffer.from(`${JSON.stringify(textRecord({ id: 'pair', text: 'a pair \ud83d\ude00 is fine' })).replace('\ud83d\ude00', '\\ud83d\\ude00')}\n`),
    ]));
    const r = json<{ quarantined: number; imported: number }>(['import', odd], 3);
    expect(r).toMatchObject({ quarantined: 3, imported: 1 });
    expect(json<{ message: { text: string } }>(['show', 'test/pair']).message.text).toBe('a pair \ud83d\ude00 is fine');
    const entries = json<{ entries: { id: number; file: string; reason: string }[] }>(['quarantine', 'list', '--limit', '1000']).entries.filter((e) => e.file === odd);
    // The GBK line's bytes are kept, exactly, as evidence of what arrived.
    const gbk = json<{ content: string; contentEncoding: string | null }>(['quarantine', 'show', String(entries[1]!.id)]);
    expect(gbk.contentEncoding).toBe('base64');
    expect(Buffer.from(gbk.content, 'base64').equals(Buffer.from([0xba, 0xcf, 0xcd, 0xac]))).toBe(true);
    expect(cli(['quarantine', 'show', String(entries[1]!.id)]).stdout).toContain(`(not valid UTF-8: the line's bytes in base64; decode with base64 -d)\nus/NrA==`);
    expect(json<{ contentEncoding: string | null }>(['quarantine', 'show', String(entries[0]!.id)]).contentEncoding).toBeNull();
    const reasons = entries.map((e) => e.reason);
    expect(reasons).toEqual([
      expect.stringMatching(/attachments\.0\.path: not a file \(a directory\): media/),
      expect.stringMatching(/not valid UTF-8 \(the file must be UTF-8; a GBK\/GB18030 export/),
      expect.stringMatching(/^invalid record: text: not valid Unicode \(an unpaired surrogate/),
    ]);
  });
});

describe('wekeep import: a seq taken by another record of the source', () => {
  const tmp = tempDir('cli-seq');
  const data = join(tmp.path, 'data');
  afterAll(() => tmp.cleanup());

  it('keeps both records, counts and warns, and writes record.seq_reused', () => {
    expect(runCli(['--data', data, 'init']).status).toBe(0);
    const first = join(tmp.path, 'first.ndjson');
    const s1 = textRecord({ source: 'seqsrc', id: 's1', seq: 1 });
    writeFileSync(first, toNdjson([s1, textRecord({ source: 'seqsrc', id: 's2', seq: 2 }), textRecord({ source: 'seqsrc', id: 's3', seq: 3 })]));
    expect(runCliJson<{ seqReused: number }>(['--data', data, 'import', first]).seqReused).toBe(0);
    // s4 reuses archived seq 2; s5 and s6 share seq 7 in one file; s7 is new; s1 again is a duplicate, not a reuse.
    const second = join(tmp.path, 'second.ndjson');
    writeFileSync(second, toNdjson([
      textRecord({ source: 'seqsrc', id: 's4', seq: 2 }), textRecord({ source: 'seqsrc', id: 's5', seq: 7 }), textRecord({ source: 'seqsrc', id: 's6', seq: 7 }),
      textRecord({ source: 'seqsrc', id: 's7', seq: 8 }), s1,
    ]));
    const r = runCli(['--data', data, 'import', second, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { imported: number; duplicates: number; seqReused: number; sources: { name: string; seqReused: number }[] };
    expect(summary).toMatchObject({ imported: 4, duplicates: 1, seqReused: 2, sources: [{ name: 'seqsrc', seqReused: 2 }] });
    expect(r.stderr).toMatch(/warning: 2 new record\(s\) carry a seq that another record of their source already has/);
    const sources = runCliJson<{ sources: { name: string; records: number; lastSeq: number; gaps: { from: number; to: number }[] }[] }>(['--data', data, 'sources']);
    expect(sources.sources[0]).toMatchObject({ name: 'seqsrc', records: 7, lastSeq: 8, gaps: [{ from: 4, to: 6, missing: 3 }] });
    const events = runCliJson<{ action: string; details: unknown }[]>(['--data', data, 'audit', 'list', '--action', 'record.seq_reused']);
    expect(events.map((e) => e.details)).toEqual([{ sources: [{ source: 'seqsrc', count: 2 }] }]);
  });
});
