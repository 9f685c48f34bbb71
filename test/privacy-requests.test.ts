import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createContext, type Context } from '../src/context.js';
import { canonicalJson } from '../src/domain/audit-form.js';
import { decideRetention } from '../src/domain/retention.js';
import { frozenMessageKeys, prepareFrozenKeys, prepareFrozenPersonIds } from '../src/repositories/privacy.js';
import { listPrivacyRequests, openPrivacyRequest, showPrivacyRequest } from '../src/services/privacy-requests.js';
import { createFactsReader } from '../src/repositories/retention-facts.js';
import { loadRetentionRules } from '../src/services/retention-rules.js';
import { importNdjson } from '../src/services/import.js';
import { initStore } from '../src/services/store.js';
import { cliEnv, runCli, runCliJson, tempDir } from './support/cli.js';
import { FakeClock, startTestServer, createUser, type TestServer } from './support/http.js';
import { toNdjson, type TestRecord } from './support/records.js';

/**
 * Privacy requests (issue 5) end to end through the real CLI on a real data dir: a subject named
 * by an external userid, a name and a phone number; access export with its manifest; restriction
 * and lift (out of search and show, readable for a legal purpose, audited); an erasure that
 * freezes its records while open (the facts reader, decideRetention and the disposition sweep keep
 * them), then erases the free records and restricts those under a legal hold or a retention floor
 * with the legal grounds; a follow-up after the hold is released; deadlines with an injected clock.
 */

/** Each test runs the real CLI many times (a process each); generous on a loaded machine. */
const CLI_TEST_TIMEOUT = 600_000;

const REQUESTER = 'Li Si, letter of 2026-05-02 (ref LS-77)';
const SUBJECT_EXT = 'wmLiSi00001';
const SUBJECT_PHONE_ID = '13800138000';
const SHARED_IMAGE = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const CONTRACT_PDF = Buffer.from('%PDF-1.4 signed contract LS-2024 %%EOF\n');
const at = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d, 2, 0, 0);
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

const zs = { id: 'zhangsan', name: '张三' };
const ls = { id: SUBJECT_EXT, name: '李四' };
const ww = { id: 'wangwu', name: '王五' };
const zl = { id: 'zhaoliu', name: '赵六' };
const W = 'wecom:ww1';
const dm = { id: 'dm-zs-ls', type: 'direct' as const };
const deal = { id: 'room-deal', type: 'group' as const, title: '合同谈判群' };
const dmWz = { id: 'dm-ww-zl', type: 'direct' as const };

const records: TestRecord[] = [
  { source: W, id: 'a1', time: at(2020, 1, 10), conversation: dm, from: ls, to: [zs], type: 'image', text: '报价单截图', attachments: [{ name: 'quote.png', mime: 'image/png', data: SHARED_IMAGE.toString('base64') }] },
  { source: W, id: 'a2', time: at(2020, 2, 10), conversation: dm, from: zs, to: [ls], type: 'text', text: '收到报价，下周回复' },
  { source: W, id: 'h1', time: at(2021, 3, 1), conversation: deal, from: ls, to: [zs, ww], type: 'text', text: '合同第三条需要修改' },
  { source: W, id: 'h2', time: at(2021, 3, 2), conversation: deal, from: ww, to: [ls, zs], type: 'text', text: '同意修改合同' },
  { source: W, id: 'f1', time: at(2024, 5, 1), conversation: dm, from: ls, to: [zs], type: 'file', text: '签字版', attachments: [{ name: 'contract.pdf', mime: 'application/pdf', data: CONTRACT_PDF.toString('base64') }] },
  { source: 'wechat:wxid_me', id: 'p1', time: at(2023, 6, 1), conversation: { id: 'dm-phone', type: 'direct' }, from: { id: SUBJECT_PHONE_ID, name: '李四' }, to: [{ id: 'wxid_me', name: '我' }], type: 'text', text: '我是李四，换了新号码' },
  { source: W, id: 'o1', time: at(2022, 1, 5), conversation: dmWz, from: ww, to: [zl], type: 'text', text: '价格表发你了' },
  { source: W, id: 'o2', time: at(2020, 3, 1), conversation: dmWz, from: zl, to: [ww], type: 'text', text: '收到价格表' },
  { source: W, id: 'o3', time: at(2022, 2, 1), conversation: { id: 'room-internal', type: 'group' }, from: zs, to: [ww], type: 'image', text: '同一张图', attachments: [{ name: 'same.png', mime: 'image/png', data: SHARED_IMAGE.toString('base64') }] },
];
const SUBJECT_RECORDS = ['a1', 'a2', 'f1', 'h1', 'h2', 'p1'];

interface RequestJson {
  id: number; kind: string; status: string; overdue: boolean; daysLeft: number | null; deadline: string; openedAt: string; freezes: boolean;
  persons: { id: string; name: string | null; matchedBy: string[] }[];
  records: { total: number; sent: number; received: number; restricted: number };
  outcomes: { exported: number; erased: number; restricted: number; lifted: number };
  response: Record<string, unknown> | null;
}
interface Ground { type: string; holdId?: number; matter?: string; policyId?: number; policy?: string; basis?: string; records: number; until: string | null; law: string[] }
interface ErasureJson { kind: 'erasure'; erased: number; restricted: number; grounds: Ground[]; restrictedUntil: string | null; personDataErased: boolean; notice: { en: string; zh: string } }

