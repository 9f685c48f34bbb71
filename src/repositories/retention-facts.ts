import type { Context } from '../context.js';
import { departmentPeriod, departmentsAt, parseDepartmentHistory, type DepartmentHistory } from '../domain/department-history.js';
import { SLOTS_PER_MS } from '../domain/message-key.js';
import type { RecordFacts } from '../domain/retention-scope.js';
import { jsonArray } from './json-columns.js';
import { prepareFrozenKeys, prepareFrozenPersonIds } from './privacy.js';

/**
 * RecordFacts for retention, read in key (= time) order: for sweeps, forecasts, dry runs, hold
 * counts, reviews and privacy requests. Persons, conversations and memberships are cached for the
 * reader's life.
 */

/** RecordFacts plus what disposing of the record needs. */
export interface FactsRow extends RecordFacts {
  sourceId: number;
  conversationRowId: number;
  fromPersonId: number;
  toPersonIds: number[];
  recordHash: Buffer;
  attachments: { blobId: string; sha256: string; size: number }[];
}

interface PersonInfo {
  extId: string;
  name: string | undefined;
  /** Now. */
  departments: string[];
  /** Before each change a directory sync saw (domain/department-history.ts); mostly empty. */
  history: DepartmentHistory;
}

interface MessageRow {
  id: number;
  source_id: number;
  ext_id: string;
  time_ms: number;
  conversation_id: number;
  from_person_id: number;
  to_person_ids: string | null;
  type: string;
  recalled_at: number | null;
  attachment_count: number;
  record_hash: Buffer;
}

export interface FactsReader {
  /** Up to `limit` records with keys in (afterKey, beforeKey), in key order. */
  read(afterKey: number, limit: number, beforeKey?: number): Promise<FactsRow[]>;
  /**
   * The fast path of whole-archive passes (forecast, dry run, hold counts; needs metadataOnly):
   * visits up to `limit` records in key order WITHOUT building an object per record — records of
   * the same shape (source, conversation, sender, recipients, type, attachment, recalled) share one
   * FactsRow whose `key` and `timeMs` are set before each visit. Do not keep the object.
   * Returns how many were visited and the last key.
   */
  scan(afterKey: number, limit: number, beforeKey: number | undefined, visit: (facts: FactsRow) => void): { count: number; lastKey: number };
  /**
   * The grouped pass of whole-archive questions (forecast, dry run, hold counts; needs metadataOnly):
   * a SQLite `GROUP BY` over the index messages_shape (30-day bucket, shape) counts the records with
   * keys below `beforeKey` per shape and per interval between `cutKeys` (ascending): counts[0] below
   * cutKeys[0], counts[i] in [cutKeys[i-1], cutKeys[i]), the last from the last cut on. Visits one
   * FactsRow per shape (its `key`, `timeMs` and `id` are not set: the caller sets them). Returns the
   * number of records counted.
   */
  groups(cutKeys: readonly number[], beforeKey: number | undefined, visit: (facts: FactsRow, counts: readonly number[], shape: RecordShape, keys: KeyBounds) => void): number;
  /** Attachment bytes of the records of one shape with keys in [loKey, hiKey). */
  shapeBytes(shape: RecordShape, loKey: number, hiKey: number): number;
  /** Up to `limit` keys of the records of one shape with keys in [loKey, hiKey), ascending. */
  shapeKeys(shape: RecordShape, loKey: number, hiKey: number, limit: number): number[];
  /** Visits the records with these keys in key order, like scan() (records of one shape share one object). */
  readKeys(keys: readonly number[], visit: (facts: FactsRow) => void): void;
  /**
   * The lowest and highest key among up to `limit` records with keys in (afterKey, beforeKey)
   * (no limit: all of them), or undefined when there is none.
   */
  keyRange(afterKey: number, beforeKey: number | undefined, limit?: number): { lo: number; hi: number } | undefined;
}

/**
 * The keys a visited group's records lie in besides its shape: all of them, or — in a conversation an
 * external party joined midway — those before or from its external_since_key.
 */
export interface KeyBounds { lo: number; hi: number }
const ALL_KEYS: KeyBounds = { lo: 0, hi: Number.MAX_SAFE_INTEGER };

/** The columns that make a record's shape, as stored (the leading columns of messages_shape). */
export type RecordShape = readonly [conversationId: number, fromPersonId: number, type: string, attachmentCount: number, recalledAt: number | null, toPersonIds: string | null];

