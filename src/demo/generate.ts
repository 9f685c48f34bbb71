import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { buildCompany, volumeClass, VOLUME_SHARES, type Company, type Conversation, type Lang, type Person, type Source, type TopicKey } from './company.js';
import { MediaFactory, MIME, POOLED_DOC_NAMES, VIDEO_FPS, VIDEO_FRAMES, type DocKind, type MediaFile } from './media.js';
import { composeText, factText, fileName, LABELS, linkTitle, PLACES, quickLine, type PhraseContext } from './phrases.js';
import { BASE62, Rng, WeightedPicker } from './prng.js';

/**
 * The demo corpus generator: realistic synthetic WeChat/WeCom business chat as NDJSON import
 * lines (src/domain/record.ts). Deterministic for a seed and options; streams line by line with
 * bounded memory (only the chat sessions open in the current time slot are held).
 *
 * How time works: the range [end - days + 1, end] (Asia/Shanghai days) is cut into slots (an hour,
 * or less for dense corpora). Each slot gets a share of the messages by weekday, hour of day,
 * holidays, day-to-day noise and slow growth. A slot opens chat sessions (a burst of messages in
 * one conversation) at random instants; a min-heap of sessions by their next message time yields
 * the messages globally in time order, so every conversation is in time order and `seq` grows
 * per source in file order. The one deliberate exception: a few recalls are written before the
 * message they recall, to exercise out-of-order linking.
 */

export type MediaMode = 'normal' | 'none';

export interface DemoOptions {
  messages: number;
  seed: string;
  media: MediaMode;
  days: number;
  /** Last day, YYYY-MM-DD (Asia/Shanghai). */
  end: string;
  /** Write attachments as files here (absolute or relative to cwd) instead of inline base64. */
  attachmentsDir?: string;
  /** Directory that attachment `path`s are relative to (the output file's folder). */
  pathsRelativeTo?: string;
}

