import type { AuditEventsTable } from '../db/tables/audit.js';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { initializeContext, type Context } from '../context.js';
import { auditLeafHash, treeHeadBytes } from '../domain/audit-form.js';
import { appendLeaf, emptyFrontier, encodeFrontier, rootOf } from '../domain/merkle.js';
import { isAppError } from '../errors.js';
import {
  appendAudit, checkConsistencyProof, checkInclusionProof, consistencyProof, currentHead, inclusionProof, listAuditEvents, parseHeadJson,
  verifyAuditLog, verifyHeadSignature, type AuditEventInput, type AuditProblemKind, type AuditVerifyReport, type HeadJson,
} from './audit.js';

type RawRow = AuditEventsTable;

let dir: string;
let ctx: Context;
let now: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wekeep-audit-'));
  now = 1_700_000_000_000;
  ctx = await initializeContext(loadConfig({ data: join(dir, 'data') }, { WEKEEP_ACTOR: 'tester' }), randomBytes(32), { clock: { now: () => (now += 1000) } });
});

afterEach(async () => {
  await ctx.close();
  rmSync(dir, { recursive: true, force: true });
});

const append = (events: AuditEventInput | AuditEventInput[]) => ctx.db.transaction().execute((trx) => appendAudit(ctx, trx, events));

/** n events in batches of the given sizes (one transaction per batch). */
async function appendBatches(sizes: number[]): Promise<void> {
  let i = 0;
  for (const size of sizes) {
    const batch = Array.from({ length: size }, () => {
      const k = i++;
      return { action: k % 3 === 0 ? 'message.viewed' : 'import.batch', subject: `obj:${k}`, details: { n: k, ids: [k, k + 1], nested: { z: 1, a: 'x' } } };
    });
    await append(batch);
  }
}

const kinds = (r: AuditVerifyReport): Set<AuditProblemKind> => new Set(r.problems.map((p) => p.kind));
const rows = (): RawRow[] => ctx.sqlite.prepare('SELECT * FROM audit_events ORDER BY seq').all() as RawRow[];
const exec = (sqlText: string, ...params: unknown[]) => ctx.sqlite.prepare(sqlText).run(...params);

/** What an insider with the database and the real signing key can do: rewrite rows, recompute every hash, the state and every signature. */
function rewriteHistory(mutate: (all: RawRow[]) => void): void {
  const all = rows();
  mutate(all);
  const leaves = all.map((r) => auditLeafHash({ seq: r.seq, timeMs: r.time_ms, actor: r.actor, action: r.action, subject: r.subject, details: r.details }));
  const update = ctx.sqlite.prepare('UPDATE audit_events SET time_ms = ?, actor = ?, action = ?, subject = ?, details = ?, leaf_hash = ? WHERE seq = ?');
  all.forEach((r, i) => update.run(r.time_ms, r.actor, r.action, r.subject, r.details, leaves[i], r.seq));
  const f = emptyFrontier();
  for (const l of leaves) appendLeaf(f, l);
  exec('UPDATE audit_state SET size = ?, frontier = ? WHERE id = 1', f.size, encodeFrontier(f));
  const heads = ctx.sqlite.prepare('SELECT size, time_ms FROM audit_tree_heads').all() as { size: number; time_ms: number }[];
  const resign = ctx.sqlite.prepare('UPDATE audit_tree_heads SET root_hash = ?, signature = ? WHERE size = ?');
  for (const h of heads) {
    const root = rootOf(leaves, 0, h.size);
    resign.run(root, sign(null, treeHeadBytes({ size: h.size, rootHash: root, timeMs: h.time_ms }), ctx.keys.auditSigningKey), h.size);
  }
}

