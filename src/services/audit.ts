import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Context } from '../context.js';
import type { Database } from '../db/schema.js';
import { auditLeafHash, canonicalDetails, signingKeyId, treeHeadBytes, type AuditLeafFields } from '../domain/audit-form.js';
import {
  appendLeaf, consistencyProofRanges, decodeFrontier, EMPTY_ROOT, emptyFrontier, encodeFrontier, frontierEquals, frontierRoot,
  HASH_SIZE, inclusionProofRanges, verifyConsistency, verifyInclusion, type Frontier, type LeafRange,
} from '../domain/merkle.js';
import { AppError, fatalError, usageError } from '../errors.js';
import * as repo from '../repositories/audit.js';
import { MAX_LIST_LIMIT } from './limits.js';
import type { EventFilters } from '../repositories/audit.js';

/**
 * The tamper-evident audit log: an RFC 9162 Merkle tree over audit events, with an Ed25519-signed
 * tree head stored for every appended batch.
 *
 * CONTENT-FREE: an audit event records who did what to which object (ids, counts, codes, query
 * shapes), never message content. Do not put message bodies, file names, attachment bytes or
 * free-text personal data in `subject` or `details`; the audit log is kept forever and shown to
 * auditors who may not see the content itself.
 *
 * What verification proves (verifyAuditLog):
 *  - every row's leaf hash is recomputed from its canonical form (an edited row is caught even if
 *    the insider also rewrote leaf_hash, because the signed roots no longer match);
 *  - seq runs 0..n-1 without gaps (a deleted row is caught);
 *  - every stored tree head's root is recomputed at its size and its signature checked (reordering
 *    and edits since that head are caught);
 *  - the stored frontier/state matches the recomputed tree;
 *  - with a tree head saved earlier (`audit head --json` kept outside the system), today's log at
 *    that size has the same root: an insider who rewrote history and re-signed every head with the
 *    real key is caught.
 */

/** What callers pass for one event. */
export interface AuditEventInput {
  /** Dotted verb, e.g. `message.view`, `import.batch`, `hold.place`. */
  action: string;
  /** The object acted on, as an opaque id (`message:42`, `matter:7`); never content. */
  subject?: string | undefined;
  /** JSON object of ids, counts and codes; never message content. Keys are sorted when stored. */
  details?: Record<string, unknown> | undefined;
  /** Defaults to ctx.actor. */
  actor?: string | undefined;
}

export type AuditContext = Pick<Context, 'keys' | 'clock' | 'actor' | 'origin'>;
/** What the read-side functions need. */
export type AuditReadContext = Pick<Context, 'db' | 'keys' | 'clock'>;

export interface AuditAppendResult {
  /** seq of the first appended event (= tree size before the append). */
  firstSeq: number;
  count: number;
  /** Tree size after the append. */
  size: number;
  /** Root after the append (hex). */
  rootHash: string;
}

/**
 * A signed tree head as `wekeep audit head --json` prints it (and as `audit verify --since FILE`
 * reads it back):
 *
 *   {
 *     "size": 1234,                      // number of events covered
 *     "rootHash": "5dc9…4328",           // 64 lowercase hex digits, RFC 9162 MTH of events 0..size-1
 *     "timeMs": 1700000000000,           // when the head was signed (UTC epoch ms)
 *     "time": "2023-11-14T22:13:20.000Z",// the same instant, ISO 8601 (informative, not signed)
 *     "signature": "base64…",            // Ed25519 over "wekeep-sth-v1\n<size>\n<rootHash>\n<timeMs>\n"
 *     "keyId": "0123456789abcdef",       // first 16 hex of SHA-256(SPKI DER of the public key)
 *     "publicKey": "-----BEGIN PUBLIC KEY-----\n…"  // the audit signing key's public half (PEM, SPKI)
 *   }
 */
export interface HeadJson {
  size: number;
  rootHash: string;
  timeMs: number;
  time: string;
  signature: string;
  keyId: string;
  publicKey: string;
}

export const headJsonSchema = z.object({
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  rootHash: z.string().regex(/^[0-9a-f]{64}$/, 'rootHash must be 64 lowercase hexadecimal digits'),
  timeMs: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  time: z.string(),
  signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'signature must be base64'),
  keyId: z.string(),
  publicKey: z.string(),
});