export interface DemoSummary {
  messages: number;
  bytes: number;
  seed: string;
  media: MediaMode;
  days: number;
  firstDay: string;
  end: string;
  firstTime: string | null;
  lastTime: string | null;
  byType: { [type: string]: number };
  bySource: { [source: string]: number };
  company: { employees: number; externals: number; conversations: number };
  attachments: { count: number; bytes: number; reused: number; filesWritten: number };
  recalls: { total: number; beforeOriginal: number };
  elapsedMs: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const SH_OFFSET_MS = 8 * HOUR_MS;

/** Relative message volume by hour of day (Asia/Shanghai). */
const WEEKDAY_HOURS = [0.03, 0.015, 0.008, 0.005, 0.005, 0.01, 0.03, 0.1, 0.45, 1.0, 1.15, 1.05, 0.5, 0.65, 1.05, 1.1, 1.05, 0.85, 0.45, 0.3, 0.3, 0.25, 0.15, 0.07];
const WEEKEND_HOURS = [0.05, 0.02, 0.01, 0.005, 0.005, 0.01, 0.02, 0.05, 0.15, 0.3, 0.4, 0.45, 0.35, 0.3, 0.35, 0.4, 0.4, 0.35, 0.3, 0.3, 0.3, 0.25, 0.15, 0.08];
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const WEEKDAY_SUM = sum(WEEKDAY_HOURS);
const WEEKEND_SUM = sum(WEEKEND_HOURS);

/** Chinese New Year's day (the week around it is quiet). */
const SPRING_FESTIVAL: { [year: number]: string } = {
  2019: '02-05', 2020: '01-25', 2021: '02-12', 2022: '02-01', 2023: '01-22', 2024: '02-10', 2025: '01-29', 2026: '02-17', 2027: '02-06', 2028: '01-26', 2029: '02-13', 2030: '02-03',
};

type Kind =
  | 'text' | 'image' | 'voice' | 'video' | 'file' | 'emoji' | 'link' | 'card' | 'location' | 'call' | 'system' | 'recall'
  | 'miniprogram' | 'chatrecord' | 'redpacket' | 'transfer' | 'meeting' | 'calendar' | 'doc' | 'todo' | 'vote'
  | 'markdown' | 'news' | 'mixed' | 'other';

/** Target shares (percent of all messages). Recall is weighted up a little: a session's first message cannot be one. */
const TYPE_WEIGHTS: readonly [Kind, number][] = [
  ['text', 80.1], ['image', 6], ['voice', 4], ['file', 3], ['video', 0.3], ['recall', 1.08], ['emoji', 1.5], ['link', 1.0], ['call', 0.7], ['system', 0.55],
  ['card', 0.25], ['location', 0.25], ['miniprogram', 0.1], ['redpacket', 0.08], ['transfer', 0.07], ['meeting', 0.1], ['calendar', 0.05],
  ['doc', 0.1], ['chatrecord', 0.08], ['todo', 0.03], ['vote', 0.03], ['mixed', 0.05], ['other', 0.07],
];

/** Per message, chance that it is recalled before its original is written (out of file order). */
const EARLY_RECALL_P = 0.0006;

interface Attachment {
  name: string;
  mime: string;
  /** Base64 text as a one-byte buffer (spliced into the line without re-encoding). */
  data?: Buffer;
  path?: string;
}

/** A piece of an output line: text, or base64 bytes (ASCII) kept as a buffer. */
export type LinePart = string | Buffer;

interface Msg {
  id: string;
  timeMs: number;
  from: Person;
  type: string;
  text?: string;
  attachments?: Attachment[];
  recalls?: string;
  call?: { media: 'voice' | 'video'; durationSeconds: number };
  raw?: unknown;
}

interface Session {
  serial: number;
  conv: Conversation;
  topic: TopicKey;
  participants: Person[];
  facts: Map<string, string | number>;
  remaining: number;
  position: number;
  nextTime: number;
  nextKind: Kind;
  lastSpeaker: Person | undefined;
  /** The session's previous message (what a recall would take back). */
  last: { id: string; from: Person; recallable: boolean } | undefined;
  /** An original held back so that its recall is written first. */
  deferred: Msg | undefined;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Validates YYYY-MM-DD and returns the UTC instant of that day's 00:00 in Asia/Shanghai. */
export function shanghaiMidnight(day: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms - SH_OFFSET_MS;
}

export function todayInShanghai(nowMs: number): string {
  return new Date(nowMs + SH_OFFSET_MS).toISOString().slice(0, 10);
}

let cachedDay = Number.NaN;
let cachedDayPrefix = '';

/** ISO 8601 in Asia/Shanghai with milliseconds (2026-03-01T09:30:12.345+08:00); the date part is cached. */
function isoShanghai(ms: number): string {
  const local = ms + SH_OFFSET_MS;
  const day = Math.floor(local / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let rest = local - day * DAY_MS;
  const h = Math.floor(rest / HOUR_MS);
  rest -= h * HOUR_MS;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = Math.floor(rest / 1000);
  const milli = rest - sec * 1000;
  return `${cachedDayPrefix}${pad2(h)}:${pad2(m)}:${pad2(sec)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}+08:00`;
}

class SessionHeap {
  private readonly a: Session[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): Session | undefined {
    return this.a[0];
  }

  private less(i: number, j: number): boolean {
    const x = this.a[i] as Session;
    const y = this.a[j] as Session;
    return x.nextTime < y.nextTime || (x.nextTime === y.nextTime && x.serial < y.serial);
  }

  private swap(i: number, j: number): void {
    const t = this.a[i] as Session;
    this.a[i] = this.a[j] as Session;
    this.a[j] = t;
  }

  push(s: Session): void {
    this.a.push(s);
    let i = this.a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Restores order after the top's key grew. */
  siftTop(): void {
    let i = 0;
    const n = this.a.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  pop(): void {
    const last = this.a.pop();
    if (this.a.length > 0 && last) {
      this.a[0] = last;
      this.siftTop();
    }
  }
}

/** Generates the corpus one NDJSON line at a time. */
export class DemoGenerator {
  readonly options: DemoOptions;
  readonly company: Company;
  private readonly crng: Rng; // content: who, when, what is said
  private readonly srng: Rng; // schedule
  private readonly media: MediaFactory | undefined;
  private readonly startMs: number;
  private readonly endMs: number;
  private readonly slotsPerHour: number;
  private readonly slotMs: number;
  private readonly totalSlots: number;
  private readonly dayWeights: Float64Array;
  private readonly totalWeight: number;
  private readonly classPicker: WeightedPicker<WeightedPicker<Conversation>>;
  private readonly topicPickers = new Map<number, WeightedPicker<TopicKey>>();
  private readonly typePicker: WeightedPicker<Kind>;
  private readonly toCache = new Map<string, string>();
  private readonly sourceJson: string[];
  private readonly seqBySource: number[];
  private readonly idCounterBySource: number[];
  private readonly heap = new SessionHeap();
  private readonly queue: LinePart[][] = [];
  private readonly writtenPoolFiles = new Set<string>();
  private readonly createdDirs = new Set<string>();
  private slot = -1;
  private cumWeight = 0;
  private planned = 0;
  private serial = 0;
  private emitted = 0;
  private firstTime: number | undefined;
  private lastTime: number | undefined;
  readonly stats = {
    byType: new Map<string, number>(),
    bySource: new Map<string, number>(),
    attachments: 0,
    attachmentBytes: 0,
    reused: 0,
    filesWritten: 0,
    recalls: 0,
    recallsBeforeOriginal: 0,
  };

  constructor(options: DemoOptions) {
    this.options = options;
    const root = new Rng(`wekeep-demo:${options.seed}`);
    this.company = buildCompany(root.fork('company'));
    this.crng = root.fork('content');
    this.srng = root.fork('schedule');
    this.media = options.media === 'normal' ? new MediaFactory(root.fork('media')) : undefined;
    const endMidnight = shanghaiMidnight(options.end);
    if (endMidnight === undefined) throw new Error(`invalid end date ${options.end}`);
    this.endMs = endMidnight + DAY_MS;
    this.startMs = this.endMs - options.days * DAY_MS;
    this.slotsPerHour = Math.min(60, Math.max(1, Math.ceil(options.messages / (options.days * 24) / 2000)));
    this.slotMs = HOUR_MS / this.slotsPerHour;
    this.totalSlots = options.days * 24 * this.slotsPerHour;
    this.dayWeights = new Float64Array(options.days);
    let total = 0;
    for (let d = 0; d < options.days; d++) {
      const w = this.dayWeight(d);
      this.dayWeights[d] = w;
      total += w * (this.isWeekend(d) ? WEEKEND_SUM : WEEKDAY_SUM);
    }
    this.totalWeight = total;

    // Conversations grouped into volume classes (source × language) with target shares.
    const classes = new Map<string, Conversation[]>();
    for (const c of this.company.conversations) {
      const k = volumeClass(c);
      classes.set(k, [...(classes.get(k) ?? []), c]);
    }
    const pickers: WeightedPicker<Conversation>[] = [];
    const shares: number[] = [];
    for (const [k, convs] of [...classes.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      const share = VOLUME_SHARES[k];
      if (share === undefined || share <= 0) continue;
      pickers.push(new WeightedPicker(convs, convs.map((c) => c.weight)));
      shares.push(share);
    }
    this.classPicker = new WeightedPicker(pickers, shares);
    this.typePicker = new WeightedPicker(TYPE_WEIGHTS.map((t) => t[0]), TYPE_WEIGHTS.map((t) => t[1]));
    this.sourceJson = this.company.sources.map((s) => JSON.stringify(s.name));
    this.seqBySource = this.company.sources.map(() => 0);
    this.idCounterBySource = this.company.sources.map(() => 0);
  }

  private dayStartMs(d: number): number {
    return this.startMs + d * DAY_MS;
  }

  private isWeekend(d: number): boolean {
    const wd = new Date(this.dayStartMs(d) + SH_OFFSET_MS).getUTCDay();
    return wd === 0 || wd === 6;
  }

  private dayWeight(d: number): number {
    const date = new Date(this.dayStartMs(d) + SH_OFFSET_MS);
    const md = `${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
    let w = this.isWeekend(d) ? 0.5 : 1;
    const y = date.getUTCFullYear();
    const cny = SPRING_FESTIVAL[y];
    if (cny) {
      const cnyMs = Date.UTC(y, Number(cny.slice(0, 2)) - 1, Number(cny.slice(3)));
      const off = Math.round((Date.UTC(y, date.getUTCMonth(), date.getUTCDate()) - cnyMs) / DAY_MS);
      if (off >= -1 && off <= 6) w *= 0.12;
    }
    if (md === '01-01' || (md >= '05-01' && md <= '05-03') || (md >= '10-01' && md <= '10-07')) w *= 0.15;
    const growth = 0.6 + 0.4 * ((d + 1) / this.options.days);
    const noise = 0.75 + 0.5 * this.srng.next();
    return w * growth * noise;
  }

  private hourWeight(d: number, hour: number): number {
    return (this.dayWeights[d] as number) * ((this.isWeekend(d) ? WEEKEND_HOURS[hour] : WEEKDAY_HOURS[hour]) as number);
  }

  /** Opens the next time slot: starts chat sessions until the slot's share of messages is planned. */
  private openNextSlot(): void {
    this.slot++;
    const s = this.slot;
    const hourIndex = Math.floor(s / this.slotsPerHour);
    const d = Math.floor(hourIndex / 24);
    const hour = hourIndex % 24;
    this.cumWeight += this.hourWeight(d, hour) / this.slotsPerHour;
    const N = this.options.messages;
    const target = s === this.totalSlots - 1 ? N : Math.min(N, Math.round((N * this.cumWeight) / this.totalWeight));
    const slotStart = this.startMs + s * this.slotMs;
    while (this.planned < target) {
      const conv = this.classPicker.pick(this.srng).pick(this.srng);
      const len = Math.min(this.sessionLength(conv), N - this.planned);
      this.planned += len;
      this.heap.push(this.newSession(conv, len, slotStart + Math.floor(this.srng.next() * this.slotMs)));
    }
  }

  private sessionLength(conv: Conversation): number {
    const r = this.srng;
    if (r.chance(0.12)) return 1;
    if (conv.kind === 'all-hands') return r.range(1, 4);
    return Math.floor(r.logUniform(2, conv.type === 'group' ? 36 : 26));
  }

  private newSession(conv: Conversation, len: number, startMs: number): Session {
    const rng = this.crng;
    let topicPicker = this.topicPickers.get(conv.index);
    if (!topicPicker) {
      const entries = Object.entries(conv.topics) as [TopicKey, number][];
      topicPicker = new WeightedPicker(entries.map((e) => e[0]), entries.map((e) => e[1]));
      this.topicPickers.set(conv.index, topicPicker);
    }
    const humans = conv.members;
    let participants: Person[];
    if (conv.type === 'direct') {
      const ext = humans.find((m) => m.kind === 'external');
      const first = ext && rng.chance(0.45) ? ext : rng.pick(humans);
      participants = [first, ...humans.filter((m) => m !== first)];
    } else if (conv.kind === 'all-hands') {
      const announcers = humans.filter((m) => m.dept?.key === 'hr' || m.dept?.key === 'admin' || m.dept?.key === 'mgmt');
      const first = rng.pick(announcers.length > 0 ? announcers : humans);
      participants = [first, ...this.pickActive(humans, rng.range(0, 3), first)];
    } else {
      const k = 1 + Math.floor(rng.logUniform(1, 6));
      const first = this.pickActive(humans, 1, undefined)[0] as Person;
      participants = [first, ...this.pickActive(humans, k, first)];
    }
    const session: Session = {
      serial: this.serial++,
      conv,
      topic: topicPicker.pick(rng),
      participants,
      facts: new Map(),
      remaining: len,
      position: 0,
      nextTime: startMs,
      nextKind: 'text',
      lastSpeaker: undefined,
      last: undefined,
      deferred: undefined,
    };
    session.nextKind = this.pickKind(session);
    return session;
  }

  /** Up to `k` distinct members, chattier ones more likely, excluding `not`. */
  private pickActive(members: readonly Person[], k: number, not: Person | undefined): Person[] {
    const out: Person[] = [];
    for (let tries = 0; out.length < k && tries < k * 4; tries++) {
      const a = this.crng.pick(members);
      const b = this.crng.pick(members);
      const p = a.activity >= b.activity ? a : b;
      if (p !== not && !out.includes(p)) out.push(p);
    }
    return out;
  }

  private pickKind(s: Session): Kind {
    // Group robots post reports and news now and then (only where a robot is a member).
    if (s.conv.robot !== undefined && this.crng.chance(0.04)) return this.crng.chance(0.75) || s.conv.robot.name.startsWith('Jenkins') ? 'markdown' : 'news';
    const k = this.typePicker.pick(this.crng);
    if (k === 'recall' && (s.last === undefined || !s.last.recallable)) return 'text';
    // WeCom has no personal transfers; its closest money message is a red packet.
    if (k === 'transfer' && s.conv.source.kind === 'wecom') return 'redpacket';
    return k;
  }

  private gapMs(kind: Kind): number {
    const r = this.crng;
    if (kind === 'recall') return Math.round(r.logUniform(3_000, 100_000));
    if (r.chance(0.1)) return Math.round(r.logUniform(300_000, 2_400_000));
    return Math.round(r.logUniform(4_000, 240_000));
  }

  /** Next line (with its newline), or undefined when all messages are written. */
  next(): string | undefined {
    const parts = this.nextParts();
    if (parts === undefined) return undefined;
    return parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : parts.map((p) => (typeof p === 'string' ? p : p.toString('latin1'))).join('');
  }

  /** Next line as pieces: strings, and base64 attachment data as one-byte buffers. */
  nextParts(): LinePart[] | undefined {
    for (;;) {
      const queued = this.queue.shift();
      if (queued !== undefined) return queued;
      const top = this.heap.peek();
      const slotEnd = this.startMs + (this.slot + 1) * this.slotMs;
      if ((top === undefined || top.nextTime >= slotEnd) && this.slot < this.totalSlots - 1) {
        this.openNextSlot();
        continue;
      }
      if (top === undefined) return undefined;
      this.step(top);
    }
  }

  private step(s: Session): void {
    const kind = s.nextKind;
    const timeMs = Math.min(s.nextTime, this.endMs - 1);
    const speaker = this.pickSpeaker(s, kind);
    const msg = this.buildMessage(s, kind, speaker, timeMs);
    s.position++;
    s.remaining--;
    s.lastSpeaker = speaker;
    const recallable = kind !== 'recall' && kind !== 'system' && kind !== 'call';
    s.last = { id: msg.id, from: speaker, recallable };

    if (s.deferred && kind === 'recall') {
      // The recall goes out first, then the original it takes back.
      this.emit(s.conv, msg);
      this.stats.recallsBeforeOriginal++;
      this.emit(s.conv, s.deferred);
      s.deferred = undefined;
    } else if (recallable && s.remaining > 0 && this.crng.chance(EARLY_RECALL_P)) {
      s.deferred = msg;
    } else {
      this.emit(s.conv, msg);
    }

    if (s.remaining <= 0) {
      this.heap.pop();
      return;
    }
    s.nextKind = s.deferred ? 'recall' : this.pickKind(s);
    s.nextTime = timeMs + this.gapMs(s.nextKind);
    this.heap.siftTop();
  }

  private pickSpeaker(s: Session, kind: Kind): Person {
    if ((kind === 'markdown' || kind === 'news') && s.conv.robot) return s.conv.robot;
    if (kind === 'recall' && s.last) return s.last.from;
    if (s.position === 0 || s.lastSpeaker === undefined) return s.participants[0] as Person;
    const r = this.crng.next();
    if (s.conv.type === 'direct') return r < 0.7 ? (s.participants.find((p) => p !== s.lastSpeaker) ?? s.lastSpeaker) : s.lastSpeaker;
    if (r < 0.3 || s.participants.length < 2) return s.lastSpeaker;
    const others = s.participants.filter((p) => p !== s.lastSpeaker);
    return others.length > 0 ? this.crng.pick(others) : s.lastSpeaker;
  }

  private addresseeOf(s: Session, speaker: Person): Person {
    if (s.lastSpeaker && s.lastSpeaker !== speaker) return s.lastSpeaker;
    const others = s.participants.filter((p) => p !== speaker);
    if (others.length > 0) return this.crng.pick(others);
    const members = s.conv.members.filter((p) => p !== speaker);
    return members.length > 0 ? this.crng.pick(members) : speaker;
  }

  private chooseLang(speaker: Person, conv: Conversation): Lang {
    const r = this.crng.next();
    if (speaker.kind === 'robot') return speaker.lang;
    if (speaker.lang === 'en') return r < 0.97 ? 'en' : 'hans';
    if (speaker.lang === 'hant') {
      if (conv.lang === 'en') return r < 0.85 ? 'en' : 'hant';
      return r < 0.9 ? 'hant' : 'en';
    }
    if (conv.lang === 'en') return r < 0.9 ? 'en' : 'hans';
    if (conv.lang === 'hant') return r < 0.8 ? 'hans' : 'en';
    return r < 0.99 ? 'hans' : 'en';
  }

  private newId(source: Source, timeMs: number): string {
    const n = (this.idCounterBySource[source.index] ?? 0) + 1;
    this.idCounterBySource[source.index] = n;
    if (source.kind === 'wechat') return `${1 + this.crng.int(8)}${String(n).padStart(10, '0')}${this.crng.digits(8)}`;
    return `${this.crng.digits(8)}${String(n).padStart(10, '0')}_${Math.floor(timeMs / 1000)}`;
  }

  private buildMessage(s: Session, kind: Kind, speaker: Person, timeMs: number): Msg {
    const conv = s.conv;
    const source = conv.source;
    const timeOut = source.kind === 'wechat' ? Math.floor(timeMs / 1000) * 1000 : timeMs;
    const id = this.newId(source, timeOut);
    const lang = this.chooseLang(speaker, conv);
    const ctx: PhraseContext = { rng: this.crng, lang, timeMs, speaker, addressee: this.addresseeOf(s, speaker), conv, facts: s.facts };
    const msg: Msg = { id, timeMs: timeOut, from: speaker, type: kind };
    const wecom = source.kind === 'wecom';
    const rng = this.crng;
    const L = LABELS[lang];
    const sdkfileid = this.sdkfileid;
    const wxRaw = (type: number, extra?: { [k: string]: unknown }): { [k: string]: unknown } => this.wxRaw(source, conv, speaker, timeOut, type, extra);

    switch (kind) {
      case 'text': {
        msg.text = composeText(ctx, s.topic, s.position);
        if (rng.chance(0.03)) msg.raw = wecom ? { msgtype: 'text', text: { content: msg.text } } : wxRaw(1, { StrContent: msg.text });
        break;
      }
      case 'image': {
        const w = rng.pick([1080, 1280, 1920, 750, 1440]);
        msg.raw = wecom ? { msgtype: 'image', image: { sdkfileid: sdkfileid() } } : wxRaw(3, { ImgWidth: w });
        if (this.media) this.attach(msg, this.media.image(stampOf(timeMs), source.kind === 'wechat'));
        break;
      }
      case 'voice': {
        const seconds = Math.min(60, Math.max(1, Math.round(rng.logUniform(1.2, 45))));
        msg.raw = wecom ? { msgtype: 'voice', voice: { play_length: seconds, sdkfileid: sdkfileid() } } : wxRaw(34, { VoiceLength: seconds * 1000 });
        if (this.media) this.attach(msg, this.media.voice(`${id.replace(/_.*/, '')}.${wecom ? 'amr' : 'silk'}`, seconds, wecom ? 'amr' : 'silk'));
        break;
      }
      case 'video': {
        const index = rng.int(VIDEO_FRAMES.length);
        const seconds = Math.max(1, Math.round((VIDEO_FRAMES[index] as number) / VIDEO_FPS));
        const forwarded = rng.chance(0.3);
        msg.raw = wecom ? { msgtype: 'video', video: { play_length: seconds, sdkfileid: sdkfileid() } } : wxRaw(43, { VideoLength: seconds });
        if (this.media) this.attach(msg, this.media.video(index, `${source.kind === 'wechat' ? 'wx_camera_' : 'VID_'}${stampOf(timeMs)}.mp4`, forwarded));
        break;
      }
      case 'file': {
        const pooled = rng.chance(0.28) ? rng.int(POOLED_DOC_NAMES.length) : -1;
        let name: string;
        let docKind: DocKind;
        if (pooled >= 0) {
          name = POOLED_DOC_NAMES[pooled] as string;
          docKind = name.slice(name.lastIndexOf('.') + 1) as DocKind;
        } else {
          const f = fileName(ctx);
          name = f.name;
          docKind = f.kind;
        }
        msg.text = name;
        const ext = name.slice(name.lastIndexOf('.') + 1);
        msg.raw = wecom ? { msgtype: 'file', file: { filename: name, fileext: ext, sdkfileid: sdkfileid() } } : wxRaw(49, { AppMsgType: 6, Title: name });
        if (this.media) this.attach(msg, pooled >= 0 ? this.media.pooledDoc(pooled) : this.media.doc(this.docRequest(ctx, name, docKind, timeMs)));
        break;
      }
      case 'emoji': {
        msg.raw = wecom ? { msgtype: 'emotion', emotion: { type: 2, sdkfileid: sdkfileid() } } : wxRaw(47);
        if (this.media) this.attach(msg, this.media.sticker());
        break;
      }
      case 'mixed': {
        const text = composeText(ctx, s.topic, 1);
        msg.text = text;
        msg.raw = { msgtype: 'mixed', mixed: { item: [{ type: 'text', content: JSON.stringify({ content: text }) }, { type: 'image', content: JSON.stringify({ sdkfileid: sdkfileid() }) }] } };
        if (this.media) this.attach(msg, this.media.image(stampOf(timeMs), false));
        break;
      }
      case 'link': {
        const { title, description } = linkTitle(ctx);
        const url = `https://mp.weixin.qq.com/s/${rng.chars(BASE62, 22)}`;
        msg.text = `${title}\n${description}\n${url}`;
        msg.raw = wecom ? { msgtype: 'link', link: { title, description, link_url: url } } : wxRaw(49, { AppMsgType: 5, Title: title, Url: url });
        break;
      }
      case 'card': {
        const pool = rng.chance(0.5) ? this.company.employees : this.company.externals;
        const p = rng.pick(pool);
        msg.text = `[${L.card}] ${p.name} · ${p.company} · ${p.title}`;
        msg.raw = wecom ? { msgtype: 'card', card: { corpname: p.company, userid: p.id } } : wxRaw(42, { Nickname: p.name });
        break;
      }
      case 'location': {
        const candidates = PLACES.filter((p) => p.lang === lang);
        const place = rng.pick(candidates.length > 0 ? candidates : PLACES);
        const lat = Math.round((place.lat + (rng.next() - 0.5) * 0.01) * 1e6) / 1e6;
        const lng = Math.round((place.lng + (rng.next() - 0.5) * 0.01) * 1e6) / 1e6;
        msg.text = `[${L.location}] ${place.title}\n${place.address}`;
        msg.raw = wecom ? { msgtype: 'location', location: { longitude: lng, latitude: lat, address: place.address, title: place.title, zoom: 15 } } : wxRaw(48, { x: lat, y: lng, label: place.address });
        break;
      }
      case 'call': {
        const video = rng.chance(0.35);
        const answered = rng.chance(0.8);
        const seconds = answered ? Math.round(rng.logUniform(conv.type === 'group' ? 120 : 15, conv.type === 'group' ? 5400 : 2400)) : 0;
        const label = video ? L.videoCall : L.voiceCall;
        msg.call = { media: video ? 'video' : 'voice', durationSeconds: seconds };
        msg.text = answered ? `${label} ${L.duration} ${formatDuration(seconds)}` : `${label} ${rng.chance(0.5) ? L.missed : L.cancelled}`;
        msg.raw = wecom ? { msgtype: 'voiptext', info: { callduration: seconds, invitetype: video ? 2 : 1 } } : wxRaw(50, { duration: seconds });
        break;
      }
      case 'system': {
        msg.text = this.systemText(s, speaker, ctx);
        msg.raw = wecom ? { msgtype: 'system', action: 'send' } : wxRaw(10000, { StrContent: msg.text });
        break;
      }
      case 'recall': {
        const target = s.last as { id: string };
        msg.recalls = target.id;
        msg.text = lang === 'en' ? `${speaker.name} recalled a message` : lang === 'hant' ? `${speaker.name}撤回了一條訊息` : `${speaker.name}撤回了一条消息`;
        msg.raw = wecom ? { msgid: id, action: 'recall', msgtype: 'revoke', revoke: { pre_msgid: target.id } } : wxRaw(10002, { revokemsg: { msgid: target.id } });
        this.stats.recalls++;
        break;
      }
      case 'miniprogram': {
        const app = rng.pick([
          { displayname: '顺丰速运', title: `运单 ${factText(ctx, 'order')} 物流详情` },
          { displayname: '腾讯会议', title: '邀请你参加会议' },
          { displayname: '滴滴出行', title: '行程报销单' },
          { displayname: '瀚海设备助手', title: `设备告警：${factText(ctx, 'product')}` },
        ]);
        msg.text = `[小程序] ${app.displayname}：${app.title}`;
        msg.raw = { msgtype: 'weapp', weapp: { title: app.title, description: app.title, username: `gh_${rng.chars('0123456789abcdef', 12)}@app`, displayname: app.displayname } };
        break;
      }
      case 'redpacket': {
        const wish = lang === 'en' ? 'Best wishes' : lang === 'hant' ? '恭喜發財，大吉大利' : rng.pick(['恭喜发财，大吉大利', '辛苦了', '新年快乐', '节日快乐']);
        const cnt = rng.range(1, 10);
        const fen = rng.range(cnt, 200 * cnt) * 100;
        msg.text = `[${L.redpacket}] ${wish}`;
        msg.raw = wecom ? { msgtype: 'redpacket', redpacket: { type: cnt > 1 ? 2 : 1, wish, totalcnt: cnt, totalamount: fen } } : wxRaw(49, { AppMsgType: 2001, wish });
        break;
      }
      case 'transfer': {
        const yuan = Math.round(rng.logUniform(50, 50000));
        msg.text = `[${L.transfer}] ¥${yuan.toLocaleString('en-US')}.00${rng.chance(0.5) ? (lang === 'en' ? ' received' : lang === 'hant' ? ' 已收款' : ' 已收款') : ''}`;
        msg.raw = wxRaw(49, { AppMsgType: 2000, feedesc: `¥${yuan}.00` });
        break;
      }
      case 'meeting': {
        const topic = lang === 'en' ? 'Project sync' : rng.pick(['项目周会', '方案评审', '合同条款沟通', '季度经营分析会', '客户需求澄清']);
        const start = workingHourAfter(timeMs, rng.range(0, 3), rng.range(9, 17));
        const mid = `${rng.digits(3)}-${rng.digits(3)}-${rng.digits(3)}`;
        msg.text = `[会议] ${topic}\n${isoShanghai(start).slice(0, 16).replace('T', ' ')}\n会议号：${mid}`;
        msg.raw = { msgtype: 'meeting', meeting: { topic, starttime: Math.floor(start / 1000), endtime: Math.floor(start / 1000) + 3600, address: '', remarks: '', meetingtype: 101, meetingid: Number(mid.replace(/-/g, '')) } };
        break;
      }
      case 'calendar': {
        const title = rng.pick(['客户拜访', '供应商评审', '面试', '部门例会', '培训：个人信息保护']);
        const start = workingHourAfter(timeMs, rng.range(1, 6), rng.range(9, 17));
        msg.text = `[日程] ${title} ${isoShanghai(start).slice(0, 16).replace('T', ' ')}`;
        msg.raw = { msgtype: 'calendar', calendar: { title, creatorname: speaker.name, attendeename: s.participants.map((p) => p.name), starttime: Math.floor(start / 1000), endtime: Math.floor(start / 1000) + 3600, place: '3楼大会议室', remarks: '' } };
        break;
      }
      case 'doc': {
        const title = rng.pick(['2025年度销售目标拆解', '客户问题跟踪表', '项目排期', '供应商评分表', '周报汇总', '展会物料清单']);
        const url = `https://doc.weixin.qq.com/sheet/e3_${rng.chars(BASE62, 20)}`;
        msg.text = `[文档] ${title}\n${url}`;
        msg.raw = { msgtype: 'docmsg', doc: { title, link_url: url, doc_creator: speaker.id } };
        break;
      }
      case 'chatrecord': {
        const a = s.participants[0] as Person;
        const b = (s.participants[1] ?? conv.members.find((m) => m !== a) ?? a) as Person;
        const lines = Array.from({ length: rng.range(2, 4) }, (_, i) => ({ who: i % 2 === 0 ? a : b, line: quickLine(ctx, s.topic) }));
        const title = lang === 'en' ? `Chat history of ${a.name} and ${b.name}` : `${a.name}和${b.name}的聊天记录`;
        msg.text = `[聊天记录] ${title}\n${lines.map((l) => `${l.who.name}：${l.line}`).join('\n')}`;
        msg.raw = {
          msgtype: 'chatrecord',
          chatrecord: { title, item: lines.map((l, i) => ({ type: 'ChatRecordText', msgtime: Math.floor(timeMs / 1000) - 3600 + i * 60, content: JSON.stringify({ content: l.line }), from_chatroom: false })) },
        };
        break;
      }
      case 'todo': {
        const title = rng.pick(['确认合同条款', '跟进回款', '准备投标文件', '更新报价单', '提交报销']);
        msg.text = `[待办] ${title}`;
        msg.raw = { msgtype: 'todo', todo: { title, content: `${title}（${factText(ctx, 'date')}前）` } };
        break;
      }
      case 'vote': {
        const title = rng.pick(['团建去哪里？', '周会改到哪天？', '年会节目投票']);
        const items = ['选项A', '选项B', '选项C'];
        msg.text = `[投票] ${title}\n${items.join(' / ')}`;
        msg.raw = { msgtype: 'vote', votetitle: title, voteitem: items, votetype: 101, voteid: rng.digits(12) };
        break;
      }
      case 'markdown': {
        const robot = speaker.name;
        const day = isoShanghai(timeMs).slice(0, 10);
        if (robot.startsWith('Jenkins')) msg.text = `**Build #${rng.range(100, 9999)}** ${rng.chance(0.85) ? 'SUCCESS ✅' : 'FAILED ❌'}\n> branch: ${rng.pick(['main', 'release/3.2', 'feature/ota'])}\n> commit: ${rng.chars('0123456789abcdef', 8)}`;
        else if (robot.startsWith('工单')) msg.text = `**工单提醒 ${day}**\n> 待处理：<font color="warning">${rng.range(1, 30)}</font> 单\n> 已超时：${rng.range(0, 5)} 单\n> 今日已关闭：${rng.range(5, 60)} 单`;
        else if (robot.startsWith('物流')) msg.text = `**物流异常提醒**\n> 运单 SF${rng.digits(13)} 已延误 ${rng.range(1, 3)} 天\n> 收货方：${rng.pick(this.company.externals).company}`;
        else if (robot.startsWith('项目')) msg.text = `**项目进度 ${day}**\n> 本周完成：${rng.range(40, 95)}%\n> 风险：${rng.pick(['无', '现场网络未开通', '客户需求变更', '硬件到货延迟'])}`;
        else msg.text = `**销售日报 ${day}**\n> 新增订单：${rng.range(3, 40)} 单\n> 合同金额：¥${(rng.range(50, 900) * 1000).toLocaleString('en-US')}.00\n> 回款：¥${(rng.range(20, 600) * 1000).toLocaleString('en-US')}.00`;
        msg.raw = { msgtype: 'markdown', info: { content: msg.text } };
        break;
      }
      case 'news': {
        const { title, description } = linkTitle({ ...ctx, lang: 'hans' });
        const url = `https://www.hanhai.example/news/${rng.digits(6)}`;
        msg.text = `${title}\n${description}\n${url}`;
        msg.raw = { msgtype: 'news', info: { item: [{ title, description, url, picurl: `https://www.hanhai.example/img/${rng.digits(6)}.jpg` }] } };
        break;
      }
      case 'other': {
        if (rng.chance(0.7)) {
          const name = rng.pick(['冷链观察', '物流前沿', '瀚海智联']);
          const desc = rng.pick(['3分钟看懂冷库温控', '仓储机器人实拍', '展会现场直击']);
          msg.text = `[视频号] ${name}：${desc}`;
          msg.raw = { msgtype: 'sphfeed', sphfeed: { feed_type: 4, sph_name: name, feed_desc: desc } };
        } else {
          msg.type = 'qydiskfile';
          const name = rng.pick(['产品白皮书.pdf', '投标资料.zip', '培训视频.mp4']);
          msg.text = `[微盘文件] ${name}`;
          msg.raw = { msgtype: 'qydiskfile', info: { filename: name } };
        }
        break;
      }
    }
    return msg;
  }

  private readonly sdkfileid = (): string => this.crng.chars(BASE62, 48);

  private wxRaw(source: Source, conv: Conversation, speaker: Person, timeOut: number, type: number, extra?: { [k: string]: unknown }): { [k: string]: unknown } {
    return { Type: type, IsSender: speaker === source.owner ? 1 : 0, CreateTime: Math.floor(timeOut / 1000), StrTalker: conv.id, ...extra };
  }

  private systemText(s: Session, speaker: Person, ctx: PhraseContext): string {
    const rng = this.crng;
    const other = ctx.addressee;
    const lang = ctx.lang;
    if (s.conv.type === 'group') {
      const r = rng.int(4);
      if (lang === 'en') return [`${speaker.name} invited ${other.name} to the group`, `${speaker.name} changed the group name to "${s.conv.title ?? ''}"`, 'Group notice updated', `${other.name} left the group`][r] as string;
      if (lang === 'hant') return [`${speaker.name}邀請${other.name}加入了群組`, `${speaker.name}修改群名為「${s.conv.title ?? ''}」`, '群公告已更新', `${other.name}已退出群組`][r] as string;
      return [`${speaker.name}邀请${other.name}加入了群聊`, `${speaker.name}修改群名为“${s.conv.title ?? ''}”`, `${speaker.name}更新了群公告`, `${other.name}退出了群聊`][r] as string;
    }
    if (s.conv.source.kind === 'wechat') {
      return rng.pick([`你已添加了${other.name}，现在可以开始聊天了。`, `"${speaker.name}" 拍了拍 "${other.name}"`, '以上是打招呼的内容', '对方已开启朋友验证']);
    }
    const ext = s.conv.members.find((m) => m.kind === 'external');
    if (ext) {
      if (lang === 'en') return `${ext.name} agreed to chat archiving`;
      return rng.chance(0.6) ? `${ext.name}已同意存档会话内容，你可以继续提供服务` : `你已添加了${ext.name}，现在可以开始聊天了。`;
    }
    return lang === 'hant' ? '以下為新消息' : rng.pick(['你们已经是同事了，可以开始聊天了', '以下为新消息']);
  }

  private docRequest(ctx: PhraseContext, name: string, kind: DocKind, timeMs: number): { name: string; kind: DocKind; title: string; lines: string[]; timeMs: number } {
    // Contents come from their own generator and a copy of the session facts, so the chat text is
    // the same whether or not attachments are generated (and matches the file: same order no., amount).
    const m = new Rng(`${this.options.seed}/doc/${name}/${timeMs}`);
    const c: PhraseContext = { ...ctx, rng: m, facts: new Map(ctx.facts), lang: 'hans' };
    const amount = factText(c, 'amount');
    const ref = /合同|Contract|合約/.test(name) ? factText(c, 'contract') : /发票|Invoice|發票/.test(name) ? factText(c, 'invoice') : /单_|List|清單/.test(name) ? factText(c, 'order') : factText(c, 'quote');
    const day = isoShanghai(timeMs).slice(0, 10);
    const cust = ctx.conv.members.find((p) => p.kind === 'external');
    if (kind === 'pdf') {
      return {
        name, kind, timeMs, title: ascii(name.replace(/\.pdf$/, '')) || 'Document',
        lines: ['Hanhai Zhilian Technology Co., Ltd.', `Reference: ${ascii(ref)}`, `Date: ${day}`, `Customer: ${cust ? ascii(cust.id) : 'internal'}`, `Amount: CNY ${ascii(amount.replace(/[^\d.,]/g, '')) || '0.00'}`, `Item: ${ascii(factText({ ...c, lang: 'en' }, 'product'))}`, 'Payment terms: 30% prepayment, 60% on delivery, 10% after acceptance', 'Bank: China Merchants Bank, Shanghai Zhangjiang Sub-branch'],
      };
    }
    if (kind === 'xlsx' || kind === 'csv') {
      const rows = ['品名\t数量\t单价\t金额\t备注'];
      const n = m.range(2, 8);
      for (let i = 0; i < n; i++) {
        const q = m.range(1, 200);
        const p = m.range(10, 5000);
        rows.push(`${m.pick(['智能网关 HG-200', '温湿度传感器 TS-10', '边缘计算盒子 EB-3', '安装调试服务', '4G 物联网卡'])}\t${q}\t${p}\t${q * p}\t${ref}`);
      }
      return { name, kind, timeMs, title: name, lines: rows };
    }
    if (kind === 'txt') {
      return { name, kind, timeMs, title: name, lines: Array.from({ length: m.range(3, 10) }, (_, i) => `${day}T0${i}:1${i}:0${i}+08:00 WARN gateway ${m.chars('0123456789ABCDEF', 8)} upload latency ${m.range(200, 9000)} ms`) };
    }
    return { name, kind, timeMs, title: name.replace(/\.docx$/, ''), lines: [`编号：${ref}`, `日期：${day}`, `金额：${amount}`, '一、项目内容及范围', '二、交付与验收', '三、付款方式', '四、保密条款', '五、其他'] };
  }

  private attach(msg: Msg, file: MediaFile): void {
    this.stats.attachments++;
    this.stats.attachmentBytes += file.bytes.length;
    if (file.pooled) this.stats.reused++;
    const a: Attachment = { name: file.name, mime: file.mime };
    const dir = this.options.attachmentsDir;
    if (dir === undefined) {
      a.data = Buffer.from(file.bytes.toString('base64'), 'latin1');
    } else {
      const ext = extOf(file.name, file.mime);
      let rel: string;
      if (file.pooled && file.poolKey) {
        rel = `pool/${file.poolKey}${ext}`;
        if (!this.writtenPoolFiles.has(rel)) {
          this.writeAttachment(dir, rel, file.bytes);
          this.writtenPoolFiles.add(rel);
        }
      } else {
        const d = new Date(msg.timeMs + SH_OFFSET_MS);
        rel = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}/${msg.id}${ext}`;
        this.writeAttachment(dir, rel, file.bytes);
      }
      const full = join(dir, rel);
      a.path = relative(this.options.pathsRelativeTo ?? process.cwd(), full).split(sep).join('/');
    }
    (msg.attachments ??= []).push(a);
  }

  private writeAttachment(dir: string, rel: string, bytes: Buffer): void {
    const full = join(dir, rel);
    const parent = dirname(full);
    if (!this.createdDirs.has(parent)) {
      mkdirSync(parent, { recursive: true });
      this.createdDirs.add(parent);
    }
    writeFileSync(full, bytes);
    this.stats.filesWritten++;
  }

  private toJson(conv: Conversation, from: Person): string {
    if (conv.type === 'direct') {
      const peer = conv.members.find((m) => m !== from) ?? from;
      return `[${peer.json}]`;
    }
    const key = `${conv.index}:${from.id}`;
    let s = this.toCache.get(key);
    if (s === undefined) {
      s = `[${conv.members.filter((m) => m !== from).map((m) => m.idJson).join(',')}]`;
      this.toCache.set(key, s);
    }
    return s;
  }

  private emit(conv: Conversation, m: Msg): void {
    const src = conv.source;
    const seq = (this.seqBySource[src.index] ?? 0) + 1;
    this.seqBySource[src.index] = seq;
    const time = src.timeFormat === 'iso' ? `"${isoShanghai(m.timeMs)}"` : String(m.timeMs);
    let line = `{"source":${this.sourceJson[src.index]},"id":"${m.id}","seq":${seq},"time":${time},"conversation":${conv.json},"from":${m.from.json},"to":${this.toJson(conv, m.from)},"type":"${m.type}"`;
    if (m.text !== undefined) line += `,"text":${JSON.stringify(m.text)}`;
    const parts: LinePart[] = [];
    if (m.attachments) {
      line += ',"attachments":[';
      m.attachments.forEach((a, i) => {
        line += `${i > 0 ? ',' : ''}{"name":${JSON.stringify(a.name)},"mime":${JSON.stringify(a.mime)}`;
        if (a.data !== undefined) {
          parts.push(`${line},"data":"`, a.data);
          line = '"}';
        } else {
          line += `,"path":${JSON.stringify(a.path)}}`;
        }
      });
      line += ']';
    }
    if (m.recalls !== undefined) line += `,"recalls":"${m.recalls}"`;
    if (m.call) line += `,"call":{"media":"${m.call.media}","durationSeconds":${m.call.durationSeconds}}`;
    if (m.raw !== undefined) line += `,"raw":${JSON.stringify(m.raw)}`;
    line += '}\n';
    parts.push(line);
    this.queue.push(parts);
    this.emitted++;
    const st = this.stats;
    st.byType.set(m.type, (st.byType.get(m.type) ?? 0) + 1);
    st.bySource.set(src.name, (st.bySource.get(src.name) ?? 0) + 1);
    if (this.firstTime === undefined || m.timeMs < this.firstTime) this.firstTime = m.timeMs;
    if (this.lastTime === undefined || m.timeMs > this.lastTime) this.lastTime = m.timeMs;
  }

  summary(bytes: number, elapsedMs: number): DemoSummary {
    const sorted = (m: Map<string, number>): { [k: string]: number } => Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
    return {
      messages: this.emitted,
      bytes,
      seed: this.options.seed,
      media: this.options.media,
      days: this.options.days,
      firstDay: isoShanghai(this.startMs).slice(0, 10),
      end: this.options.end,
      firstTime: this.firstTime === undefined ? null : isoShanghai(this.firstTime),
      lastTime: this.lastTime === undefined ? null : isoShanghai(this.lastTime),
      byType: sorted(this.stats.byType),
      bySource: sorted(this.stats.bySource),
      company: { employees: this.company.employees.length, externals: this.company.externals.length, conversations: this.company.conversations.length },
      attachments: { count: this.stats.attachments, bytes: this.stats.attachmentBytes, reused: this.stats.reused, filesWritten: this.stats.filesWritten },
      recalls: { total: this.stats.recalls, beforeOriginal: this.stats.recallsBeforeOriginal },
      elapsedMs,
    };
  }
}

/** The instant `days` days after `ms` at `hour`:00 Asia/Shanghai (the next day when that is not in the future). */
function workingHourAfter(ms: number, days: number, hour: number): number {
  const dayStart = Math.floor((ms + SH_OFFSET_MS) / DAY_MS) * DAY_MS - SH_OFFSET_MS;
  let t = dayStart + days * DAY_MS + hour * HOUR_MS;
  if (t <= ms) t += DAY_MS;
  return t;
}

function stampOf(ms: number): string {
  const d = new Date(ms + SH_OFFSET_MS);
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}_${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`;
}

function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${pad2(m)}:${pad2(s)}`;
}

function ascii(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '').replace(/\s+/g, ' ').trim();
}

function extOf(name: string, mime: string): string {
  const dot = name.lastIndexOf('.');
  if (dot > 0 && dot > name.length - 7) return name.slice(dot).toLowerCase();
  const found = Object.entries(MIME).find(([, m]) => m === mime);
  return found ? `.${found[0]}` : '.bin';
}

const CHUNK_BYTES = 1 << 20;

/**
 * Encodes lines straight into 1 MiB buffers and hands each full buffer to the stream. (Joining
 * strings and then encoding is several times slower: the joined ropes have to be flattened.)
 */
class ChunkSink {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private off = 0;
  bytes = 0;