describe('appendAudit', () => {
  it('assigns consecutive seq, stores a signed head per batch, and verifies', async () => {
    const r1 = await append({ action: 'store.initialized', details: { b: 2, a: 1 } });
    expect(r1).toMatchObject({ firstSeq: 0, count: 1, size: 1 });
    const r2 = await append([{ action: 'message.viewed', subject: 'm:1' }, { action: 'message.viewed', subject: 'm:2', actor: 'web:bob' }]);
    expect(r2).toMatchObject({ firstSeq: 1, count: 2, size: 3 });
    expect(rows().map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(rows()[0]?.details).toBe('{"a":1,"b":2}');
    expect(rows()[1]?.actor).toBe('cli:tester');
    expect(rows()[2]?.actor).toBe('web:bob');

    const head = await currentHead(ctx);
    expect(head).toMatchObject({ size: 3, rootHash: r2.rootHash });
    expect(head.time).toBe(new Date(head.timeMs).toISOString());
    expect(head.publicKey).toContain('BEGIN PUBLIC KEY');
    expect(head.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(verifyHeadSignature(head)).toBe(true);
    expect(verifyHeadSignature(head, ctx.keys.auditPublicKey)).toBe(true);
    expect(verifyHeadSignature({ ...head, size: 4 })).toBe(false);
    expect(verifyHeadSignature(head, generateKeyPairSync('ed25519').publicKey)).toBe(false);

    const report = await verifyAuditLog(ctx);
    expect(report).toMatchObject({ ok: true, size: 3, eventsChecked: 3, headsChecked: 2, problems: [], rootHash: r2.rootHash });
  });

  it('signs an empty head for an empty log, and an empty batch is a no-op', async () => {
    const head = await currentHead(ctx);
    expect(head.size).toBe(0);
    expect(head.rootHash).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(verifyHeadSignature(head, ctx.keys.auditPublicKey)).toBe(true);
    expect(await append([])).toMatchObject({ count: 0, size: 0 });
    expect((await verifyAuditLog(ctx)).ok).toBe(true);
    expect((await verifyAuditLog(ctx, { sinceHead: head })).ok).toBe(true);
  });

  it('rolls back with the caller’s transaction', async () => {
    await append({ action: 'a' });
    await expect(
      ctx.db.transaction().execute(async (trx) => {
        await appendAudit(ctx, trx, [{ action: 'b' }, { action: 'c' }]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(rows()).toHaveLength(1);
    expect(await verifyAuditLog(ctx)).toMatchObject({ ok: true, size: 1 });
    expect(await append({ action: 'd' })).toMatchObject({ firstSeq: 1, size: 2 });
    expect((await verifyAuditLog(ctx)).ok).toBe(true);
  });

  it('opens its own transaction when given the plain db', async () => {
    await appendAudit(ctx, ctx.db, [{ action: 'x' }, { action: 'y' }]);
    expect(await verifyAuditLog(ctx)).toMatchObject({ ok: true, size: 2, headsChecked: 1 });
  });

  it('rejects events that cannot be canonicalized, writing nothing', async () => {
    const bad = [{ action: 'x', details: { n: Number.NaN } }, { action: '' }, { action: 'x', details: { d: new Date() } as Record<string, unknown> }];
    for (const e of bad) {
      const err: unknown = await append(e).catch((x: unknown) => x);
      expect(isAppError(err) && err.code).toBe('audit.bad_event');
    }
    expect(rows()).toHaveLength(0);
  });

  it('appends 20 batches of 1000 events quickly and verifies them in small pages', async () => {
    const t0 = performance.now();
    await appendBatches(Array.from({ length: 20 }, () => 1000));
    const appendMs = performance.now() - t0;
    const t1 = performance.now();
    const report = await verifyAuditLog(ctx, { pageSize: 777 });
    const verifyMs = performance.now() - t1;
    console.log(`audit: 20 000 events appended in ${appendMs.toFixed(0)} ms (20 batches), verified in ${verifyMs.toFixed(0)} ms`);
    expect(report).toMatchObject({ ok: true, size: 20_000, eventsChecked: 20_000, headsChecked: 20 });
    expect(appendMs).toBeLessThan(20_000);
  });
});

describe('verifyAuditLog catches tampering', () => {
  beforeEach(async () => {
    await appendBatches([1, 1, 1, 3, 5, 2, 7]); // 20 events, 7 heads
    expect((await verifyAuditLog(ctx)).ok).toBe(true);
  });

  it('an edited event', async () => {
    exec(`UPDATE audit_events SET details = '{"n":999}' WHERE seq = 5`);
    const r = await verifyAuditLog(ctx);
    expect(r.ok).toBe(false);
    expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'leaf_hash_mismatch', seq: 5 }));
    expect(kinds(r).has('head_root_mismatch')).toBe(true);
  });

  it('an edited event whose leaf hash was recomputed too', async () => {
    const row = rows()[5] as RawRow;
    const details = '{"n":999}';
    const leaf = auditLeafHash({ seq: row.seq, timeMs: row.time_ms, actor: row.actor, action: row.action, subject: row.subject, details });
    exec('UPDATE audit_events SET details = ?, leaf_hash = ? WHERE seq = 5', details, leaf);
    const r = await verifyAuditLog(ctx);
    expect(r.ok).toBe(false);
    expect(kinds(r).has('leaf_hash_mismatch')).toBe(false);
    expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'head_root_mismatch', size: 6 }));
    expect(kinds(r).has('state_mismatch')).toBe(true);
  });

  it('an edited actor or time', async () => {
    exec(`UPDATE audit_events SET actor = 'cli:mallory' WHERE seq = 0`);
    exec('UPDATE audit_events SET time_ms = time_ms + 1 WHERE seq = 19');
    const r = await verifyAuditLog(ctx);
    expect(r.problems.filter((p) => p.kind === 'leaf_hash_mismatch').map((p) => p.seq)).toEqual([0, 19]);
  });

  it('a deleted event in the middle', async () => {
    exec('DELETE FROM audit_events WHERE seq = 9');
    const r = await verifyAuditLog(ctx);
    expect(r.ok).toBe(false);
    expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'seq_gap', seq: 9 }));
    expect(kinds(r).has('size_mismatch')).toBe(true);
  });

  it('a deleted last event, even with the state and the last head adjusted', async () => {
    exec('DELETE FROM audit_events WHERE seq = 19');
    expect((await verifyAuditLog(ctx)).problems).toContainEqual(expect.objectContaining({ kind: 'seq_gap', seq: 19 }));
    // Also drop the newest head and fix the state: only the older signed heads remain to tell.
    exec('DELETE FROM audit_tree_heads WHERE size = 20');
    const leaves = rows().map((r) => r.leaf_hash);
    const f = emptyFrontier();
    for (const l of leaves) appendLeaf(f, l);
    exec('UPDATE audit_state SET size = ?, frontier = ? WHERE id = 1', f.size, encodeFrontier(f));
    const r = await verifyAuditLog(ctx);
    // 19 events are not covered by a head any more (the previous head is at 13).
    expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'head_missing', size: 19 }));
  });

  it('two events swapped (reordering)', async () => {
    const a = rows()[3] as RawRow;
    const b = rows()[11] as RawRow;
    const upd = ctx.sqlite.prepare('UPDATE audit_events SET time_ms = ?, actor = ?, action = ?, subject = ?, details = ?, leaf_hash = ? WHERE seq = ?');
    upd.run(b.time_ms, b.actor, b.action, b.subject, b.details, b.leaf_hash, a.seq);
    upd.run(a.time_ms, a.actor, a.action, a.subject, a.details, a.leaf_hash, b.seq);
    const r = await verifyAuditLog(ctx);
    expect(r.ok).toBe(false);
    expect(r.problems.filter((p) => p.kind === 'leaf_hash_mismatch').map((p) => p.seq)).toEqual([3, 11]);
    expect(kinds(r).has('head_root_mismatch')).toBe(true);
  });

  it('two events swapped with their leaf hashes recomputed', async () => {
    const a = rows()[3] as RawRow;
    const b = rows()[11] as RawRow;
    const upd = ctx.sqlite.prepare('UPDATE audit_events SET time_ms = ?, actor = ?, action = ?, subject = ?, details = ?, leaf_hash = ? WHERE seq = ?');
    for (const [to, from] of [[a, b], [b, a]] as const) {
      const leaf = auditLeafHash({ seq: to.seq, timeMs: from.time_ms, actor: from.actor, action: from.action, subject: from.subject, details: from.details });
      upd.run(from.time_ms, from.actor, from.action, from.subject, from.details, leaf, to.seq);
    }
    const r = await verifyAuditLog(ctx);
    expect(r.ok).toBe(false);
    expect(kinds(r).has('leaf_hash_mismatch')).toBe(false);
    expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'head_root_mismatch', size: 6 }));
  });

  it('an inserted event after the last signed head', async () => {
    const leaf = auditLeafHash({ seq: 20, timeMs: 1, actor: 'cli:mallory', action: 'hold.released', subject: null, details: null });
    exec(`INSERT INTO audit_events VALUES (20, 1, 'cli:mallory', 'hold.released', NULL, NULL, ?)`, leaf);
    const r = await verifyAuditLog(ctx);
    expect(kinds(r)).toContain('size_mismatch');
  });

  it('a forged or damaged signature on a stored head', async () => {
    exec('UPDATE audit_tree_heads SET signature = ? WHERE size = 13', randomBytes(64));
    exec('UPDATE audit_state SET frontier = ? WHERE id = 1', randomBytes(64));
    const r = await verifyAuditLog(ctx);
    expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'head_signature_invalid', size: 13 }));
    expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'state_mismatch' }));
  });

  it('an insider who rewrites history and re-signs every head passes plain verify but not --since', async () => {
    const saved: HeadJson = parseHeadJson(JSON.stringify(await currentHead(ctx)), 'head.json');
    const savedEarly: HeadJson = { ...saved }; // also a head from earlier: size 6
    const early = ctx.sqlite.prepare('SELECT * FROM audit_tree_heads WHERE size = 6').get() as { size: number; root_hash: Buffer; time_ms: number; signature: Buffer };
    Object.assign(savedEarly, { size: 6, rootHash: early.root_hash.toString('hex'), timeMs: early.time_ms, time: new Date(early.time_ms).toISOString(), signature: early.signature.toString('base64') });
    expect((await verifyAuditLog(ctx, { sinceHead: savedEarly })).ok).toBe(true);

    rewriteHistory((all) => {
      (all[2] as RawRow).details = '{"n":2,"note":"nothing to see"}';
    });
    const plain = await verifyAuditLog(ctx);
    expect(plain.ok).toBe(true);

    for (const head of [saved, savedEarly]) {
      const r = await verifyAuditLog(ctx, { sinceHead: head });
      expect(r.ok).toBe(false);
      expect(r.since).toMatchObject({ size: head.size, ok: false });
      expect(r.problems).toEqual([expect.objectContaining({ kind: 'since_head_root_mismatch', size: head.size })]);
    }
  });

  it('a truncated log (rewritten and re-signed) is caught by a saved head beyond its end', async () => {
    const saved = await currentHead(ctx);
    rewriteHistory(() => undefined);
    exec('DELETE FROM audit_events WHERE seq >= 13');
    exec('DELETE FROM audit_tree_heads WHERE size > 13');
    rewriteHistory(() => undefined);
    expect((await verifyAuditLog(ctx)).ok).toBe(true);
    const r = await verifyAuditLog(ctx, { sinceHead: saved });
    expect(r.problems).toContainEqual(expect.objectContaining({ kind: 'since_head_beyond_log', size: 20 }));
  });

  it('rejects a saved head that was not signed by this store’s key', async () => {
    const saved = await currentHead(ctx);
    const forged = { ...saved, rootHash: '00'.repeat(32) };
    expect((await verifyAuditLog(ctx, { sinceHead: forged })).problems).toContainEqual(expect.objectContaining({ kind: 'since_head_signature_invalid' }));

    const other = generateKeyPairSync('ed25519');
    const root = Buffer.from(saved.rootHash, 'hex');
    const foreign: HeadJson = {
      ...saved,
      signature: sign(null, treeHeadBytes({ size: saved.size, rootHash: root, timeMs: saved.timeMs }), other.privateKey).toString('base64'),
      publicKey: other.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      keyId: 'ffffffffffffffff',
    };
    expect(verifyHeadSignature(foreign)).toBe(true); // self-consistent
    const r = await verifyAuditLog(ctx, { sinceHead: foreign });
    expect(kinds(r)).toEqual(new Set(['since_head_key_mismatch', 'since_head_signature_invalid']));
    // Another store's head, however large, is not compared with this log: no "events were removed".
    const larger: HeadJson = { ...foreign, size: saved.size + 1000 };
    expect(kinds(await verifyAuditLog(ctx, { sinceHead: larger }))).toEqual(new Set(['since_head_key_mismatch', 'since_head_signature_invalid']));
  });

  it('parseHeadJson rejects junk', () => {
    expect(() => parseHeadJson('nope', 'h.json')).toThrow(/not JSON/);
    expect(() => parseHeadJson('{"size":1}', 'h.json')).toThrow(/not a WeKeep tree head/);
  });
});