/** Parses a saved head (the output of `audit head --json`); `where` names the source in errors. */
export function parseHeadJson(text: string, where: string): HeadJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw usageError('audit.bad_head', `${where} is not JSON (expected the output of \`wekeep audit head --json\`)`);
  }
  const parsed = headJsonSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw usageError('audit.bad_head', `${where} is not a WeKeep tree head: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------
// Keys

const keyIds = new WeakMap<KeyObject, string>();

function keyIdOf(publicKey: KeyObject): string {
  let id = keyIds.get(publicKey);
  if (!id) {
    id = signingKeyId(publicKey.export({ format: 'der', type: 'spki' }));
    keyIds.set(publicKey, id);
  }
  return id;
}

const pemOf = (publicKey: KeyObject): string => publicKey.export({ format: 'pem', type: 'spki' }).toString();

function signHead(keys: Context['keys'], size: number, rootHash: Buffer, timeMs: number): Buffer {
  return sign(null, treeHeadBytes({ size, rootHash, timeMs }), keys.auditSigningKey);
}

function signatureValid(publicKey: KeyObject, size: number, rootHash: Uint8Array, timeMs: number, signature: Uint8Array): boolean {
  try {
    return verify(null, treeHeadBytes({ size, rootHash, timeMs }), publicKey, signature);
  } catch {
    return false;
  }
}

function headJsonOf(row: repo.TreeHeadRow, publicKey: KeyObject): HeadJson {
  return {
    size: row.size,
    rootHash: Buffer.from(row.root_hash).toString('hex'),
    timeMs: row.time_ms,
    time: new Date(row.time_ms).toISOString(),
    signature: Buffer.from(row.signature).toString('base64'),
    keyId: keyIdOf(publicKey),
    publicKey: pemOf(publicKey),
  };
}

// ---------------------------------------------------------------------------------------------
// Append

function badEvent(message: string, cause?: unknown): AppError {
  return new AppError('audit.bad_event', `invalid audit event: ${message}`, { exitCode: 1, cause });
}

function stateFrontier(state: repo.AuditStateRow | undefined): Frontier {
  if (!state) return emptyFrontier();
  try {
    return decodeFrontier(Number(state.size), state.frontier);
  } catch (cause) {
    throw fatalError('audit.state_corrupt', 'the audit log state is damaged; run `wekeep audit verify`', cause);
  }
}

/**
 * Appends events to the audit log inside the caller's transaction: assigns consecutive seq,
 * hashes each event's canonical form into a leaf, advances the frontier (O(log n) per event) and
 * stores a signed tree head for the new size. Pass the transaction the change itself runs in, so
 * the change and its audit record commit or roll back together; given a non-transaction Kysely,
 * it opens its own transaction. Events never contain message content (see the module comment).
 */
export async function appendAudit(ctx: AuditContext, trx: Kysely<Database>, events: AuditEventInput | AuditEventInput[]): Promise<AuditAppendResult> {
  if (!trx.isTransaction) return trx.transaction().execute((t) => appendAudit(ctx, t, events));
  const list = Array.isArray(events) ? events : [events];
  const timeMs = ctx.clock.now();
  if (!Number.isSafeInteger(timeMs)) throw badEvent(`clock returned ${timeMs}`);
  // Validate and canonicalize before touching the database.
  const prepared = list.map((e, i) => {
    const actor = e.actor ?? ctx.actor;
    if (typeof e.action !== 'string' || e.action.length === 0) throw badEvent(`event ${i}: action must be a non-empty string`);
    if (typeof actor !== 'string' || actor.length === 0) throw badEvent(`event ${i}: actor must be a non-empty string`);
    if (e.subject !== undefined && e.subject !== null && typeof e.subject !== 'string') throw badEvent(`event ${i}: subject must be a string`);
    let details: string | null;
    try {
      details = canonicalDetails(ctx.origin ? { ...e.details, address: ctx.origin.address } : e.details);
    } catch (cause) {
      throw badEvent(`event ${i} (${e.action}): details ${(cause as Error).message}`, cause);
    }
    return { actor, action: e.action, subject: e.subject ?? null, details };
  });

  if (prepared.length === 0) {
    const f = stateFrontier(await repo.readState(trx));
    return { firstSeq: f.size, count: 0, size: f.size, rootHash: frontierRoot(f).toString('hex') };
  }
  await repo.lockState(trx);
  const frontier = stateFrontier(await repo.readState(trx));
  const firstSeq = frontier.size;

  const rows: repo.AuditEventRow[] = prepared.map((p, i) => {
    const fields: AuditLeafFields = { seq: firstSeq + i, timeMs, ...p };
    const leaf = auditLeafHash(fields);
    appendLeaf(frontier, leaf);
    return { seq: fields.seq, time_ms: timeMs, actor: p.actor, action: p.action, subject: p.subject, details: p.details, leaf_hash: leaf };
  });
  const root = frontierRoot(frontier);
  await repo.insertEvents(trx, rows);
  await repo.writeState(trx, { size: frontier.size, frontier: encodeFrontier(frontier) });
  await repo.insertTreeHead(trx, { size: frontier.size, root_hash: root, time_ms: timeMs, signature: signHead(ctx.keys, frontier.size, root, timeMs) });
  return { firstSeq, count: rows.length, size: frontier.size, rootHash: root.toString('hex') };
}

// ---------------------------------------------------------------------------------------------
// Heads

/**
 * The latest signed tree head (see HeadJson for the shape). For an empty log, a head of size 0
 * (root = SHA-256 of the empty string) is signed on the spot.
 */
export async function currentHead(ctx: AuditReadContext): Promise<HeadJson> {
  const row = await repo.latestTreeHead(ctx.db);
  if (row) return headJsonOf(row, ctx.keys.auditPublicKey);
  const timeMs = ctx.clock.now();
  return headJsonOf({ size: 0, root_hash: EMPTY_ROOT, time_ms: timeMs, signature: signHead(ctx.keys, 0, EMPTY_ROOT, timeMs) }, ctx.keys.auditPublicKey);
}

/**
 * Checks a head's Ed25519 signature. With no key given, the head's own `publicKey` is used (this
 * proves only self-consistency: compare `keyId` with the key you trust).
 */
export function verifyHeadSignature(head: HeadJson, publicKey?: KeyObject): boolean {
  let key: KeyObject;
  try {
    key = publicKey ?? createPublicKey(head.publicKey);
  } catch {
    return false;
  }
  if (!/^[0-9a-f]{64}$/.test(head.rootHash)) return false;
  return signatureValid(key, head.size, Buffer.from(head.rootHash, 'hex'), head.timeMs, Buffer.from(head.signature, 'base64'));
}

// ---------------------------------------------------------------------------------------------
// Verify

export type AuditProblemKind =
  | 'state_missing'
  | 'state_corrupt'
  | 'state_mismatch'
  | 'size_mismatch'
  | 'event_malformed'
  | 'seq_gap'
  | 'seq_unexpected'
  | 'leaf_hash_mismatch'
  | 'head_root_mismatch'
  | 'head_signature_invalid'
  | 'head_beyond_log'
  | 'head_missing'
  | 'since_head_key_mismatch'
  | 'since_head_signature_invalid'
  | 'since_head_root_mismatch'
  | 'since_head_beyond_log';

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The event concerned, if any. */
  seq?: number;
  /** The tree size concerned (tree heads), if any. */
  size?: number;
  message: string;
}

export interface AuditVerifyReport {
  ok: boolean;
  /** Tree size per the stored state at the start of the verification. */
  size: number;
  /** Events read and recomputed. */
  eventsChecked: number;
  headsChecked: number;
  /** Root recomputed from the events (hex). */
  rootHash: string;
  /** Result of the --since comparison, when a head was given. */
  since?: { size: number; rootHash: string; ok: boolean };
  /** The first MAX_PROBLEMS problems, in the order found. */
  problems: AuditProblem[];
  /** All problems found (problems is capped). */
  problemCount: number;
}

export interface VerifyOptions {
  /** A head saved earlier, e.g. parseHeadJson(readFileSync('head.json')). */
  sinceHead?: HeadJson | undefined;
  /** Rows per page while streaming (tests use small pages). */
  pageSize?: number | undefined;
}

const MAX_PROBLEMS = 1000;

/** Reads a row into the canonical fields, or explains why it cannot be (an insider wrote junk). */
function leafFieldsOf(row: repo.AuditEventRow): AuditLeafFields | string {
  const seq = Number(row.seq);
  const timeMs = Number(row.time_ms);
  if (!Number.isSafeInteger(seq) || seq < 0) return `seq ${String(row.seq)} is not a non-negative integer`;
  if (!Number.isSafeInteger(timeMs)) return `time_ms ${String(row.time_ms)} is not an integer`;
  if (typeof row.actor !== 'string' || typeof row.action !== 'string') return 'actor or action is not text';
  if (row.subject !== null && typeof row.subject !== 'string') return 'subject is not text';
  if (row.details !== null && typeof row.details !== 'string') return 'details is not text';
  return { seq, timeMs, actor: row.actor, action: row.action, subject: row.subject, details: row.details };
}

/**
 * Recomputes the whole log from the rows and checks it against every stored signed head, the
 * stored state and (optionally) a head saved earlier. Streams rows in pages: memory stays O(page
 * + log n) for any log size. Never throws on tampering; returns a report.
 */
export async function verifyAuditLog(ctx: AuditReadContext, options: VerifyOptions = {}): Promise<AuditVerifyReport> {
  const problems: AuditProblem[] = [];
  let problemCount = 0;
  const report = (p: AuditProblem): void => {
    problemCount += 1;
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const publicKey = ctx.keys.auditPublicKey;

  // A consistent snapshot of the bounds; appends that commit later are simply not looked at.
  const { state, bounds } = await ctx.db.transaction().execute(async (trx) => ({ state: await repo.readState(trx), bounds: await repo.logBounds(trx) }));
  let stored: Frontier | null = null;
  let n: number;
  if (!state) {
    n = 0;
    if (bounds.eventCount > 0 || bounds.headCount > 0) report({ kind: 'state_missing', message: `the audit state row is missing but ${bounds.eventCount} events and ${bounds.headCount} tree heads exist` });
  } else {
    n = Number(state.size);
    try {
      stored = decodeFrontier(n, state.frontier);
    } catch (e) {
      report({ kind: 'state_corrupt', size: n, message: `the stored frontier is damaged: ${(e as Error).message}` });
    }
  }
  if (!Number.isSafeInteger(n) || n < 0) {
    report({ kind: 'state_corrupt', message: `the stored size ${String(n)} is not a valid tree size` });
    n = bounds.maxSeq === null ? 0 : bounds.maxSeq + 1;
  }
  if (bounds.eventCount !== n) report({ kind: 'size_mismatch', size: n, message: `the state says ${n} events but ${bounds.eventCount} rows exist` });
  if (bounds.maxSeq !== null && bounds.maxSeq >= n) {
    report({ kind: 'size_mismatch', seq: bounds.maxSeq, message: `events exist beyond the signed state (highest seq ${bounds.maxSeq}, state size ${n})` });
  }
  if (bounds.maxHeadSize !== null && bounds.maxHeadSize > n) {
    report({ kind: 'head_beyond_log', size: bounds.maxHeadSize, message: `a tree head covers ${bounds.maxHeadSize} events but the state says ${n}: events were removed` });
  }
  if (n > 0 && (bounds.maxHeadSize ?? 0) < n) {
    report({ kind: 'head_missing', size: n, message: `events ${bounds.maxHeadSize ?? 0}..${n - 1} are not covered by any signed tree head` });
  }

  const since = options.sinceHead;
  let sinceResult: AuditVerifyReport['since'];
  /** Whether the saved head is this store's (signed by its key): only then are its size and root compared. */
  let sinceIsOurs = false;
  if (since) {
    sinceResult = { size: since.size, rootHash: since.rootHash, ok: true };
    if (since.keyId !== keyIdOf(publicKey)) {
      sinceResult.ok = false;
      report({ kind: 'since_head_key_mismatch', size: since.size, message: `the saved head names signing key ${since.keyId}, this store's key is ${keyIdOf(publicKey)}` });
    }
    if (!verifyHeadSignature(since, publicKey)) {
      sinceResult.ok = false;
      report({ kind: 'since_head_signature_invalid', size: since.size, message: "the saved head's signature is not valid for this store's audit key" });
    }
    sinceIsOurs = sinceResult.ok;
  }

  const frontier = emptyFrontier();
  const heads = repo.pagesOfTreeHeads(ctx.db, { maxSize: n, pageSize: options.pageSize });
  let headPage: repo.TreeHeadRow[] = [];
  let headIdx = 0;
  let headsDone = false;
  let headsChecked = 0;
  const nextHead = async (): Promise<repo.TreeHeadRow | undefined> => {
    while (headIdx >= headPage.length) {
      if (headsDone) return undefined;
      const r = await heads.next();
      if (r.done) {
        headsDone = true;
        return undefined;
      }
      headPage = r.value;
      headIdx = 0;
    }
    return headPage[headIdx];
  };

  /** Checks every head and the since head at the current tree size. */
  const checkAtCurrentSize = async (): Promise<void> => {
    const size = frontier.size;
    let root: Buffer | null = null;
    const rootNow = (): Buffer => (root ??= frontierRoot(frontier));
    for (let h = await nextHead(); h && Number(h.size) <= size; h = await nextHead()) {
      headIdx += 1;
      headsChecked += 1;
      const hs = Number(h.size);
      if (hs !== size) {
        // Heads are visited in size order as the tree grows, so only a non-integer size lands here.
        report({ kind: 'head_root_mismatch', size: hs, message: `a tree head has the invalid size ${String(h.size)}` });
        continue;
      }
      const rootHash = Buffer.isBuffer(h.root_hash) ? h.root_hash : Buffer.alloc(0);
      const signature = Buffer.isBuffer(h.signature) ? h.signature : Buffer.alloc(0);
      if (!rootHash.equals(rootNow())) {
        report({ kind: 'head_root_mismatch', size: hs, message: `the tree head for size ${hs} does not match the events: they were changed, removed or reordered after it was signed` });
      }
      if (rootHash.length !== HASH_SIZE || !signatureValid(publicKey, hs, rootHash, Number(h.time_ms), signature)) {
        report({ kind: 'head_signature_invalid', size: hs, message: `the signature of the tree head for size ${hs} is not valid` });
      }
    }
    if (since && sinceIsOurs && since.size === size && !rootNow().equals(Buffer.from(since.rootHash, 'hex')) && sinceResult) {
      sinceResult.ok = false;
      report({ kind: 'since_head_root_mismatch', size, message: `the log at size ${size} no longer has the root of the saved head: history was rewritten` });
    }
  };

  await checkAtCurrentSize(); // size 0 (a head of size 0 is never stored, but a saved one may be)
  let expected = 0;
  let eventsChecked = 0;
  for await (const page of repo.pagesOfEvents(ctx.db, { to: n, pageSize: options.pageSize })) {
    for (const row of page) {
      eventsChecked += 1;
      const seq = Number(row.seq);
      if (seq !== expected) {
        if (Number.isSafeInteger(seq) && seq > expected) {
          const missing = seq - expected;
          report({ kind: 'seq_gap', seq: expected, message: missing === 1 ? `event ${expected} is missing` : `events ${expected}..${seq - 1} are missing (${missing})` });
        } else {
          report({ kind: 'seq_unexpected', seq, message: `unexpected seq ${String(row.seq)} where ${expected} was expected` });
        }
      }
      expected = Number.isSafeInteger(seq) ? seq + 1 : expected + 1;
      const fields = leafFieldsOf(row);
      let leaf: Buffer;
      if (typeof fields === 'string') {
        report({ kind: 'event_malformed', seq, message: `event ${String(row.seq)}: ${fields}` });
        leaf = Buffer.alloc(HASH_SIZE);
      } else {
        leaf = auditLeafHash(fields);
        const storedLeaf = Buffer.isBuffer(row.leaf_hash) ? row.leaf_hash : Buffer.alloc(0);
        if (!storedLeaf.equals(leaf)) report({ kind: 'leaf_hash_mismatch', seq, message: `event ${seq} was changed: its content no longer matches its leaf hash` });
      }
      appendLeaf(frontier, leaf);
      await checkAtCurrentSize();
    }
  }
  if (expected < n) {
    report({ kind: 'seq_gap', seq: expected, message: expected === n - 1 ? `event ${expected} is missing` : `events ${expected}..${n - 1} are missing (${n - expected})` });
  }
  for (let h = await nextHead(); h; h = await nextHead()) {
    headIdx += 1;
    report({ kind: 'head_beyond_log', size: Number(h.size), message: `a tree head covers ${Number(h.size)} events but only ${frontier.size} remain` });
  }
  if (since && sinceIsOurs && since.size > frontier.size && sinceResult) {
    sinceResult.ok = false;
    report({ kind: 'since_head_beyond_log', size: since.size, message: `the saved head covers ${since.size} events but the log holds only ${frontier.size}: events were removed` });
  }
  if (stored && !frontierEquals(stored, frontier)) {
    report({ kind: 'state_mismatch', size: n, message: `the stored state (size ${stored.size}) does not match the tree recomputed from the events (size ${frontier.size})` });
  }

  return {
    ok: problemCount === 0,
    size: n,
    eventsChecked,
    headsChecked,
    rootHash: frontierRoot(frontier).toString('hex'),
    ...(sinceResult ? { since: sinceResult } : {}),
    problems,
    problemCount,
  };
}