describe('wekeep privacy: access, restriction, erasure of a data subject', () => {
  const tmp = tempDir('privacy');
  const data = join(tmp.path, 'data');
  const cli = (args: string[]) => runCli(['--data', data, ...args]);
  const json = <T>(args: string[], expectStatus = 0) => runCliJson<T>(['--data', data, ...args], { expectStatus });
  const searchTotal = (q: string): number => json<{ total: number }>(['search', q]).total;
  const withCtx = async <T>(fn: (ctx: Context) => Promise<T>): Promise<T> => {
    const ctx = await createContext(loadConfig({ data }, { WEKEEP_ACTOR: 'test' }));
    try {
      return await fn(ctx);
    } finally {
      await ctx.close();
    }
  };
  const keyOf = (ctx: Context, id: string): number => (ctx.sqlite.prepare('SELECT id FROM messages WHERE ext_id = ?').pluck().get(id) as number | undefined) ?? -1;

  // The store is set up in-process (what `wekeep init` and `wekeep import` do; their CLI is tested in archive-cli.test.ts).
  beforeAll(async () => {
    const file = join(tmp.path, 'chat.ndjson');
    writeFileSync(file, toNdjson(records));
    const { ctx } = await initStore(loadConfig({ data }, cliEnv()));
    try {
      expect(await importNdjson(ctx, { file })).toMatchObject({ imported: records.length, quarantined: 0 });
    } finally {
      await ctx.close();
    }
  }, CLI_TEST_TIMEOUT);
  afterAll(() => tmp.cleanup());

  it('matches a subject by external userid, name and phone (with or without +86), without opening anything on a dry run', () => {
    const byName = json<{ persons: { id: string }[]; records: number }>(['privacy', 'open', '--kind', 'erasure', '--subject', '李四', '--dry-run']);
    expect(byName.persons.map((p) => p.id).sort()).toEqual([SUBJECT_PHONE_ID, SUBJECT_EXT].sort());
    expect(byName.records).toBe(6);
    const byPhone = json<{ persons: { id: string; matchedBy: string[] }[]; records: number }>(['privacy', 'open', '--kind', 'access', '--subject', '+86 138-0013-8000', '--dry-run']);
    expect(byPhone.persons).toEqual([expect.objectContaining({ id: SUBJECT_PHONE_ID, matchedBy: ['+86 138-0013-8000'] })]);
    expect(byPhone.records).toBe(1);
    // One identifier matching nobody beside one that matches: not an error, but said.
    const partly = cli(['privacy', 'open', '--kind', 'access', '--subject', '李四', '--subject', 'nobody@corp.example', '--dry-run']);
    expect(partly.status).toBe(0);
    expect(partly.stderr).toMatch(/warning: --subject "nobody@corp.example" matches no person in the archive/);
    expect(partly.stderr).not.toMatch(/"李四" matches no person/);
    expect(json<{ requests: unknown[] }>(['privacy', 'list']).requests).toEqual([]);
    const none = cli(['privacy', 'open', '--kind', 'access', '--subject', 'nobody-at-all', '--requester', 'x']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no person in the archive matches/);
  }, CLI_TEST_TIMEOUT);

  it('access: exports every record the subject sent or received, the attachments, their personal data and a manifest of hashes', () => {
    const { request } = json<{ request: RequestJson }>(['privacy', 'open', '--kind', 'access', '--subject', SUBJECT_EXT, '--subject', '+8613800138000', '--requester', REQUESTER]);
    expect(request.status).toBe('open');
    expect(request.persons.map((p) => p.id).sort()).toEqual([SUBJECT_PHONE_ID, SUBJECT_EXT].sort());
    expect(request.records).toEqual({ total: 6, sent: 4, received: 2, restricted: 0 });
    expect(Date.parse(request.deadline) - Date.parse(request.openedAt)).toBe(15 * 86_400_000);

    // Never into the data dir (no plaintext there), never onto a file.
    const inside = cli(['privacy', 'execute', String(request.id), '--out', join(data, 'export')]);
    expect(inside.status).toBe(2);
    expect(inside.stderr).toMatch(/outside the data dir.*\[privacy\.bad_out\]/);
    expect(existsSync(join(data, 'export'))).toBe(false);
    const onFile = cli(['privacy', 'execute', String(request.id), '--out', join(data, 'wekeep.db')]);
    expect(onFile.status).toBe(2);
    writeFileSync(join(tmp.path, 'a-file'), 'x');
    const file = cli(['privacy', 'execute', String(request.id), '--out', join(tmp.path, 'a-file')]);
    expect(file.status).toBe(2);
    expect(file.stderr).toMatch(/is not a directory/);
    const out = join(tmp.path, 'access-export');
    const r = json<{ request: RequestJson; response: Record<string, unknown>; out: string }>(['privacy', 'execute', String(request.id), '--out', out]);
    expect(r.request.status).toBe('completed');
    expect(r.response).toMatchObject({ kind: 'access', records: 6, restricted: 0, attachments: 2, withheldAttachments: 0, files: 5 });

    // The manifest lists every other file with its size and SHA-256, and nothing else.
    const manifestBytes = readFileSync(join(out, 'manifest.json'));
    expect(r.response.manifestSha256).toBe(sha256(manifestBytes));
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { format: string; requestId: number; files: { path: string; size: number; sha256: string }[]; counts: Record<string, number> };
    expect(manifest.format).toBe('wekeep-privacy-access/1');
    expect(manifest.requestId).toBe(request.id);
    const onDisk = [...readdirSync(out).filter((f) => f !== 'attachments' && f !== 'manifest.json'), ...readdirSync(join(out, 'attachments')).map((f) => `attachments/${f}`)].sort();
    expect(manifest.files.map((f) => f.path).sort()).toEqual(onDisk);
    for (const f of manifest.files) {
      const bytes = readFileSync(join(out, f.path));
      expect(bytes.length, f.path).toBe(f.size);
      expect(sha256(bytes), f.path).toBe(f.sha256);
    }

    // records.ndjson: one canonical JSON record per line, sent or received by the subject.
    const lines = readFileSync(join(out, 'records.ndjson'), 'utf8').trimEnd().split('\n');
    const recs = lines.map((l) => JSON.parse(l) as { id: string; text: string | null; subjectRole: string; restricted: boolean; from: { id: string }; recordHash: string; attachments: { name: string; sha256: string; file: string | null }[] });
    lines.forEach((l) => expect(l).toBe(canonicalJson(JSON.parse(l))));
    expect(recs.map((x) => x.id).sort()).toEqual(SUBJECT_RECORDS);
    expect(recs.find((x) => x.id === 'a2')?.subjectRole).toBe('recipient');
    expect(recs.find((x) => x.id === 'h1')).toMatchObject({ subjectRole: 'sender', text: '合同第三条需要修改', restricted: false });
    expect(recs.every((x) => /^[0-9a-f]{64}$/.test(x.recordHash))).toBe(true);
    const f1 = recs.find((x) => x.id === 'f1')!;
    expect(f1.attachments).toHaveLength(1);
    expect(readFileSync(join(out, f1.attachments[0]!.file!)).equals(CONTRACT_PDF)).toBe(true);
    expect(f1.attachments[0]!.sha256).toBe(sha256(CONTRACT_PDF));
    expect(readFileSync(join(out, recs.find((x) => x.id === 'a1')!.attachments[0]!.file!)).equals(SHARED_IMAGE)).toBe(true);

    // subject.json: the person rows, how they were matched, their conversations.
    const subject = JSON.parse(readFileSync(join(out, 'subject.json'), 'utf8')) as { persons: { id: string; name: string; matchedBy: string[]; conversations: { id: string }[] }[]; request: { requester: string } };
    expect(subject.request.requester).toBe(REQUESTER);
    const ext = subject.persons.find((p) => p.id === SUBJECT_EXT)!;
    expect(ext.name).toBe('李四');
    expect(ext.conversations.map((c) => c.id).sort()).toEqual(['dm-zs-ls', 'room-deal']);
    expect(subject.persons.find((p) => p.id === SUBJECT_PHONE_ID)?.matchedBy).toEqual(['+8613800138000']);

    const shown = json<{ request: RequestJson }>(['privacy', 'show', String(request.id)]).request;
    expect(shown.outcomes.exported).toBe(6);
    expect(shown.response).toMatchObject({ kind: 'access', manifestSha256: sha256(manifestBytes) });
    // A completed access request is not executed twice; a non-empty directory is refused.
    expect(cli(['privacy', 'execute', String(request.id), '--out', join(tmp.path, 'again')]).status).toBe(2);
  }, CLI_TEST_TIMEOUT);

  it('restriction: the records leave search, view and export; a legal purpose reads them (audited); an access export includes them, flagged; lift brings them back', () => {
    expect(searchTotal('价格表')).toBe(2);
    const { request } = json<{ request: RequestJson }>(['privacy', 'open', '--kind', 'restriction', '--subject', 'zhaoliu', '--requester', 'Zhao Liu']);
    const done = json<{ response: { restricted: number; alreadyRestricted: number } }>(['privacy', 'execute', String(request.id)]);
    expect(done.response).toEqual({ kind: 'restriction', restricted: 2, alreadyRestricted: 0 });

    expect(searchTotal('价格表')).toBe(0);
    expect(searchTotal('from:wangwu')).toBe(1); // h2 only: o1 is restricted
    const hidden = cli(['show', `${W}/o1`]);
    expect(hidden.status).toBe(1);
    expect(hidden.stderr).toMatch(/no archived message wecom:ww1\/o1/);
    const legal = json<{ message: { id: string; text: string }; context: { before: unknown[]; after: unknown[] } }>(['show', `${W}/o1`, '--legal-purpose', 'court order 2026-17']);
    expect(legal.message).toMatchObject({ id: 'o1', text: '价格表发你了' });
    // The purpose covers o1 only: o2 (same conversation, restricted too) is not shown as its context.
    expect(legal.context).toEqual({ before: [], after: [] });
    const viewed = json<{ action: string; details: { restricted?: boolean; legalPurpose?: string } }[]>(['audit', 'list', '--action', 'message.viewed', '--limit', '1']);
    expect(viewed[0]?.details).toMatchObject({ restricted: true, legalPurpose: 'court order 2026-17' });
    expect(cli(['show', `${W}/o1`, '--legal-purpose', '  ']).status).toBe(2);

    // The subject's own access request includes their restricted records, flagged.
    const access = json<{ request: RequestJson }>(['privacy', 'open', '--kind', 'access', '--subject', '赵六', '--requester', 'Zhao Liu']).request;
    const out = join(tmp.path, 'access-zhaoliu');
    expect(json<{ response: { records: number; restricted: number } }>(['privacy', 'execute', String(access.id), '--out', out]).response).toMatchObject({ records: 2, restricted: 2 });
    const lines = readFileSync(join(out, 'records.ndjson'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { restricted: boolean });
    expect(lines.every((l) => l.restricted)).toBe(true);

    // Another subject's access request (王五 wrote o1 to 赵六): o1 is listed without its content, since
    // 赵六's restriction stands; 王五's own, unrestricted records are exported in full.
    const other = json<{ request: RequestJson }>(['privacy', 'open', '--kind', 'access', '--subject', 'wangwu', '--requester', 'Wang Wu']).request;
    const otherOut = join(tmp.path, 'access-wangwu');
    const otherDone = json<{ response: { records: number; restricted: number; withheldRestricted: number } }>(['privacy', 'execute', String(other.id), '--out', otherOut]).response;
    expect(otherDone).toMatchObject({ restricted: 0, withheldRestricted: 2 }); // o1 and o2, between 王五 and 赵六
    const otherLines = readFileSync(join(otherOut, 'records.ndjson'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string; text?: string; withheld?: string });
    const o1 = otherLines.find((l) => l.id === 'o1');
    expect(o1).toMatchObject({ withheld: 'restricted-for-another-subject' });
    expect(o1?.text).toBeUndefined();
    expect(readFileSync(join(otherOut, 'records.ndjson'), 'utf8')).not.toContain('价格表');
    expect(otherLines.filter((l) => l.withheld === undefined).every((l) => typeof l.text === 'string' || l.text === null)).toBe(true);

    // A rebuild of the index keeps them out of search.
    expect(cli(['reindex']).status).toBe(0);
    expect(searchTotal('价格表')).toBe(0);

    const lifted = json<{ lifted: number; stillRestricted: number; request: RequestJson }>(['privacy', 'lift', String(request.id), '--reason', 'accuracy verified']);
    expect(lifted).toMatchObject({ lifted: 2, stillRestricted: 0 });
    expect(lifted.request.outcomes.lifted).toBe(2);
    expect(searchTotal('价格表')).toBe(2);
    expect(json<{ message: { id: string } }>(['show', `${W}/o1`]).message.id).toBe('o1');
    expect(cli(['privacy', 'lift', String(request.id)]).status).toBe(2); // once only
  }, CLI_TEST_TIMEOUT);

  it('deadlines: 15 days by default, the store setting, --deadline-days; overdue with an injected clock', async () => {
    expect(json<{ deadlineDays: number }>(['privacy', 'settings']).deadlineDays).toBe(15);
    expect(json<{ deadlineDays: number }>(['privacy', 'settings', '--deadline-days', '30']).deadlineDays).toBe(30);
    const thirty = json<{ request: RequestJson }>(['privacy', 'open', '--kind', 'access', '--subject', 'wangwu', '--requester', 'Wang Wu']).request;
    expect(Date.parse(thirty.deadline) - Date.parse(thirty.openedAt)).toBe(30 * 86_400_000);
    expect(cli(['privacy', 'open', '--kind', 'access', '--subject', 'wangwu', '--requester', 'x', '--deadline-days', '0']).status).toBe(2);
    expect(cli(['privacy', 'settings', '--deadline-days', '15']).status).toBe(0);

    const clock = new FakeClock(Date.now());
    const ctx = await createContext(loadConfig({ data }, { WEKEEP_ACTOR: 'test' }), { clock });
    try {
      const r = await openPrivacyRequest(ctx, { kind: 'access', subjects: ['zhangsan'], requester: 'Zhang San', deadlineDays: 3 });
      expect(r).toMatchObject({ overdue: false, daysLeft: 3 });
      clock.advance(3 * 86_400_000 + 1);
      expect(await showPrivacyRequest(ctx, r.id)).toMatchObject({ overdue: true, daysLeft: -1, status: 'open' });
      const overdue = await listPrivacyRequests(ctx, { overdue: true });
      expect(overdue.map((x) => x.id)).toEqual([r.id]);
      expect(overdue.map((x) => x.id)).not.toContain(thirty.id);
    } finally {
      await ctx.close();
    }
    // Rejected: no longer overdue; decided after the deadline, so late.
    const rejected = json<{ request: RequestJson & { late: boolean; rejectReason: string } }>(['privacy', 'reject', String(thirty.id), '--reason', 'identity not verified']).request;
    expect(rejected).toMatchObject({ status: 'rejected', overdue: false, late: false, rejectReason: 'identity not verified' });
    expect(cli(['privacy', 'execute', String(thirty.id)]).status).toBe(2);
    expect(json<{ overdue: number }>(['privacy', 'list']).overdue).toBe(0); // the CLI's clock is real time: nothing is overdue yet
  }, CLI_TEST_TIMEOUT);

  describe('erasure', () => {
    let erasureId = 0;
    let holdId = 0;

    it('an open erasure request freezes its records: the facts reader marks them, decideRetention keeps them, other requests may not change them', async () => {
      expect(cli(['policies', 'add', '--name', 'files-10y', '--scope', 'type:file', '--min', '10y', '--purpose', 'contracts as accounting records', '--basis', 'PRC Accounting Archives Measures Art. 14']).status).toBe(0);
      expect(cli(['policies', 'add', '--name', 'texts-1y', '--scope', 'type:text', '--max', '1y', '--action', 'delete', '--purpose', 'minimum necessary', '--basis', 'PIPL Art. 19']).status).toBe(0);
      expect(cli(['matters', 'add', 'deal-dispute']).status).toBe(0);
      holdId = json<{ id: number }>(['holds', 'add', '--matter', 'deal-dispute', '--conversation', 'room-deal', '--reason', 'litigation with the buyer']).id;

      const { request } = json<{ request: RequestJson }>(['privacy', 'open', '--kind', 'erasure', '--subject', '李四', '--requester', REQUESTER]);
      erasureId = request.id;
      expect(request).toMatchObject({ status: 'open', freezes: true });
      expect(request.records.total).toBe(6);

      await withCtx(async (ctx) => {
        const all = (ctx.sqlite.prepare('SELECT id FROM messages ORDER BY id').pluck().all() as number[]).map(Number);
        const subjectKeys = new Set(SUBJECT_RECORDS.map((id) => keyOf(ctx, id)));
        expect(await frozenMessageKeys(ctx.db, all)).toEqual(subjectKeys);
        const subjectPersons = (ctx.sqlite.prepare('SELECT id FROM persons WHERE ext_id IN (?, ?) ORDER BY id').pluck().all(SUBJECT_EXT, SUBJECT_PHONE_ID) as number[]);
        expect([...prepareFrozenPersonIds(ctx.sqlite)().persons].sort((a, b) => a - b)).toEqual(subjectPersons);
        const reader = createFactsReader(ctx, { frozenKeys: prepareFrozenKeys(ctx.sqlite) });
        const facts = await reader.read(-1, 100);
        expect(new Set(facts.filter((f) => f.frozen).map((f) => f.key))).toEqual(subjectKeys);
        const rules = await loadRetentionRules(ctx.db, ctx.config.timeZone);
        const a2 = facts.find((f) => f.id === 'a2')!;
        const o2 = facts.find((f) => f.id === 'o2')!;
        // Both are text past the 1-year ceiling: o2 is due; a2 is kept for the open request.
        expect(decideRetention(a2, rules.policies, rules.holds, Date.now())).toMatchObject({ fate: 'keep', keepReason: 'privacy-request' });
        expect(decideRetention({ ...a2, frozen: false }, rules.policies, rules.holds, Date.now()).fate).toBe('delete');
        expect(decideRetention(o2, rules.policies, rules.holds, Date.now()).fate).toBe('delete');
      });

      // Another request may not change frozen records: a restriction for zhangsan (who shares them) is refused.
      const other = json<{ request: RequestJson }>(['privacy', 'open', '--kind', 'restriction', '--subject', 'zhangsan', '--requester', 'Zhang San']).request;
      const refused = cli(['privacy', 'execute', String(other.id)]);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(new RegExp(`frozen by open erasure request\\(s\\) #${erasureId}`));
      expect(json<{ request: RequestJson }>(['privacy', 'show', String(other.id)]).request.status).toBe('open');
      expect(cli(['privacy', 'reject', String(other.id), '--reason', 'superseded by the erasure request']).status).toBe(0);
    }, CLI_TEST_TIMEOUT);

    it('the disposition sweep leaves the records of an open erasure request alone', () => {
      // A dry run first (it changes nothing, so a failure here does not spoil the tests after it), then a real run.
      const dry = cli(['retention', 'run', '--dry-run', '--json']);
      expect(dry.status, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ counts: { keptByPrivacy: 2, keptByHold: 2, disposed: 2 } }); // a2, p1: due, frozen; h1, h2: held; o1, o2: due
      const run = cli(['retention', 'run', '--json']);
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ counts: { keptByPrivacy: 2, disposed: 2 } });
      expect(cli(['show', `${W}/o2`]).status).toBe(1);
      expect(cli(['show', `${W}/o1`]).status).toBe(1);
      expect(json<{ message: { id: string } }>(['show', `${W}/a2`]).message.id).toBe('a2');
      expect(json<{ message: { id: string } }>(['show', 'wechat:wxid_me/p1']).message.id).toBe('p1');
    }, CLI_TEST_TIMEOUT);

    it('erases the free records (tombstones), restricts the held and floor-protected ones, and answers with the legal grounds', async () => {
      expect(searchTotal('合同')).toBe(2);
      // A second hold of the same matter on the same records: the notice still counts them once.
      const second = json<{ id: number }>(['holds', 'add', '--matter', 'deal-dispute', '--conversation', 'room-deal', '--after', '2020-01-01', '--reason', 'the buyer\'s counterclaim']).id;
      const r = json<{ request: RequestJson; response: ErasureJson }>(['privacy', 'execute', String(erasureId)]);
      expect(r.request).toMatchObject({ status: 'completed', freezes: false });
      const resp = r.response;
      expect(resp).toMatchObject({ kind: 'erasure', erased: 3, restricted: 3, personDataErased: false });
      const hold = resp.grounds.find((g) => g.type === 'legal-hold');
      expect(hold).toMatchObject({ holdId, matter: 'deal-dispute', records: 2, until: null, law: ['PIPL Art. 47 para. 2', 'GDPR Art. 17(3)(e)'] });
      const floor = resp.grounds.find((g) => g.type === 'retention-floor');
      expect(floor).toMatchObject({ policy: 'files-10y', basis: 'PRC Accounting Archives Measures Art. 14', records: 1, law: ['PIPL Art. 47 para. 2', 'GDPR Art. 17(3)(b)'] });
      expect(floor?.until).toBe('2034-05-01T02:00:00.000Z');
      expect(resp.restrictedUntil).toBe('2034-05-01T02:00:00.000Z');
      expect(resp.notice.en).toMatch(/erased 3 record/);
      expect(resp.notice.en).toMatch(/GDPR Art\. 17\(3\)\(e\)/);
      expect(resp.notice.en).toMatch(/until 2034-05-01/);
      expect(resp.notice.zh).toMatch(/第四十七条/);
      expect(resp.grounds.filter((g) => g.type === 'legal-hold').map((g) => g.records)).toEqual([2, 2]);
      expect(resp.notice.en.split('\n').filter((l) => l.includes('legal hold'))).toEqual(['- 2 record(s) are preserved for the establishment, exercise or defence of legal claims (legal hold in matter "deal-dispute"; GDPR Art. 17(3)(e)) until the hold is released.']);
      expect(resp.notice.zh.split('\n').filter((l) => l.includes('诉讼保全'))).toHaveLength(1);
      expect(cli(['holds', 'release', String(second), '--reason', 'counterclaim withdrawn']).status).toBe(0);

      // Free records are gone, with an erasure tombstone each; the shared image survives for o3.
      for (const id of ['a1', 'a2']) expect(cli(['show', `${W}/${id}`]).status).toBe(1);
      expect(cli(['show', 'wechat:wxid_me/p1']).status).toBe(1);
      await withCtx(async (ctx) => {
        const tomb = ctx.sqlite.prepare("SELECT ext_id FROM tombstones WHERE reason = 'erasure' ORDER BY ext_id").pluck().all();
        expect(tomb).toEqual(['a1', 'a2', 'p1']);
        expect(ctx.sqlite.prepare("SELECT count(*) FROM messages WHERE ext_id IN ('a1', 'a2', 'p1')").pluck().get()).toBe(0);
        expect(ctx.sqlite.prepare("SELECT count(*) FROM messages WHERE restricted_at IS NOT NULL").pluck().get()).toBe(3);
        // Decided: nothing is frozen any more.
        expect(await frozenMessageKeys(ctx.db, (ctx.sqlite.prepare('SELECT id FROM messages').pluck().all() as number[]))).toEqual(new Set());
        expect(prepareFrozenKeys(ctx.sqlite)([keyOf(ctx, 'h1')])).toEqual(new Set());
      });
      const attDir = join(tmp.path, 'o3-attachments');
      const o3 = json<{ exported: { file: string; sha256: string }[] }>(['show', `${W}/o3`, '--attachments-to', attDir]);
      expect(readFileSync(o3.exported[0]!.file).equals(SHARED_IMAGE)).toBe(true);

      // Restricted records: out of search (and its counts) and show; readable for the legal purpose.
      expect(searchTotal('合同')).toBe(0);
      expect(searchTotal('type:file')).toBe(0);
      expect(cli(['show', `${W}/h1`]).status).toBe(1);
      expect(cli(['show', `${W}/f1`, '--attachments-to', join(tmp.path, 'f1')]).status).toBe(1);
      expect(existsSync(join(tmp.path, 'f1'))).toBe(false);
      expect(json<{ message: { text: string } }>(['show', `${W}/h1`, '--legal-purpose', 'defence in deal-dispute']).message.text).toBe('合同第三条需要修改');
      const shown = json<{ request: RequestJson }>(['privacy', 'show', String(erasureId)]).request;
      expect(shown.records).toMatchObject({ total: 3, restricted: 3 });
      expect(shown.outcomes).toMatchObject({ erased: 3, restricted: 3 });
    }, CLI_TEST_TIMEOUT);

    it('a follow-up after the hold is released erases what the hold protected; the floor still protects its record', () => {
      expect(cli(['holds', 'release', String(holdId), '--reason', 'settled']).status).toBe(0);
      // The next completed disposition run keeps the notice's promise ("erased when these grounds end"):
      // it executes the request again. (The texts' ceiling is set aside, so that the sweep itself does not dispose of them first.)
      expect(cli(['policies', 'disable', 'texts-1y']).status).toBe(0);
      const run = json<{ status: string; erasureFollowUps: { requestId: number; erased: number; restricted: number }[] }>(['retention', 'run']);
      expect(run.erasureFollowUps).toEqual([{ requestId: erasureId, erased: 2, restricted: 1 }]);
      expect(json<{ erasureFollowUps: unknown[] }>(['retention', 'run']).erasureFollowUps).toEqual([]); // only the floor is left: not due
      expect(cli(['policies', 'update', 'texts-1y', '--enable']).status).toBe(0);
      // Executing it again by hand changes nothing more, and answers for the whole request.
      const r = json<{ request: RequestJson; response: ErasureJson }>(['privacy', 'execute', String(erasureId)]);
      expect(r.response).toMatchObject({ erased: 5, restricted: 1, restrictedUntil: '2034-05-01T02:00:00.000Z' });
      expect(r.response.grounds.map((g) => g.type)).toEqual(['retention-floor']);
      expect(cli(['show', `${W}/h1`, '--legal-purpose', 'check']).status).toBe(1);
      expect(json<{ message: { id: string } }>(['show', `${W}/f1`, '--legal-purpose', 'accounting audit 2026']).message.id).toBe('f1');
      expect(searchTotal('type:file')).toBe(0);
    }, CLI_TEST_TIMEOUT);

    it('keeps a complete, content-free audit trail, and the log verifies', () => {
      const events = json<{ action: string; subject: string | null; details: unknown }[]>(['audit', 'list', '--limit', '10000']);
      const mine = events.filter((e) => e.subject === `privacy:${erasureId}`).map((e) => e.action);
      for (const a of ['privacy.opened', 'privacy.started', 'privacy.erasure_batch', 'privacy.completed']) expect(mine).toContain(a);
      const actions = new Set(events.map((e) => e.action));
      for (const a of ['privacy.access_export_started', 'privacy.rejected', 'privacy.restriction_lifted', 'privacy.settings_changed', 'record.disposed']) expect(actions.has(a), a).toBe(true);
      const text = JSON.stringify(events.filter((e) => e.action.startsWith('privacy.')));
      for (const secret of [REQUESTER, SUBJECT_PHONE_ID, '+8613800138000', '合同第三条', '李四', 'Zhao Liu']) expect(text, secret).not.toContain(secret);
      const verify = json<{ ok: boolean }>(['audit', 'verify']);
      expect(verify.ok).toBe(true);
    }, CLI_TEST_TIMEOUT);
  });
});