describe('proofs from the store', () => {
  const SINGLE = 24;

  beforeEach(async () => {
    // One event per transaction first (a signed head at every size 1..24), then larger batches.
    await appendBatches([...Array.from({ length: SINGLE }, () => 1), 100, 37, 1]);
  });

  it('inclusion proofs at every size 1..24 verify and match the signed heads', async () => {
    for (let size = 1; size <= SINGLE; size++) {
      for (let index = 0; index < size; index++) {
        const p = await inclusionProof(ctx, index, size);
        expect(checkInclusionProof(p), `${index}/${size}`).toBe(true);
        expect(p.head?.rootHash).toBe(p.rootHash);
        expect(verifyHeadSignature(p.head as HeadJson, ctx.keys.auditPublicKey)).toBe(true);
        expect(p.leafHash).toBe((rows()[index] as RawRow).leaf_hash.toString('hex'));
      }
    }
  });

  it('inclusion proofs in the full tree verify; tampered ones fail', async () => {
    const head = await currentHead(ctx);
    expect(head.size).toBe(SINGLE + 138);
    for (const index of [0, 1, 23, 24, 100, 123, 160, 161]) {
      const p = await inclusionProof(ctx, index);
      expect(p.size).toBe(head.size);
      expect(p.rootHash).toBe(head.rootHash);
      expect(checkInclusionProof(p)).toBe(true);
      const flipped = p.proof.map((h, i) => (i === 0 ? `${h[0] === '0' ? '1' : '0'}${h.slice(1)}` : h));
      expect(checkInclusionProof({ ...p, proof: flipped })).toBe(false);
      expect(checkInclusionProof({ ...p, index: (index + 1) % p.size })).toBe(false);
      expect(checkInclusionProof({ ...p, leafHash: (rows()[(index + 1) % p.size] as RawRow).leaf_hash.toString('hex') })).toBe(false);
    }
    // A size that has no stored head of its own still proves against the recomputed root.
    const mid = await inclusionProof(ctx, 30, 70);
    expect(mid.head).toBeNull();
    expect(checkInclusionProof(mid)).toBe(true);
  });

  it('consistency proofs between all sizes 0..24 and to the full tree verify', async () => {
    const full = await currentHead(ctx);
    for (let to = 0; to <= SINGLE; to++) {
      for (let from = 0; from <= to; from++) {
        const p = await consistencyProof(ctx, from, to);
        expect(checkConsistencyProof(p), `${from}->${to}`).toBe(true);
        if (to > 0) expect(p.toHead?.rootHash).toBe(p.toRoot);
        if (from > 0) expect(p.fromHead?.rootHash).toBe(p.fromRoot);
      }
    }
    for (const from of [1, 2, 7, 16, 24, 124, 161, 162]) {
      const p = await consistencyProof(ctx, from);
      expect(p.toSize).toBe(full.size);
      expect(p.toRoot).toBe(full.rootHash);
      expect(checkConsistencyProof(p)).toBe(true);
      if (p.proof.length > 0) {
        expect(checkConsistencyProof({ ...p, proof: p.proof.slice(1) })).toBe(false);
        expect(checkConsistencyProof({ ...p, fromRoot: p.toRoot, toRoot: p.fromRoot })).toBe(false);
      }
    }
  });

  it('a saved head proves consistent with today’s log, and a rewritten log cannot produce such a proof', async () => {
    const saved = await currentHead(ctx);
    await appendBatches([5]);
    const p = await consistencyProof(ctx, saved.size);
    expect(p.fromRoot).toBe(saved.rootHash);
    expect(checkConsistencyProof(p)).toBe(true);

    rewriteHistory((all) => {
      (all[0] as RawRow).action = 'nothing.happened';
    });
    const q = await consistencyProof(ctx, saved.size);
    expect(checkConsistencyProof(q)).toBe(true); // self-consistent…
    expect(q.fromRoot).not.toBe(saved.rootHash); // …but not with the saved head
    expect(checkConsistencyProof({ ...q, fromRoot: saved.rootHash })).toBe(false);
  });

  it('refuses sizes outside the log and reports a damaged log', async () => {
    const size = (await currentHead(ctx)).size;
    const code = async (p: Promise<unknown>): Promise<unknown> => p.then(() => 'ok', (e: unknown) => (isAppError(e) ? e.code : e));
    expect(await code(inclusionProof(ctx, size))).toBe('audit.bad_index');
    expect(await code(inclusionProof(ctx, 0, size + 1))).toBe('audit.bad_size');
    expect(await code(inclusionProof(ctx, 0, 0))).toBe('audit.bad_size');
    expect(await code(consistencyProof(ctx, 5, 4))).toBe('audit.bad_size');
    expect(await code(consistencyProof(ctx, 0, size + 1))).toBe('audit.bad_size');
    exec('DELETE FROM audit_events WHERE seq = 3');
    expect(await code(inclusionProof(ctx, 10))).toBe('audit.log_damaged');
  });
});