// ---------------------------------------------------------------------------------------------
// Proofs

export interface InclusionProofJson {
  index: number;
  size: number;
  /** Leaf hash of event `index` (hex). */
  leafHash: string;
  /** Audit path, leaf to root (hex). */
  proof: string[];
  /** Root at `size` computed from the log (hex). */
  rootHash: string;
  /** The stored signed head at `size`, if one was stored for exactly that size. */
  head: HeadJson | null;
}

export interface ConsistencyProofJson {
  fromSize: number;
  toSize: number;
  fromRoot: string;
  toRoot: string;
  proof: string[];
  fromHead: HeadJson | null;
  toHead: HeadJson | null;
}

const damaged = (message: string): AppError => fatalError('audit.log_damaged', `${message}; run \`wekeep audit verify\``);

/**
 * One streaming pass over leaves [0, upTo): MTHs of the given disjoint ranges, the roots at the
 * given sizes and the leaf hashes at the given indexes. Memory O(log n + page).
 */
async function scanTree(db: Kysely<Database>, upTo: number, ranges: readonly LeafRange[], rootSizes: readonly number[], leafIndexes: readonly number[]) {
  const order = ranges.map((r, i) => ({ ...r, i })).sort((a, b) => a.start - b.start);
  const rangeHashes: Buffer[] = new Array<Buffer>(ranges.length);
  const roots = new Map<number, Buffer>();
  const leaves = new Map<number, Buffer>();
  const global = emptyFrontier();
  let cur = 0;
  let local = emptyFrontier();
  const atSize = (): void => {
    if (rootSizes.includes(global.size)) roots.set(global.size, frontierRoot(global));
  };
  atSize();
  let expected = 0;
  for await (const page of repo.pagesOfLeafHashes(db, 0, upTo)) {
    for (const row of page) {
      if (Number(row.seq) !== expected) throw damaged(`audit event ${expected} is missing`);
      const leaf = row.leaf_hash;
      if (!Buffer.isBuffer(leaf) || leaf.length !== HASH_SIZE) throw damaged(`audit event ${expected} has a damaged leaf hash`);
      if (leafIndexes.includes(expected)) leaves.set(expected, leaf);
      appendLeaf(global, leaf);
      const r = order[cur];
      if (r && expected >= r.start && expected < r.end) {
        appendLeaf(local, leaf);
        if (expected === r.end - 1) {
          rangeHashes[r.i] = frontierRoot(local);
          local = emptyFrontier();
          cur += 1;
        }
      }
      expected += 1;
      atSize();
    }
  }
  if (expected !== upTo) throw damaged(`the audit log holds ${expected} events where ${upTo} were expected`);
  return { rangeHashes, roots, leaves };
}