  constructor(
    private readonly out: Writable,
    private readonly failure: () => Error | undefined,
  ) {}

  /** Appends a piece if it surely fits; false when the chunk must be flushed first. */
  tryAdd(p: LinePart): boolean {
    if (typeof p === 'string') {
      if (this.off + p.length * 3 > this.buf.length) return false;
      this.off += this.buf.write(p, this.off, 'utf8');
    } else {
      if (this.off + p.length > this.buf.length) return false;
      p.copy(this.buf, this.off);
      this.off += p.length;
    }
    return true;
  }

  async flush(): Promise<void> {
    if (this.off === 0) return;
    const full = this.buf.subarray(0, this.off);
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.off = 0;
    await this.send(full);
  }

  /** Writes a buffer, waiting for 'drain' when the stream asks for it. */
  async send(b: Buffer): Promise<void> {
    this.bytes += b.length;
    let f = this.failure();
    if (f) throw f;
    if (!this.out.write(b)) await drained(this.out);
    f = this.failure();
    if (f) throw f;
  }
}

/** Waits until a stream that refused a write can take more (or has closed or failed). */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('the output stream closed early'));
    const onError = (e: Error): void => done(e);
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', onError);
  });
}

/**
 * Writes the corpus to a stream, respecting backpressure (waits for 'drain'), in chunks of about
 * 256 KiB. Resolves with the summary once everything is handed to the stream; the caller ends
 * the stream if it owns it.
 */
export async function writeDemo(options: DemoOptions, out: Writable): Promise<DemoSummary> {
  const started = Date.now();
  const gen = new DemoGenerator(options);
  let failure: Error | undefined;
  const onError = (e: Error): void => {
    failure ??= e;
  };
  out.on('error', onError);
  const sink = new ChunkSink(out, () => failure);
  try {
    for (let parts = gen.nextParts(); parts !== undefined; parts = gen.nextParts()) {
      for (const p of parts) {
        if (!sink.tryAdd(p)) {
          await sink.flush();
          if (!sink.tryAdd(p)) await sink.send(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
        }
      }
    }
    await sink.flush();
  } finally {
    out.off('error', onError);
  }
  return gen.summary(sink.bytes, Date.now() - started);
}