/** What scan() and readKeys() read per record, as arrays (RawRow). */
const RAW_COLUMNS = 'id, conversation_id, from_person_id, to_person_ids, type, attachment_count, recalled_at, source_id';
type RawRow = [number, number, number, string | null, string, number, number | null, number];

/**
 * The index messages_shape (migration 0014): the key's 30-day bucket, then the shape columns.
 * Bucketing by time keeps an import's inserts in the few buckets its records fall in (a
 * shape-first index took ~25 % of the import at 1M records); a forecast reads one row per bucket
 * and shape. The expression must be written exactly like this for SQLite to use the index.
 */
const SHAPE_BUCKET_KEYS = 30 * 86_400_000 * SLOTS_PER_MS;
const SHAPE_BUCKET = `(id / ${SHAPE_BUCKET_KEYS})`;
const SHAPE_COLUMNS = 'conversation_id, from_person_id, type, attachment_count, recalled_at, to_person_ids';


/**
 * Reads RecordFacts in key order. Persons, conversations, sources and memberships are cached for
 * the reader's life (a sweep or forecast), so a batch costs one message query and one attachment
 * query. `frozen` marks records covered by an open privacy (erasure) request.
 */
export function createFactsReader(
  ctx: Context,
  options: { frozenKeys?: (keys: readonly number[]) => Set<number>; metadataOnly?: boolean } = {},
): FactsReader {
  const { sqlite } = ctx;
  // Records of an open privacy erasure request are frozen (decideRetention keeps them) on every path.
  const frozenKeys = options.frozenKeys ?? prepareFrozenKeys(sqlite);
  // metadataOnly (forecasts, dry runs, hold counts): no ext_id, record hash or attachments (`id` is
  // '', `recordHash` empty, `attachments` [] — use attachmentBytes() for sizes); the time comes from
  // the time-ordered key. Their fast path is groups() over the index messages_shape.
  const messages = options.metadataOnly === true
    ? sqlite.prepare(`SELECT id, source_id, '' AS ext_id, id / ${SLOTS_PER_MS} AS time_ms, conversation_id, from_person_id, to_person_ids, type, recalled_at, attachment_count, x'' AS record_hash
      FROM messages WHERE id > ? AND id < ? ORDER BY id LIMIT ?`)
    : sqlite.prepare(`SELECT id, source_id, ext_id, time_ms, conversation_id, from_person_id, to_person_ids, type, recalled_at, attachment_count, record_hash
      FROM messages WHERE id > ? AND id < ? ORDER BY id LIMIT ?`);
  const personStmt = sqlite.prepare('SELECT ext_id, name, departments, department_history FROM persons WHERE id = ?');
  // Persons whose departments changed: their records' `dept:` depends on the record's time.
  const moved = new Set((sqlite.prepare('SELECT id FROM persons WHERE department_history IS NOT NULL').pluck().all() as number[]).map(Number));
  const convStmt = sqlite.prepare('SELECT c.ext_id, c.kind, c.title, c.external_since_key, s.name AS source FROM conversations c JOIN sources s ON s.id = c.source_id WHERE c.id = ?');
  const membersStmt = sqlite.prepare('SELECT person_id FROM conversation_members WHERE conversation_id = ?').pluck();
  const sourceStmt = sqlite.prepare('SELECT name FROM sources WHERE id = ?').pluck();
  const persons = new Map<number, PersonInfo>();
  const conversations = new Map<number, ConversationInfo>();
  const sources = new Map<number, string>();

  const person = (id: number): PersonInfo => {
    let p = persons.get(id);
    if (p === undefined) {
      const r = personStmt.get(id) as { ext_id: string; name: string | null; departments: string | null; department_history: string | null } | undefined;
      p = {
        extId: r?.ext_id ?? `#${id}`,
        name: r?.name ?? undefined,
        departments: jsonArray(r?.departments),
        history: parseDepartmentHistory(r?.department_history),
      };
      persons.set(id, p);
    }
    return p;
  };
  /**
   * `externalSince`: the key from which an external party takes part (repositories/external-since.ts),
   * Infinity when none ever did. A record at or after it is external; one before it stays internal
   * whatever joins the conversation later (a `party:internal` hold or floor never loses it).
   */
  interface ConversationInfo { id: string; kind: 'direct' | 'group'; title: string | undefined; members: Set<number>; memberExtIds: string[]; externalSince: number }
  const conversation = (id: number): ConversationInfo => {
    let c = conversations.get(id);
    if (c === undefined) {
      const r = convStmt.get(id) as { ext_id: string; kind: 'direct' | 'group'; title: string | null; external_since_key: number | null } | undefined;
      const members = (membersStmt.all(id) as number[]).map(Number);
      const infos = members.map(person);
      const since = r?.external_since_key ?? null;
      c = { id: r?.ext_id ?? `#${id}`, kind: r?.kind ?? 'direct', title: r?.title ?? undefined, members: new Set(members), memberExtIds: infos.map((p) => p.extId), externalSince: since === null ? Infinity : Number(since) };
      conversations.set(id, c);
    }
    return c;
  };
  const shapes = new Map<string, FactsRow>();
  // The scan's statement: only what shapes and keys need (no per-row Buffer or source/time columns:
  // the conversation gives the source, the key gives the time).
  const messagesRaw = sqlite.prepare(`SELECT ${RAW_COLUMNS} FROM messages WHERE id > ? AND id < ? ORDER BY id LIMIT ?`).raw(true);
  /**
   * Visits raw rows with one FactsRow per shape (source, conversation, sender, recipients, type,
   * attachment, recalled), its key, time and freeze set before each visit.
   */
  const visitShared = (batch: RawRow[], visit: (f: FactsRow) => void): void => {
    const frozen = frozenKeys(batch.map((r) => r[0]));
    for (const r of batch) {
      const external = r[0] >= conversation(r[1]).externalSince ? 1 : 0;
      let shape = `${r[1]}|${r[2]}|${r[4]}|${r[5] > 0 ? 1 : 0}${r[6] === null ? 0 : 1}${external}|${r[3] ?? ''}`;
      // A sender or recipient who changed department: the record's departments depend on its time.
      if (moved.size > 0) shape += departmentPeriods(r[2], recipients(r[3]), Math.floor(r[0] / SLOTS_PER_MS));
      let f = shapes.get(shape);
      if (f === undefined) {
        f = factsOf({
          id: r[0], source_id: r[7], ext_id: '', time_ms: Math.floor(r[0] / SLOTS_PER_MS), conversation_id: r[1], from_person_id: r[2],
          to_person_ids: r[3], type: r[4], recalled_at: r[6], attachment_count: r[5], record_hash: emptyHash,
        }, false, []);
        if (shapes.size < 200_000) shapes.set(shape, f);
      }
      f.key = r[0];
      f.timeMs = Math.floor(r[0] / SLOTS_PER_MS);
      f.frozen = frozen.has(r[0]) === true;
      visit(f);
    }
  };
  const emptyHash = Buffer.alloc(0);
  /** Which period of their department history the moved persons among sender and recipients were in. */
  const departmentPeriods = (fromId: number, toIds: readonly number[], timeMs: number): string => {
    let out = '';
    for (const pid of [fromId, ...toIds]) if (moved.has(pid)) out += `|${pid}@${departmentPeriod(person(pid).history, timeMs)}`;
    return out;
  };
  /** Departments of the sender and recipients at a time. */
  const departmentsOf = (from: PersonInfo, to: readonly PersonInfo[], timeMs: number): readonly string[] => {
    if (to.length === 0) return from.history.length === 0 ? from.departments : departmentsAt(from.departments, from.history, timeMs);
    return [...new Set([from, ...to].flatMap((p) => (p.history.length === 0 ? p.departments : departmentsAt(p.departments, p.history, timeMs))))];
  };
  const toCache = new Map<string, number[]>();
  const none: number[] = [];
  const recipients = (json: string | null): number[] => {
    if (json === null) return none;
    let ids = toCache.get(json);
    if (ids === undefined) {
      ids = JSON.parse(json) as number[];
      if (toCache.size < 100_000) toCache.set(json, ids);
    }
    return ids;
  };
  const source = (id: number): string => {
    let s = sources.get(id);
    if (s === undefined) {
      s = String(sourceStmt.get(id) ?? `#${id}`);
      sources.set(id, s);
    }
    return s;
  };

  const frozenPersonIds = prepareFrozenPersonIds(sqlite);
  const groupStatement = sqlite.prepare(`SELECT ${SHAPE_BUCKET}, ${SHAPE_COLUMNS}, count(*) FROM messages INDEXED BY messages_shape
    GROUP BY ${SHAPE_BUCKET}, ${SHAPE_COLUMNS}`).raw(true);
  const SHAPE_WHERE = `conversation_id = ? AND from_person_id = ? AND type = ? AND attachment_count = ? AND recalled_at IS ? AND to_person_ids IS ?`;
  const shapeBytesStmt = sqlite.prepare(`SELECT sum(b.size) FROM messages m INDEXED BY messages_conversation JOIN attachments a ON a.message_id = m.id JOIN blobs b ON b.id = a.blob_id
    WHERE m.${SHAPE_WHERE.replaceAll(' AND ', ' AND m.')} AND m.id >= ? AND m.id < ?`).pluck();
  const shapeKeysStmt = sqlite.prepare(`SELECT id FROM messages INDEXED BY messages_conversation WHERE ${SHAPE_WHERE} AND id >= ? AND id < ? ORDER BY id LIMIT ?`).pluck();
  const byKeys = sqlite.prepare(`SELECT ${RAW_COLUMNS} FROM messages WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`).raw(true);
  // Without a limit, min() and max() are two index seeks; with one, the first `limit` keys are read.
  const keyRangeAll = sqlite.prepare('SELECT min(id) AS lo, max(id) AS hi FROM messages WHERE id > ? AND id < ?');
  const keyRangeFirst = sqlite.prepare('SELECT min(id) AS lo, max(id) AS hi FROM (SELECT id FROM messages WHERE id > ? AND id < ? ORDER BY id LIMIT ?)');
  const conversationSourceStmt = sqlite.prepare('SELECT source_id FROM conversations WHERE id = ?').pluck();
  const conversationSources = new Map<number, number>();
  const conversationSource = (id: number): number => {
    let s = conversationSources.get(id);
    if (s === undefined) {
      s = Number(conversationSourceStmt.get(id) ?? 0);
      conversationSources.set(id, s);
    }
    return s;
  };

  return {
    async read(afterKey, limit, beforeKey = Number.MAX_SAFE_INTEGER) {
      const rows = messages.all(afterKey, beforeKey, limit) as MessageRow[];
      if (rows.length === 0) return [];
      const withAtts = options.metadataOnly === true ? [] : rows.filter((r) => r.attachment_count > 0).map((r) => r.id);
      const atts = new Map<number, FactsRow['attachments']>();
      for (let i = 0; i < withAtts.length; i += 500) {
        const chunk = withAtts.slice(i, i + 500);
        const list = sqlite.prepare(`SELECT a.message_id, a.blob_id, b.sha256, b.size FROM attachments a JOIN blobs b ON b.id = a.blob_id
          WHERE a.message_id IN (${chunk.map(() => '?').join(',')}) ORDER BY a.message_id, a.ordinal`).all(...chunk) as { message_id: number; blob_id: string; sha256: string; size: number }[];
        for (const a of list) {
          const l = atts.get(a.message_id) ?? [];
          l.push({ blobId: a.blob_id, sha256: a.sha256, size: Number(a.size) });
          atts.set(a.message_id, l);
        }
      }
      const frozen = frozenKeys(rows.map((r) => r.id));
      return rows.map((r) => factsOf(r, frozen.has(r.id) === true, atts.get(r.id) ?? []));
    },
    scan(afterKey, limit, beforeKey, visit) {
      if (options.metadataOnly !== true) throw new Error('scan() needs a metadataOnly reader');
      let count = 0;
      let lastKey = afterKey;
      // Arrays, not objects: the columns of `messagesRaw`, in order.
      const batch = messagesRaw.all(afterKey, beforeKey ?? Number.MAX_SAFE_INTEGER, limit) as RawRow[];
      visitShared(batch, (f) => {
        visit(f);
        count++;
        lastKey = f.key;
      });
      return { count, lastKey };
    },
    groups(cutKeys, beforeKey, visit) {
      if (options.metadataOnly !== true) throw new Error('groups() needs a metadataOnly reader');
      const frozen = frozenPersonIds();
      // The end is one more cut; what lies after it is not counted.
      const cuts = [...cutKeys, beforeKey ?? Number.MAX_SAFE_INTEGER];
      const k = cutKeys.length;
      const bucketOf = (key: number): number => Math.floor(key / SHAPE_BUCKET_KEYS);
      // Buckets holding a cut are counted per interval by SQLite (one sum per cut inside them); the
      // others lie in one interval each.
      const cutsIn = new Map<number, number[]>();
      for (const c of cuts) {
        const b = bucketOf(c);
        cutsIn.set(b, [...(cutsIn.get(b) ?? []), c]);
      }
      // The interval of a bucket's first key: how many cuts lie below it.
      const intervalOf = (bucket: number): number => {
        const first = bucket * SHAPE_BUCKET_KEYS;
        let i = 0;
        while (i < cuts.length && cuts[i]! < first) i++;
        return i;
      };
      const byShape = new Map<string, { shape: RecordShape; counts: number[] }>();
      const add = (row: unknown[], interval: number, n: number): void => {
        const key = `${row[1]}|${row[2]}|${row[3]}|${row[4]}|${row[5]}|${row[6]}`;
        let g = byShape.get(key);
        if (g === undefined) byShape.set(key, (g = { shape: row.slice(1, 7) as unknown as RecordShape, counts: new Array<number>(k + 2).fill(0) }));
        g.counts[interval]! += n;
      };
      for (const row of groupStatement.iterate() as Iterable<unknown[]>) {
        const bucket = Number(row[0]);
        if (!cutsIn.has(bucket)) add(row, intervalOf(bucket), Number(row[7]));
      }
      for (const [bucket, inside] of cutsIn) {
        const sums = inside.map(() => ', sum(id < ?)').join('');
        const statement = sqlite.prepare(`SELECT ${SHAPE_BUCKET}, ${SHAPE_COLUMNS}, count(*)${sums} FROM messages INDEXED BY messages_shape
          WHERE ${SHAPE_BUCKET} = ? GROUP BY ${SHAPE_COLUMNS}`).raw(true); // the bucket is fixed: grouping by it too would sort
        const first = intervalOf(bucket);
        for (const row of statement.iterate([...inside, bucket]) as Iterable<unknown[]>) {
          let below = 0;
          for (let i = 0; i < inside.length; i++) {
            const n = Number(row[8 + i]);
            add(row, first + i, n - below);
            below = n;
          }
          add(row, first + inside.length, Number(row[7]) - below);
        }
      }
      // A conversation an external party joined midway (its records before external_since_key are
      // internal, the rest external), or a sender or recipient who changed department (the record's
      // departments are those at its time): such a shape is split at those keys. Per conversation
      // and split key, one query counts each shape's records below it per interval (cumulative sums
      // below each cut).
      const before = new Map<string, number[]>();
      const shapeKey = (x: RecordShape): string => `${x[0]}|${x[1]}|${x[2]}|${x[3]}|${x[4]}|${x[5]}`;
      const splitDone = new Set<string>();
      const cumulative = cuts.map(() => ', sum(id < ?)').join('');
      const splitStatement = sqlite.prepare(`SELECT ${SHAPE_COLUMNS}${cumulative} FROM messages INDEXED BY messages_conversation
        WHERE conversation_id = ? AND id < ? GROUP BY ${SHAPE_COLUMNS}`).raw(true);
      const countsBefore = (shape: RecordShape, since: number): number[] => {
        const conversationId = shape[0];
        if (!splitDone.has(`${since}|${conversationId}`)) {
          splitDone.add(`${since}|${conversationId}`);
          for (const row of splitStatement.iterate([...cuts, conversationId, since]) as Iterable<unknown[]>) {
            const pre: number[] = [];
            let below = 0;
            for (let i = 0; i < cuts.length; i++) {
              const n = Number(row[6 + i]);
              pre.push(n - below);
              below = n;
            }
            before.set(`${since}|${shapeKey(row as unknown as RecordShape)}`, pre);
          }
        }
        return before.get(`${since}|${shapeKey(shape)}`) ?? new Array<number>(k + 1).fill(0);
      };
      let total = 0;
      for (const { shape, counts } of byShape.values()) {
        counts.length = k + 1; // drop what lies after the end
        const n = counts.reduce((x, y) => x + y, 0);
        if (n === 0) continue;
        total += n;
        const [conversationId, fromPersonId, type, attachmentCount, recalledAt, toPersonIds] = shape;
        const f = factsOf({
          id: 0, source_id: conversationSource(conversationId), ext_id: '', time_ms: 0, conversation_id: conversationId, from_person_id: fromPersonId,
          to_person_ids: toPersonIds, type, recalled_at: recalledAt, attachment_count: attachmentCount, record_hash: emptyHash,
        }, false, []);
        f.frozen = frozen.persons.size > 0 && (frozen.persons.has(f.fromPersonId) || f.toPersonIds.some((p) => frozen.persons.has(p)) || (toPersonIds === null && frozen.conversations.has(conversationId)));
        const since = conversation(conversationId).externalSince;
        const splits = new Set<number>();
        if (since !== Infinity) splits.add(since);
        for (const pid of [fromPersonId, ...f.toPersonIds]) if (moved.has(pid)) for (const [until] of person(pid).history) splits.add(until * SLOTS_PER_MS);
        if (splits.size === 0) {
          visit({ ...f, external: false }, counts, shape, ALL_KEYS);
          continue;
        }
        const from = person(fromPersonId);
        const to = f.toPersonIds.map(person);
        let lo = 0;
        let below = new Array<number>(k + 1).fill(0);
        for (const hi of [...[...splits].sort((a, b) => a - b), Number.MAX_SAFE_INTEGER]) {
          const upTo = hi === Number.MAX_SAFE_INTEGER ? counts : countsBefore(shape, hi);
          const piece = upTo.map((c, i) => c - below[i]!);
          if (piece.some((c) => c > 0)) visit({ ...f, external: lo >= since, departments: departmentsOf(from, to, Math.floor(lo / SLOTS_PER_MS)) }, piece, shape, { lo, hi });
          below = upTo;
          lo = hi;
        }
      }
      return total;
    },
    shapeBytes(shape, loKey, hiKey) {
      return Number(shapeBytesStmt.get(...shape, loKey, hiKey) ?? 0);
    },
    shapeKeys(shape, loKey, hiKey, limit) {
      return (shapeKeysStmt.all(...shape, loKey, hiKey, limit) as number[]).map(Number);
    },
    keyRange(afterKey, beforeKey, limit) {
      const end = beforeKey ?? Number.MAX_SAFE_INTEGER;
      const r = (limit === undefined ? keyRangeAll.get(afterKey, end) : keyRangeFirst.get(afterKey, end, limit)) as { lo: number | null; hi: number | null };
      return r.lo === null || r.hi === null ? undefined : { lo: r.lo, hi: r.hi };
    },
    readKeys(keys, visit) {
      const sorted = [...keys].sort((a, b) => a - b);
      for (let i = 0; i < sorted.length; i += 10_000) visitShared(byKeys.all(JSON.stringify(sorted.slice(i, i + 10_000))) as RawRow[], visit);
    },
  };

  function factsOf(r: MessageRow, isFrozen: boolean, attachments: FactsRow['attachments']): FactsRow {
    const src = source(r.source_id);
    const conv = conversation(r.conversation_id);
    const from = person(r.from_person_id);
    const toIds = recipients(r.to_person_ids);
    const to = toIds.map(person);
    // Everyone who took part: the conversation's members plus sender and recipients not (yet) listed as members.
    const outsiders = [r.from_person_id, ...toIds].filter((pid) => !conv.members.has(pid));
    const participants = outsiders.length === 0 ? conv.memberExtIds : [...conv.memberExtIds, ...new Set(outsiders.map((pid) => person(pid).extId))];
    // External from the conversation's external_since_key on, fixed when the records were archived:
    // neither a later message nor a directory change turns an internal record external.
    const external = r.id >= conv.externalSince;
    // Departments at the record's time: a later move does not change what a `dept:` scope covers.
    const departments = departmentsOf(from, to, r.time_ms);
    return {
      key: r.id,
      source: src,
      id: r.ext_id,
      timeMs: r.time_ms,
      conversation: { id: conv.id, kind: conv.kind, title: conv.title },
      from: { id: from.extId, name: from.name },
      to: to.map((p) => ({ id: p.extId, name: p.name })),
      participants,
      type: r.type,
      hasAttachment: r.attachment_count > 0,
      recalled: r.recalled_at !== null,
      external,
      departments,
      frozen: isFrozen,
      sourceId: r.source_id,
      conversationRowId: r.conversation_id,
      fromPersonId: r.from_person_id,
      toPersonIds: toIds,
      recordHash: r.record_hash,
      attachments,
    };
  }
}

/** Total attachment bytes per message key (for the given keys; messages without attachments are absent). */
export function attachmentBytes(ctx: Context, keys: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    const rows = ctx.sqlite.prepare(`SELECT a.message_id AS k, sum(b.size) AS n FROM attachments a JOIN blobs b ON b.id = a.blob_id
      WHERE a.message_id IN (${chunk.map(() => '?').join(',')}) GROUP BY a.message_id`).all(...chunk) as { k: number; n: number }[];
    for (const r of rows) out.set(Number(r.k), Number(r.n));
  }
  return out;
}