async function treeSize(db: Kysely<Database>): Promise<number> {
  const s = await repo.readState(db);
  return s ? Number(s.size) : 0;
}

async function headAt(ctx: AuditReadContext, size: number): Promise<HeadJson | null> {
  const row = await repo.treeHeadAt(ctx.db, size);
  return row ? headJsonOf(row, ctx.keys.auditPublicKey) : null;
}

/** RFC 9162 inclusion proof of event `index` in the tree of `size` (default: the current size). */
export async function inclusionProof(ctx: AuditReadContext, index: number, size?: number): Promise<InclusionProofJson> {
  const current = await treeSize(ctx.db);
  const sz = size ?? current;
  if (!Number.isSafeInteger(index) || index < 0) throw usageError('audit.bad_index', `index must be a non-negative integer, got ${index}`);
  if (!Number.isSafeInteger(sz) || sz < 1 || sz > current) throw usageError('audit.bad_size', `size must be between 1 and the log size ${current}, got ${sz}`);
  if (index >= sz) throw usageError('audit.bad_index', `index ${index} is not below the tree size ${sz}`);
  const ranges = inclusionProofRanges(index, sz);
  const scan = await scanTree(ctx.db, sz, ranges, [sz], [index]);
  return {
    index,
    size: sz,
    leafHash: (scan.leaves.get(index) as Buffer).toString('hex'),
    proof: scan.rangeHashes.map((h) => h.toString('hex')),
    rootHash: (scan.roots.get(sz) as Buffer).toString('hex'),
    head: await headAt(ctx, sz),
  };
}