describe('listAuditEvents', () => {
  it('lists newest first with filters and a limit', async () => {
    await appendBatches([10]);
    await append({ action: 'hold.placed', subject: 'matter:1', actor: 'web:carol', details: { matter: 1 } });
    const all = await listAuditEvents(ctx, {});
    expect(all.map((e) => e.seq)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(all[0]).toMatchObject({ action: 'hold.placed', subject: 'matter:1', actor: 'web:carol', details: { matter: 1 } });
    expect(all[0]?.time).toBe(new Date(all[0]?.timeMs ?? 0).toISOString());
    expect((await listAuditEvents(ctx, { limit: 2 })).map((e) => e.seq)).toEqual([10, 9]);
    expect((await listAuditEvents(ctx, { action: 'message.viewed' })).map((e) => e.seq)).toEqual([9, 6, 3, 0]);
    expect((await listAuditEvents(ctx, { action: 'message.*' })).map((e) => e.seq)).toEqual([9, 6, 3, 0]);
    expect((await listAuditEvents(ctx, { action: 'hold*' })).map((e) => e.seq)).toEqual([10]);
    expect((await listAuditEvents(ctx, { actor: 'web:carol' })).map((e) => e.seq)).toEqual([10]);
    expect((await listAuditEvents(ctx, { order: 'asc', afterSeq: 7 })).map((e) => e.seq)).toEqual([8, 9, 10]);
    await expect(listAuditEvents(ctx, { limit: 0 })).rejects.toThrow(/limit/);
  });
});