describe('privacy: messages without a `to` list were received by the members of their conversation', () => {
  const tmp = tempDir('privacy-no-to');
  const data = join(tmp.path, 'data');
  const json = <T>(args: string[], expectStatus = 0) => runCliJson<T>(['--data', data, ...args], { expectStatus });
  // Personal WeChat group messages carry no `to`: the subject (bob) received carl's message in the group.
  const group = { id: 'g-no-to', type: 'group' as const, title: '项目群' };
  const bob = { id: 'bob1', name: 'Bob' };
  const lines: TestRecord[] = [
    { source: 'wechat:wxid_me', id: 'n1', time: at(2024, 1, 1), conversation: group, from: { id: 'alice1', name: 'Alice' }, to: [bob, { id: 'carl1', name: 'Carl' }], type: 'text', text: '大家好' },
    { source: 'wechat:wxid_me', id: 'n2', time: at(2024, 1, 2), conversation: group, from: { id: 'carl1', name: 'Carl' }, type: 'text', text: 'Bob, your phone is 13800138000' },
    { source: 'wechat:wxid_me', id: 'n3', time: at(2024, 1, 3), conversation: group, from: bob, type: 'text', text: '收到' },
    { source: 'wechat:wxid_me', id: 'n4', time: at(2024, 1, 4), conversation: { id: 'dm-alice-carl', type: 'direct' }, from: { id: 'alice1', name: 'Alice' }, type: 'text', text: 'not bob' },
  ];
  beforeAll(async () => {
    const file = join(tmp.path, 'chat.ndjson');
    writeFileSync(file, toNdjson(lines));
    const { ctx } = await initStore(loadConfig({ data }, cliEnv()));
    try {
      expect(await importNdjson(ctx, { file })).toMatchObject({ imported: lines.length });
    } finally {
      await ctx.close();
    }
  }, CLI_TEST_TIMEOUT);
  afterAll(() => tmp.cleanup());

  it('access and erasure cover them; a message in another chat is not the subject\'s', () => {
    expect(json<{ records: number }>(['privacy', 'open', '--kind', 'access', '--subject', 'bob1', '--dry-run']).records).toBe(3);
    const { request } = json<{ request: RequestJson }>(['privacy', 'open', '--kind', 'erasure', '--subject', 'bob1', '--requester', 'Bob, letter of 2024-06-01']);
    expect(request.records).toEqual({ total: 3, sent: 1, received: 2, restricted: 0 });
    expect(json<{ request: RequestJson }>(['privacy', 'execute', String(request.id)]).request.outcomes).toMatchObject({ erased: 3, restricted: 0 });
    expect(json<{ hits: { id: string }[] }>(['search', 'source:wechat:wxid_me']).hits.map((h) => h.id)).toEqual(['n4']);
    // A late arrival without `to` in the subject's group is theirs too: restricted on arrival, awaiting erasure.
    const late = join(tmp.path, 'late.ndjson');
    writeFileSync(late, toNdjson([
      { source: 'wechat:wxid_me', id: 'n5', time: at(2024, 1, 5), conversation: group, from: { id: 'carl1' }, type: 'text', text: 'Bob 的地址' },
      { source: 'wechat:wxid_me', id: 'n6', time: at(2024, 1, 6), conversation: { id: 'dm-alice-carl', type: 'direct' }, from: { id: 'carl1' }, type: 'text', text: 'still not bob' },
    ]));
    expect(json<{ imported: number; restrictedOnArrival: number }>(['import', late])).toMatchObject({ imported: 2, restrictedOnArrival: 1 });
    expect(json<{ hits: { id: string }[] }>(['search', 'source:wechat:wxid_me']).hits.map((h) => h.id)).toEqual(['n6', 'n4']);
  }, CLI_TEST_TIMEOUT);
});