/** RFC 9162 consistency proof between the trees of `fromSize` and `toSize` (default: the current size). */
export async function consistencyProof(ctx: AuditReadContext, fromSize: number, toSize?: number): Promise<ConsistencyProofJson> {
  const current = await treeSize(ctx.db);
  const to = toSize ?? current;
  if (!Number.isSafeInteger(to) || to < 0 || to > current) throw usageError('audit.bad_size', `the new size must be between 0 and the log size ${current}, got ${to}`);
  if (!Number.isSafeInteger(fromSize) || fromSize < 0 || fromSize > to) throw usageError('audit.bad_size', `the old size must be between 0 and ${to}, got ${fromSize}`);
  const ranges = consistencyProofRanges(fromSize, to);
  const scan = await scanTree(ctx.db, to, ranges, [fromSize, to], []);
  return {
    fromSize,
    toSize: to,
    fromRoot: (scan.roots.get(fromSize) as Buffer).toString('hex'),
    toRoot: (scan.roots.get(to) as Buffer).toString('hex'),
    proof: scan.rangeHashes.map((h) => h.toString('hex')),
    fromHead: fromSize === 0 ? null : await headAt(ctx, fromSize),
    toHead: to === 0 ? null : await headAt(ctx, to),
  };
}

const isHex32 = (s: string): boolean => /^[0-9a-f]{64}$/.test(s);
const unhex = (s: string): Buffer => Buffer.from(s, 'hex');

/** Pure check of an inclusion proof as returned by inclusionProof (and `audit proof --json`). */
export function checkInclusionProof(p: Pick<InclusionProofJson, 'index' | 'size' | 'leafHash' | 'proof' | 'rootHash'>): boolean {
  if (!isHex32(p.leafHash) || !isHex32(p.rootHash) || !p.proof.every(isHex32)) return false;
  return verifyInclusion(p.index, p.size, unhex(p.leafHash), p.proof.map(unhex), unhex(p.rootHash));
}

/** Pure check of a consistency proof as returned by consistencyProof (and `audit consistency --json`). */
export function checkConsistencyProof(p: Pick<ConsistencyProofJson, 'fromSize' | 'toSize' | 'fromRoot' | 'toRoot' | 'proof'>): boolean {
  if (!isHex32(p.fromRoot) || !isHex32(p.toRoot) || !p.proof.every(isHex32)) return false;
  return verifyConsistency(p.fromSize, p.toSize, p.proof.map(unhex), unhex(p.fromRoot), unhex(p.toRoot));
}

// ---------------------------------------------------------------------------------------------
// Listing

export interface AuditEventView {
  seq: number;
  timeMs: number;
  time: string;
  actor: string;
  action: string;
  subject: string | null;
  /** Parsed details; the stored text itself when it is not valid JSON (tampering). */
  details: unknown;
  leafHash: string;
}