describe('privacy requests over the API', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('opens, lists, shows and executes an erasure; refuses to execute an access request (the CLI writes exports)', async () => {
    const officer = (await createUser(server, { username: 'dpo', role: 'compliance' })).client;
    // Preview first: who the identifiers match, how many records; nothing is opened.
    const preview = await officer.post('/privacy/subjects/preview', { subjects: ['zhaoliu'] });
    expect(preview.status, preview.body).toBe(200);
    expect(preview.json).toMatchObject({ persons: [{ id: 'zhaoliu', matchedBy: ['zhaoliu'] }], records: expect.any(Number) });
    expect((await officer.get('/privacy/requests')).json.requests).toHaveLength(0);
    expect((await officer.post('/privacy/subjects/preview', { subjects: ['nobody-at-all'] })).json).toEqual({ persons: [], records: 0 });
    const opened = await officer.post('/privacy/requests', { kind: 'erasure', subjects: ['zhaoliu'], requester: 'Zhao Liu' });
    expect(opened.status, opened.body).toBe(200);
    const id = opened.json.request.id as number;
    expect(opened.json.request).toMatchObject({ kind: 'erasure', status: 'open', freezes: true, records: { total: 2 } });
    expect((await officer.get('/privacy/requests')).json).toMatchObject({ overdue: 0, requests: [{ id }] });
    expect((await officer.get('/search?q=私下')).json.total).toBe(1);
    const done = await officer.post(`/privacy/requests/${id}/execute`);
    expect(done.status, done.body).toBe(200);
    expect(done.json.response).toMatchObject({ kind: 'erasure', erased: 2, restricted: 0, grounds: [], personDataErased: true });
    expect((await officer.get('/search?q=私下')).json.total).toBe(0);
    expect((await officer.get(`/privacy/requests/${id}`)).json.request).toMatchObject({ status: 'completed', records: { total: 0 }, outcomes: { erased: 2 } });

    const access = await officer.post('/privacy/requests', { kind: 'access', subjects: ['lisi'], requester: 'Li Si' });
    const refused = await officer.post(`/privacy/requests/${access.json.request.id as number}/execute`);
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('privacy.export_needs_cli');
    expect((await officer.get(`/privacy/requests/${access.json.request.id as number}`)).json.request.status).toBe('open');
    const rejected = await officer.post(`/privacy/requests/${access.json.request.id as number}/reject`, { reason: 'duplicate' });
    expect(rejected.json.request).toMatchObject({ status: 'rejected', rejectReason: 'duplicate' });
  });

  it('a restricted message is absent from an employee\'s search, from message and attachment reads, and from conversation pages', async () => {
    const officer = (await createUser(server, { username: 'dpo2', role: 'compliance' })).client;
    const employee = (await createUser(server, { username: 'zs', role: 'employee', person: 'zhangsan' })).client;
    const hits = (await officer.get('/search?q=收到')).json.hits as { id: string; key: string; conversation: { key: string } }[];
    const g2 = hits.find((h) => h.id === 'g2')!;
    const v1 = ((await officer.get('/search?q=type:voice')).json.hits as { id: string; key: string }[])[0]!;
    expect((await employee.get('/search?q=合同')).json.total).toBe(3);
    expect((await officer.get(`/conversations/${g2.conversation.key}/messages`)).json.messages.map((m: { id: string }) => m.id)).toContain('g2');

    const opened = await officer.post('/privacy/requests', { kind: 'restriction', subjects: ['王五'], requester: 'Wang Wu' });
    const id = opened.json.request.id as number;
    const done = await officer.post(`/privacy/requests/${id}/execute`);
    expect(done.json.response).toEqual({ kind: 'restriction', restricted: 3, alreadyRestricted: 0 }); // g1 and v1 (to wangwu), g2 (from wangwu)

    expect((await employee.get('/search?q=合同')).json.total).toBe(1); // d1 only
    expect((await officer.get('/search?q=合同')).json.total).toBe(1);
    expect((await officer.get(`/messages/${g2.key}`)).status).toBe(404);
    expect((await officer.get(`/messages/${v1.key}/attachments/0`)).status).toBe(404);
    // room-sales holds g1, g2 and v1 only: all restricted, so the conversation is "not found" by key.
    const page = await officer.get(`/conversations/${g2.conversation.key}/messages`);
    expect(page.status).toBe(404);
    expect(page.json.error.code).toBe('conversation.not_found');
    expect((await officer.get(`/conversations/${g2.conversation.key}/consent`)).status).toBe(404);
    // …and the conversation is not listed: nothing in it may be opened.
    const listed = async (): Promise<string[]> => ((await officer.get('/conversations?limit=500')).json.conversations as { key: string }[]).map((c) => c.key);
    expect(await listed()).not.toContain(g2.conversation.key);
    // One URL per object: ids are digits only; a lift needs its reason.
    for (const alias of [`%20${id}`, `${id}e0`, `0x${id.toString(16)}`, `${id}.0`, `+${id}`]) {
      const r = await officer.post(`/privacy/requests/${alias}/lift`, { reason: 'x' });
      expect(r.status, alias).toBe(400);
      expect(r.json.error.code, alias).toBe('http.invalid_input');
    }
    expect((await officer.post(`/privacy/requests/${id}/lift`, {})).status).toBe(400);
    expect((await officer.post(`/privacy/requests/${id}/lift`, { reason: '   ' })).json.error.code).toBe('privacy.reason_required');
    const lifted = await officer.post(`/privacy/requests/${id}/lift`, { reason: 'objection withdrawn' });
    expect(lifted.json).toMatchObject({ lifted: 3, stillRestricted: 0 });
    expect((await employee.get('/search?q=合同')).json.total).toBe(3);
    expect((await officer.get(`/messages/${g2.key}`)).status).toBe(200);
    expect(await listed()).toContain(g2.conversation.key);
    expect((await officer.get(`/conversations/${g2.conversation.key}/messages`)).status).toBe(200);
  });
});