/** Filters of `listAuditEvents`: those of the repository, all optional (limit default 50, at most 10 000; order default newest first). */
export type AuditListFilters = Partial<EventFilters>;

export { MAX_LIST_LIMIT };

function viewOf(row: repo.AuditEventRow): AuditEventView {
  let details: unknown = null;
  if (row.details !== null) {
    try {
      details = JSON.parse(row.details);
    } catch {
      details = row.details;
    }
  }
  return {
    seq: row.seq,
    timeMs: row.time_ms,
    time: new Date(row.time_ms).toISOString(),
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details,
    leafHash: Buffer.isBuffer(row.leaf_hash) ? row.leaf_hash.toString('hex') : '',
  };
}

export async function listAuditEvents(ctx: Pick<Context, 'db'>, filters: AuditListFilters = {}): Promise<AuditEventView[]> {
  const limit = filters.limit ?? 50;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw usageError('audit.bad_limit', `limit must be between 1 and ${MAX_LIST_LIMIT}, got ${limit}`);
  const rows = await repo.listEvents(ctx.db, {
    action: filters.action,
    actor: filters.actor,
    subject: filters.subject,
    sinceMs: filters.sinceMs,
    untilMs: filters.untilMs,
    beforeSeq: filters.beforeSeq,
    afterSeq: filters.afterSeq,
    order: filters.order ?? 'desc',
    limit,
  });
  return rows.map(viewOf);
}
