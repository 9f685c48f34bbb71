import { z } from 'zod';
import { describeIssues, parseRecordInput, parseRecordTime, type recordInputSchema, type RecordType } from '../../domain/record.js';

/**
 * WeCom chat archive (会话内容存档): one decrypted message JSON → one canonical record.
 *
 * Pure: no I/O, no SDK. The connector decrypts a `chatdata` item, calls `parseDecryptedMessage` on the
 * text and `normalizeWeComMessage` on the JSON, downloads `media` and then stores the record.
 * Reference: shared/reference/ingest-formats.md A.6 (envelope), A.7 (payloads), C.4/C.6/C.8.
 *
 * What the record looks like:
 * - `id` = `msgid` (WeCom's dedup key), `source`/`seq` from the caller, `time` = `msgtime` (UTC ms).
 * - `conversation`: the room (`roomid`, group) or, for 1:1, the two participants sorted and joined
 *   with `|` (the same id whichever way the message goes).
 * - `from` = sender, `to` = `tolist` (group: every other member).
 * - `text`: what a user would search for (message text, titles, descriptions, file names, nested items).
 * - `wecom` (an extra top-level key, so the archive keeps it in the record's structured `fields.wecom`):
 *   the envelope facts (`msgtype`, `action`, `external`…) and a normalized `content` (camelCase, times in
 *   UTC ms) — e.g. a chatrecord's items, each with its own text and attachment.
 * - `raw`: the decrypted JSON object as received.
 *
 * Media are not in the record yet (see `WeComMediaRef` and `attachDownloadedMedia`).
 */

/** The input form of the canonical record (what `recordInputSchema` parses). */
type RecordInput = z.input<typeof recordInputSchema>;

export type WeComMediaKind = 'image' | 'voice' | 'video' | 'file' | 'emotion' | 'other';

/**
 * A file the sync must fetch with `GetMediaData` before the record is complete.
 *
 * Mapping to attachments: `media` lists every file of the message in the order it appears (nested
 * chatrecord/mixed parts included). Once downloaded, the sync appends them to `record.attachments` in
 * that order as `{ name, mime, path | data }` (`attachDownloadedMedia` does this). `attachmentIndex` is
 * the position in that list when every download succeeded. `name` is unique within the message and is
 * what `fields.wecom` uses to point at a file (`attachment: name`), so a file that could not be fetched
 * (expired after WeCom's 5 days) never shifts the references of the others.
 */
export interface WeComMediaRef {
  sdkfileid: string;
  /** Empty in WeCom's JSON is normalized to absent: there is then nothing to verify. */
  md5sum?: string;
  filesize?: number;
  name: string;
  mime?: string;
  kind: WeComMediaKind;
  /** where in the record (e.g. attachment ordinal) */
  attachmentIndex: number;
  /** Where in the message the file sits, e.g. `image`, `chatrecord.item.2`, `mixed.item.1`. */
  origin: string;
}

/**
 * `agree`/`disagree`: an external contact's consent to having the conversation archived changed. The
 * connector keeps a consent ledger from these (lawful recording of external parties depends on it).
 */
export interface ConsentEvent {
  kind: 'consent';
  decision: 'agree' | 'disagree';
  /** The external contact whose consent changed (payload `userid`, else the sender). */
  externalUserId: string;
  /** When they decided, UTC ms (payload `agree_time`/`disagree_time`, else `msgtime`). */
  timeMs: number;
  msgid: string;
  corpId: string;
  /** The conversation this consent applies to (same id as the record's conversation). */
  conversation: { id: string; type: 'direct' | 'group' };
  /** The other side of that conversation (the corp members in `tolist`). */
  counterpartIds: string[];
}

/** `action: "switch"`: a member switched the enterprise account their client is logged into. */
export interface SwitchEvent {
  kind: 'switch';
  userId: string;
  timeMs: number;
  msgid: string;
  corpId: string;
}

/** The WeCom-specific structured view kept in the record's `fields.wecom`. */
export interface WeComFields {
  msgtype: string;
  action: string;
  /** `msgid` ends with `_external`: a message with another corp or a WeChat user. */
  external?: true;
  /** `msgid` ends with `_updown_stream`: an upstream/downstream (上下游) message. */
  upDownStream?: true;
  /** `msgtime` had 10 digits (seconds) and was converted to ms. */
  msgtimeInSeconds?: true;
  /** Raw control characters removed while parsing this message (evidence of repair). */
  strippedControlChars?: number;
  /** The message's own fields, normalized (see each type below). */
  content?: { [key: string]: unknown };
  /** Attachments the sync could not fetch (set by `attachDownloadedMedia`). */
  missingAttachments?: string[];
  /** Attachments kept although their bytes never matched WeCom's md5sum, even after a fresh download (set by the sync). */
  md5Mismatch?: string[];
}

export type WeComRecordInput = RecordInput & { wecom: WeComFields; originalType?: string };

export type NormalizeResult =
  | { ok: true; record: WeComRecordInput; media: WeComMediaRef[]; strippedControlChars: number; event?: ConsentEvent | SwitchEvent }
  | { ok: false; reason: string /* names the field */ };

export interface NormalizeContext {
  source: string;
  seq: number;
  corpId: string;
  /** Control characters `parseDecryptedMessage` stripped from this message; added to the result's count. */
  strippedControlChars?: number;
}

// ---------------------------------------------------------------------------------------------------
// Decrypted text → JSON

export interface ParsedDecryptedMessage {
  json: unknown;
  /** Raw control characters (< U+0020) removed: inside strings they make JSON.parse fail. */
  strippedControlChars: number;
  /** Integer literals beyond 2^53 turned into strings so no digit is lost (uint64 ids such as `meetingid`). */
  quotedBigIntegers: number;
}

/** Anything besides tab/LF/CR below U+0020, or a run of 16+ digits (a possibly unsafe integer). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NEEDS_REPAIR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|\d{16}/;

/**
 * Parses the text `DecryptData` returned. WeCom's JSON is known to carry raw control characters inside
 * strings (A.3): they are stripped and counted. Throws a SyntaxError that never quotes the content
 * (messages are confidential; error texts end up in logs) when the text is not JSON even so.
 */
export function parseDecryptedMessage(text: string): ParsedDecryptedMessage {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!NEEDS_REPAIR.test(body)) {
    try {
      return { json: JSON.parse(body), strippedControlChars: 0, quotedBigIntegers: 0 };
    } catch {
      // A raw tab/newline inside a string: repaired below.
    }
  }
  const repaired = repairJsonText(body);
  try {
    return { json: JSON.parse(repaired.text), strippedControlChars: repaired.stripped, quotedBigIntegers: repaired.quoted };
  } catch {
    throw new SyntaxError('decrypted message is not valid JSON');
  }
}

/**
 * One pass over the text, tracking whether it is inside a string: drops control characters (inside
 * strings all of them, outside all but JSON whitespace) and quotes unsafe integer literals.
 */
function repairJsonText(src: string): { text: string; stripped: number; quoted: number } {
  const out: string[] = [];
  let from = 0;
  let stripped = 0;
  let quoted = 0;
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) {
        const next = src.charCodeAt(i + 1);
        if (next < 0x20) {
          // A backslash escaping a raw control character: neither survives.
          out.push(src.slice(from, i));
          from = i + 2;
          stripped++;
        }
        i++;
      } else if (c === 0x22 /* " */) {
        inString = false;
      } else if (c < 0x20) {
        out.push(src.slice(from, i));
        from = i + 1;
        stripped++;
      }
    } else if (c === 0x22) {
      inString = true;
    } else if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) {
      out.push(src.slice(from, i));
      from = i + 1;
      stripped++;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < src.length && isNumberChar(src.charCodeAt(j))) j++;
      const token = src.slice(i, j);
      if (/^-?\d{16,}$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out.push(src.slice(from, i), `"${token}"`);
        from = j;
        quoted++;
      }
      i = j - 1;
    }
  }
  out.push(src.slice(from));
  return { text: out.join(''), stripped, quoted };
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x2b || c === 0x45 || c === 0x65;
}

// ---------------------------------------------------------------------------------------------------
// Lenient scalars for payload fields. WeCom and the relays in front of it are inconsistent: numbers
// arrive quoted ("filesize":"32768"), ids arrive as numbers, absent keys arrive as null.

const optText = z
  .union([z.string(), z.number()], { error: 'must be a string' })
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? undefined : String(v)));
const optInt = z
  .union([z.number().int('must be an integer'), z.string().regex(/^-?\d+$/, 'must be an integer')], { error: 'must be an integer' })
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : Number(v)));
const optNumber = z
  .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a number')], { error: 'must be a number' })
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : Number(v)));
const optBool = z
  .union([z.boolean(), z.literal(0), z.literal(1), z.enum(['true', 'false', '0', '1'])], { error: 'must be a boolean' })
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : v === true || v === 1 || v === 'true' || v === '1'));
const textList = z
  .array(z.union([z.string(), z.number()], { error: 'must be a string' }).transform(String), { error: 'must be an array' })
  .nullish()
  .transform((v) => (v ?? []).filter((s) => s !== ''));
/** A required non-empty string, with messages that name the problem. */
const requiredString = z.string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') }).min(1, 'must not be empty');
/** A media id is what everything downstream depends on: strict. */
const sdkFileId = requiredString;

// ---------------------------------------------------------------------------------------------------
// Times

/** WeCom mixes seconds and milliseconds (A.7: 10 vs 13 digits): anything below 1e11 is seconds. */
function epochMs(value: number): number {
  return Math.abs(value) < 1e11 ? value * 1000 : value;
}
const optEpochMs = optInt.transform((v) => (v === undefined || v === 0 ? undefined : epochMs(v)));

/** `collect.create_time` is a local-time string ("2019-12-11 11:21:22"); WeCom's zone is China (C.6). */
function chinaLocalToMs(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(:\d{2})?)$/.exec(value.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] === undefined ? ':00' : ''}+08:00`);
  return Number.isNaN(ms) ? undefined : ms;
}

// ---------------------------------------------------------------------------------------------------
// Building one message: its searchable text, structured fields and media, part by part.

interface MessageState {
  readonly media: WeComMediaRef[];
  readonly names: Set<string>;
  stripped: number;
}

interface NewMedia {
  sdkfileid: string;
  md5sum: string | undefined;
  filesize: number | undefined;
  name: string;
  mime: string | undefined;
  kind: WeComMediaKind;
}

type Fields = { [key: string]: unknown };

/** Nested chatrecords hold chatrecords; stop somewhere (the raw keeps everything anyway). */
const MAX_NESTING = 6;

class Part {
  readonly text: string[] = [];
  readonly fields: Fields = {};
  call: { media: 'voice' | 'video'; durationSeconds: number } | undefined;

  constructor(
    readonly message: MessageState,
    /** Path of this part in the message, for media origins: `image`, `chatrecord.item.2`, … */
    readonly origin: string,
    readonly depth: number,
    /** The time of the message (or of the forwarded item), UTC ms, when known. */
    readonly timeMs: number | undefined,
  ) {}

  /** Adds searchable text. */
  say(...values: (string | undefined)[]): void {
    for (const v of values) {
      const t = v?.trim();
      if (t) this.text.push(t);
    }
  }

  /** Sets a structured field, leaving out what is absent. */
  set(key: string, value: unknown): void {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) return;
    this.fields[key] = value;
  }

  addMedia(m: NewMedia): void {
    const name = uniqueName(this.message.names, safeFileName(m.name));
    const ref: WeComMediaRef = { sdkfileid: m.sdkfileid, name, kind: m.kind, attachmentIndex: this.message.media.length, origin: this.origin };
    if (m.md5sum !== undefined) ref.md5sum = m.md5sum.toLowerCase();
    if (m.filesize !== undefined) ref.filesize = m.filesize;
    if (m.mime !== undefined) ref.mime = m.mime;
    this.message.media.push(ref);
    this.fields.attachment = name;
  }

  child(origin: string, timeMs: number | undefined): Part {
    return new Part(this.message, origin, this.depth + 1, timeMs);
  }
}

/** File names come from senders: keep them readable, but never path-like or with control characters. */
function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const cleaned = name.replace(/[\u0000-\u001f\u007f]/g, '').replace(/[/\\]/g, '_').trim();
  const base = cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
  return base.length > 200 ? base.slice(0, 200) : base;
}

/** `image.jpg`, `image-2.jpg`, … so that fields can point at an attachment by name. */
function uniqueName(used: Set<string>, name: string): string {
  let candidate = name;
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let n = 2; used.has(candidate); n++) candidate = `${stem}-${n}${ext}`;
  used.add(candidate);
  return candidate;
}

const MIME_BY_EXT: ReadonlyMap<string, string> = new Map([
  ['pdf', 'application/pdf'], ['doc', 'application/msword'], ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xls', 'application/vnd.ms-excel'], ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['ppt', 'application/vnd.ms-powerpoint'], ['pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
  ['txt', 'text/plain'], ['csv', 'text/csv'], ['zip', 'application/zip'], ['rar', 'application/vnd.rar'], ['7z', 'application/x-7z-compressed'],
  ['jpg', 'image/jpeg'], ['jpeg', 'image/jpeg'], ['png', 'image/png'], ['gif', 'image/gif'], ['webp', 'image/webp'],
  ['mp4', 'video/mp4'], ['mov', 'video/quicktime'], ['mp3', 'audio/mpeg'], ['amr', 'audio/amr'], ['wav', 'audio/wav'],
]);
function mimeOfFileName(name: string, ext: string | undefined): string | undefined {
  const e = (ext ?? (name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '')).toLowerCase().replace(/^\./, '');
  return MIME_BY_EXT.get(e);
}

// ---------------------------------------------------------------------------------------------------
// Content handlers: one per payload type, shared by top-level messages and nested (chatrecord/mixed) parts.

type Issues = readonly { path: readonly PropertyKey[]; message: string }[];
type ContentHandler = (payload: unknown, part: Part) => Issues | undefined;

function content<S extends z.ZodType>(schema: S, describe: (p: z.output<S>, part: Part) => void): ContentHandler {
  return (payload, part) => {
    if (!isObject(payload)) return [{ path: [], message: 'must be an object' }];
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return parsed.error.issues;
    describe(parsed.data, part);
    return undefined;
  };
}

// Formats per A.4: image jpg, voice AMR-NB, video mp4, emotion gif (type 1) / png (type 2).
const imageHandler = content(z.looseObject({ sdkfileid: sdkFileId, md5sum: optText, filesize: optInt }), (p, part) => {
  part.set('filesize', p.filesize);
  part.addMedia({ sdkfileid: p.sdkfileid, md5sum: p.md5sum, filesize: p.filesize, name: 'image.jpg', mime: 'image/jpeg', kind: 'image' });
});

const fileHandler = content(
  z.looseObject({ sdkfileid: sdkFileId, md5sum: optText, filename: optText, fileext: optText, filesize: optInt }),
  (p, part) => {
    const name = p.filename ?? `file${p.fileext === undefined ? '' : `.${p.fileext}`}`;
    part.say(p.filename);
    part.set('filename', p.filename);
    part.set('fileext', p.fileext);
    part.set('filesize', p.filesize);
    part.addMedia({ sdkfileid: p.sdkfileid, md5sum: p.md5sum, filesize: p.filesize, name, mime: mimeOfFileName(name, p.fileext), kind: 'file' });
  },
);

/** Items of chatrecord (`type` ChatRecordText, …; `content` a JSON string) and mixed (`type` text, …). */
const nestedItem = z.looseObject({
  type: optText,
  msgtime: optInt,
  content: z.unknown(),
  from_chatroom: optBool,
});

const CONTENT: ReadonlyMap<string, ContentHandler> = new Map<string, ContentHandler>([
  ['text', content(z.looseObject({ content: z.string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') }) }), (p, part) => {
    part.say(p.content);
  })],
  ['image', imageHandler],
  ['voice', content(z.looseObject({ sdkfileid: sdkFileId, md5sum: optText, voice_size: optInt, play_length: optInt }), (p, part) => {
    part.set('durationSeconds', p.play_length);
    part.set('filesize', p.voice_size);
    part.addMedia({ sdkfileid: p.sdkfileid, md5sum: p.md5sum, filesize: p.voice_size, name: 'voice.amr', mime: 'audio/amr', kind: 'voice' });
  })],
  ['video', content(z.looseObject({ sdkfileid: sdkFileId, md5sum: optText, filesize: optInt, play_length: optInt }), (p, part) => {
    part.set('durationSeconds', p.play_length);
    part.set('filesize', p.filesize);
    part.addMedia({ sdkfileid: p.sdkfileid, md5sum: p.md5sum, filesize: p.filesize, name: 'video.mp4', mime: 'video/mp4', kind: 'video' });
  })],
  ['emotion', content(
    z.looseObject({ sdkfileid: sdkFileId, md5sum: optText, type: optInt, width: optInt, height: optInt, imagesize: optInt }),
    (p, part) => {
      const png = p.type === 2;
      part.set('format', png ? 'png' : 'gif');
      part.set('width', p.width);
      part.set('height', p.height);
      part.addMedia({ sdkfileid: p.sdkfileid, md5sum: p.md5sum, filesize: p.imagesize, name: png ? 'emotion.png' : 'emotion.gif', mime: png ? 'image/png' : 'image/gif', kind: 'emotion' });
    },
  )],
  ['file', fileHandler],
  // A document shared during a call: a file like any other.
  ['voip_doc_share', fileHandler],
  ['link', content(z.looseObject({ title: optText, description: optText, link_url: optText, image_url: optText }), (p, part) => {
    part.say(p.title, p.description, p.link_url);
    part.set('title', p.title);
    part.set('description', p.description);
    part.set('url', p.link_url);
    part.set('imageUrl', p.image_url);
  })],
  ['weapp', content(z.looseObject({ title: optText, description: optText, username: optText, displayname: optText }), (p, part) => {
    part.say(p.title, p.description, p.displayname);
    part.set('title', p.title);
    part.set('description', p.description);
    part.set('appName', p.displayname);
    part.set('appUsername', p.username);
  })],
  ['card', content(z.looseObject({ corpname: optText, userid: optText }), (p, part) => {
    // The card names a person by id only; the directory sync resolves the display name.
    part.say(p.corpname, p.userid);
    part.set('corpName', p.corpname);
    part.set('userId', p.userid);
  })],
  ['location', content(
    z.looseObject({ longitude: optNumber, latitude: optNumber, address: optText, title: optText, zoom: optInt }),
    (p, part) => {
      part.say(p.title, p.address);
      part.set('title', p.title);
      part.set('address', p.address);
      part.set('latitude', p.latitude);
      part.set('longitude', p.longitude);
      part.set('zoom', p.zoom);
    },
  )],
  ['chatrecord', content(
    z.looseObject({ title: optText, item: z.array(nestedItem, { error: 'must be an array' }).nullish() }),
    (p, part) => {
      part.say(p.title);
      part.set('title', p.title);
      part.set('items', (p.item ?? []).map((item, i) => describeNested(item, part, `${part.origin}.item.${i}`)));
    },
  )],
  ['mixed', content(z.looseObject({ item: z.array(nestedItem, { error: 'must be an array' }).nullish() }), (p, part) => {
    part.set('items', (p.item ?? []).map((item, i) => describeNested(item, part, `${part.origin}.item.${i}`)));
  })],
  ['todo', content(z.looseObject({ title: optText, content: optText }), (p, part) => {
    part.say(p.title, p.content);
    part.set('title', p.title);
    part.set('content', p.content);
  })],
  ['vote', content(z.looseObject({ votetitle: optText, voteitem: textList, votetype: optInt, voteid: optText }), (p, part) => {
    part.say(p.votetitle, ...p.voteitem);
    part.set('title', p.votetitle);
    part.set('options', p.voteitem);
    // 101 started a vote, 102 took part in one.
    part.set('action', p.votetype === 101 ? 'start' : p.votetype === 102 ? 'participate' : p.votetype);
    part.set('voteId', p.voteid);
  })],
  ['collect', content(
    z.looseObject({
      room_name: optText,
      creator: optText,
      create_time: optText,
      title: optText,
      details: z.array(z.looseObject({ id: optText, ques: optText, type: optText }), { error: 'must be an array' }).nullish(),
    }),
    (p, part) => {
      const details = (p.details ?? []).map((d) => ({ id: d.id, question: d.ques, type: d.type }));
      part.say(p.title, p.room_name, p.creator, ...details.map((d) => d.question));
      part.set('title', p.title);
      part.set('roomName', p.room_name);
      part.set('creator', p.creator);
      part.set('createTime', p.create_time);
      // Local-time string; read as China time (the zone WeCom writes in), the original kept beside it.
      part.set('createTimeMs', chinaLocalToMs(p.create_time));
      part.set('details', details);
    },
  )],
  ['redpacket', content(z.looseObject({ type: optInt, wish: optText, totalcnt: optInt, totalamount: optInt }), (p, part) => {
    part.say(p.wish);
    // 1 normal, 2 拼手气 (random split), 3 激励 (incentive); amounts are in fen (0.01 CNY).
    part.set('redpacketType', p.type === 1 ? 'normal' : p.type === 2 ? 'random' : p.type === 3 ? 'incentive' : p.type);
    part.set('wish', p.wish);
    part.set('totalCount', p.totalcnt);
    part.set('totalAmountFen', p.totalamount);
  })],
  ['meeting', content(
    z.looseObject({
      topic: optText, starttime: optEpochMs, endtime: optEpochMs, address: optText, remarks: optText,
      meetingtype: optInt, meetingid: optText, status: optInt,
    }),
    (p, part) => {
      part.say(p.topic, p.address, p.remarks);
      part.set('topic', p.topic);
      part.set('startTimeMs', p.starttime);
      part.set('endTimeMs', p.endtime);
      part.set('address', p.address);
      part.set('remarks', p.remarks);
      // 101 invitation, 102 a reply to one; status 1 attend … 7 not in the room (A.7).
      part.set('meetingType', p.meetingtype === 101 ? 'invite' : p.meetingtype === 102 ? 'reply' : p.meetingtype);
      part.set('meetingId', p.meetingid);
      part.set('status', p.status);
    },
  )],
  ['meeting_notification', content(z.looseObject({ content: optText, meeting_id: optText, notification_type: optInt }), (p, part) => {
    part.say(p.content);
    part.set('content', p.content);
    part.set('meetingId', p.meeting_id);
    part.set('notificationType', p.notification_type);
  })],
  ['docmsg', content(z.looseObject({ title: optText, link_url: optText, doc_creator: optText }), (p, part) => {
    part.say(p.title, p.link_url);
    part.set('title', p.title);
    part.set('url', p.link_url);
    part.set('creator', p.doc_creator);
  })],
  // Robot messages. The reference shows `content`; one SDK binding names it `markdown`: take either.
  ['markdown', content(z.looseObject({ content: optText, markdown: optText }), (p, part) => {
    const text = p.content ?? p.markdown;
    part.say(text);
    part.set('content', text);
  })],
  ['news', content(
    z.looseObject({
      item: z.array(z.looseObject({ title: optText, description: optText, url: optText, picurl: optText }), { error: 'must be an array' }).nullish(),
    }),
    (p, part) => {
      const items = (p.item ?? []).map((n) => ({ title: n.title, description: n.description, url: n.url, pictureUrl: n.picurl }));
      for (const n of items) part.say(n.title, n.description, n.url);
      part.set('items', items);
    },
  )],
  ['calendar', content(
    z.looseObject({
      title: optText, creatorname: optText, attendeename: textList, starttime: optEpochMs, endtime: optEpochMs, place: optText, remarks: optText,
    }),
    (p, part) => {
      part.say(p.title, p.creatorname, ...p.attendeename, p.place, p.remarks);
      part.set('title', p.title);
      part.set('creator', p.creatorname);
      part.set('attendees', p.attendeename);
      part.set('startTimeMs', p.starttime);
      part.set('endTimeMs', p.endtime);
      part.set('place', p.place);
      part.set('remarks', p.remarks);
    },
  )],
  ['meeting_voice_call', content(
    z.looseObject({
      endtime: optEpochMs,
      sdkfileid: sdkFileId,
      demofiledata: z.array(z.looseObject({ filename: optText, demooperator: optText, starttime: optEpochMs, endtime: optEpochMs }), { error: 'must be an array' }).nullish(),
      sharescreendata: z.array(z.looseObject({ share: optText, starttime: optEpochMs, endtime: optEpochMs }), { error: 'must be an array' }).nullish(),
    }),
    (p, part) => {
      const docs = (p.demofiledata ?? []).map((d) => ({ filename: d.filename, operator: d.demooperator, startTimeMs: d.starttime, endTimeMs: d.endtime }));
      const screens = (p.sharescreendata ?? []).map((s) => ({ sharer: s.share, startTimeMs: s.starttime, endTimeMs: s.endtime }));
      part.say(...docs.map((d) => d.filename));
      part.set('endTimeMs', p.endtime);
      part.set('sharedDocuments', docs);
      part.set('sharedScreens', screens);
      // The payload gives only the end; the message time is the call's start (in the documented sample
      // every shared document/screen falls between the two). Derived, and said so in the fields.
      if (p.endtime !== undefined && part.timeMs !== undefined) {
        const seconds = Math.round((p.endtime - part.timeMs) / 1000);
        if (seconds >= 0 && seconds <= 7 * 24 * 3600) {
          part.call = { media: 'voice', durationSeconds: seconds };
          part.set('durationSeconds', seconds);
          part.set('durationDerivedFrom', 'endtime - msgtime');
        }
      }
      // The recording's container format is not documented: no extension, the ingest sniffs it.
      part.addMedia({ sdkfileid: p.sdkfileid, md5sum: undefined, filesize: undefined, name: 'meeting-voice-call', mime: undefined, kind: 'voice' });
    },
  )],
  ['sphfeed', content(z.looseObject({ feed_type: optInt, sph_name: optText, feed_desc: optText }), (p, part) => {
    part.say(p.sph_name, p.feed_desc);
    // 2 image, 4 video, 9 live stream.
    part.set('feedType', p.feed_type === 2 ? 'image' : p.feed_type === 4 ? 'video' : p.feed_type === 9 ? 'live' : p.feed_type);
    part.set('accountName', p.sph_name);
    part.set('description', p.feed_desc);
  })],
  ['voiptext', content(z.looseObject({ callduration: optInt, invitetype: optInt }), (p, part) => {
    part.set('durationSeconds', p.callduration);
    // `invitetype` tells voice from video, but its values are not in the reference: kept as received.
    // Until verified against real data every call is recorded as voice.
    part.set('inviteType', p.invitetype);
    if (p.callduration !== undefined && p.callduration >= 0) part.call = { media: 'voice', durationSeconds: p.callduration };
  })],
  // A WeCom drive (微盘) file: only its name is archived; the file stays in the drive.
  ['qydiskfile', content(z.looseObject({ filename: optText }), (p, part) => {
    part.say(p.filename);
    part.set('filename', p.filename);
  })],
]);

/** `ChatRecordText` → `text`, `ChatRecordDocmsg` → `docmsg`; mixed items already use msgtypes. */
function nestedContentType(itemType: string): string {
  const t = itemType.replace(/^ChatRecord/i, '').toLowerCase();
  return t === '' ? 'chatrecord' : t;
}

/**
 * One forwarded item (chatrecord) or part (mixed): its content is a JSON string holding the payload of
 * its type. Lenient by design: one odd item must not lose the whole forwarded history, so a bad item
 * keeps its raw content (searchable) and an `error` naming what was wrong.
 */
function describeNested(item: z.output<typeof nestedItem>, parent: Part, origin: string): Fields {
  const timeMs = item.msgtime === undefined || item.msgtime === 0 ? undefined : epochMs(item.msgtime);
  const part = parent.child(origin, timeMs);
  const itemType = item.type ?? 'unknown';
  const type = nestedContentType(itemType);
  part.set('type', type);
  if (item.type !== undefined && item.type !== type) part.set('itemType', item.type);
  part.set('timeMs', timeMs);
  part.set('fromGroupChat', item.from_chatroom);

  let payload = item.content;
  if (typeof payload === 'string') {
    const text = payload;
    try {
      const parsed = parseDecryptedMessage(text);
      parent.message.stripped += parsed.strippedControlChars;
      payload = parsed.json;
    } catch {
      part.set('error', 'content is not JSON');
      part.set('content', text);
      part.say(text);
      return finishNested(parent, part);
    }
  }
  const spec = MSGTYPES.get(type);
  // Some producers wrap a nested payload in its envelope key ({"doc": {...}}): unwrap that.
  if (spec !== undefined && isObject(payload) && Object.keys(payload).length === 1 && isObject(payload[spec.payloadKey])) {
    payload = payload[spec.payloadKey];
  }
  const handler = CONTENT.get(spec?.content ?? type);
  if (part.depth > MAX_NESTING) {
    part.set('error', 'nested too deeply: kept in raw only');
    sayStrings(payload, part, 0);
  } else if (handler === undefined) {
    describeUnknown(payload, part);
  } else {
    const issues = handler(payload, part);
    if (issues !== undefined) {
      part.set('error', describeIssues(issues));
      part.set('content', payload);
      sayStrings(payload, part, 0);
      collectUnknownMedia(payload, part, origin, 0);
    }
  }
  return finishNested(parent, part);
}

function finishNested(parent: Part, part: Part): Fields {
  parent.text.push(...part.text);
  if (part.text.length > 0) part.fields.text = part.text.join('\n');
  return part.fields;
}

/** A payload of a type we do not know: keep it, make its words searchable and fetch any media it names. */
function describeUnknown(payload: unknown, part: Part): void {
  part.set('payload', payload);
  sayStrings(payload, part, 0);
  collectUnknownMedia(payload, part, part.origin, 0);
}

/** Keys whose values are ids or hashes, not words anyone searches for. */
const NOT_SEARCHABLE = new Set(['sdkfileid', 'md5sum', 'msgid', 'pre_msgid']);
const MAX_UNKNOWN_STRINGS = 200;

function sayStrings(value: unknown, part: Part, depth: number): void {
  if (depth > 8 || part.text.length >= MAX_UNKNOWN_STRINGS) return;
  if (typeof value === 'string') part.say(value);
  else if (Array.isArray(value)) for (const v of value) sayStrings(v, part, depth + 1);
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) if (!NOT_SEARCHABLE.has(k)) sayStrings(v, part, depth + 1);
}

/** Media in an unknown payload are still fetched: after 5 days WeCom no longer has them. */
function collectUnknownMedia(value: unknown, part: Part, origin: string, depth: number): void {
  if (depth > 8) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => collectUnknownMedia(v, part, `${origin}.${i}`, depth + 1));
    return;
  }
  if (!isObject(value)) return;
  const id = value.sdkfileid;
  if (typeof id === 'string' && id !== '') {
    const name = typeof value.filename === 'string' && value.filename !== '' ? value.filename : 'media';
    const size = optInt.safeParse(value.filesize ?? value.imagesize ?? value.voice_size);
    const md5 = typeof value.md5sum === 'string' && value.md5sum !== '' ? value.md5sum : undefined;
    const mediaPart = new Part(part.message, origin, part.depth, part.timeMs);
    mediaPart.addMedia({ sdkfileid: id, md5sum: md5, filesize: size.success ? size.data : undefined, name, mime: mimeOfFileName(name, undefined), kind: 'other' });
  }
  for (const [k, v] of Object.entries(value)) if (typeof v === 'object') collectUnknownMedia(v, part, `${origin}.${k}`, depth + 1);
}

function isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------
// Message types: the record type each becomes and where its payload lives (often not under the msgtype).

interface MsgTypeSpec {
  /** A canonical type, or `other` (the original msgtype then goes to `originalType`). */
  recordType: RecordType;
  /** The envelope key holding the payload (A.7: docmsg → doc; markdown/news/voiptext/… → info). */
  payloadKey: string;
  /** The content handler. */
  content: string;
}

const spec = (recordType: RecordType, payloadKey: string, contentType: string): MsgTypeSpec => ({ recordType, payloadKey, content: contentType });

const MSGTYPES: ReadonlyMap<string, MsgTypeSpec> = new Map([
  ['text', spec('text', 'text', 'text')],
  ['image', spec('image', 'image', 'image')],
  ['voice', spec('voice', 'voice', 'voice')],
  ['video', spec('video', 'video', 'video')],
  ['emotion', spec('emoji', 'emotion', 'emotion')],
  ['file', spec('file', 'file', 'file')],
  ['link', spec('link', 'link', 'link')],
  ['weapp', spec('miniprogram', 'weapp', 'weapp')],
  ['card', spec('card', 'card', 'card')],
  ['location', spec('location', 'location', 'location')],
  ['chatrecord', spec('chatrecord', 'chatrecord', 'chatrecord')],
  ['todo', spec('todo', 'todo', 'todo')],
  ['vote', spec('vote', 'vote', 'vote')],
  // A form (填表): no canonical type fits; archived as `other` with its structure in fields.
  ['collect', spec('other', 'collect', 'collect')],
  ['redpacket', spec('redpacket', 'redpacket', 'redpacket')],
  ['external_redpacket', spec('redpacket', 'redpacket', 'redpacket')],
  ['meeting', spec('meeting', 'meeting', 'meeting')],
  ['meeting_notification', spec('meeting', 'info', 'meeting_notification')],
  ['docmsg', spec('doc', 'doc', 'docmsg')],
  ['markdown', spec('markdown', 'info', 'markdown')],
  ['news', spec('news', 'info', 'news')],
  ['calendar', spec('calendar', 'calendar', 'calendar')],
  ['mixed', spec('mixed', 'mixed', 'mixed')],
  // A recorded call: `call` when its duration can be derived, else kept as the voice recording it is.
  ['meeting_voice_call', spec('voice', 'meeting_voice_call', 'meeting_voice_call')],
  ['voip_doc_share', spec('file', 'voip_doc_share', 'voip_doc_share')],
  ['sphfeed', spec('link', 'sphfeed', 'sphfeed')],
  // A call log without a duration is still an event worth showing: `system`.
  ['voiptext', spec('system', 'info', 'voiptext')],
  ['qydiskfile', spec('file', 'info', 'qydiskfile')],
]);

/** Everything the envelope says outside the payload, kept per type. */
const ENVELOPE_EXTRAS: ReadonlyMap<string, readonly [string, string][]> = new Map([
  ['meeting_voice_call', [['voiceid', 'voiceId']]],
  ['voip_doc_share', [['voipid', 'voipId']]],
]);

// ---------------------------------------------------------------------------------------------------
// The envelope (A.6)

const envelopeSchema = z.looseObject({
  msgid: requiredString,
  action: z.string({ error: 'must be a string' }).optional(),
  from: requiredString,
  // Values may be userids, external ids or odd numeric-looking ids: do not validate their format.
  tolist: z
    .array(z.union([z.string(), z.number()], { error: 'must be a string' }).transform(String), { error: 'must be an array of ids' })
    .nullish()
    .transform((v) => (v ?? []).filter((id) => id !== '')),
  roomid: z.string({ error: 'must be a string' }).nullish(),
  msgtime: z.number({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be an integer (UTC epoch milliseconds)') })
    .int('must be an integer (UTC epoch milliseconds)')
    .positive('must be a positive UTC epoch time'),
  msgtype: requiredString,
});

const switchSchema = z.looseObject({
  msgid: requiredString,
  time: z.number({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be an integer (UTC epoch milliseconds)') })
    .int('must be an integer (UTC epoch milliseconds)')
    .positive('must be a positive UTC epoch time'),
  user: requiredString,
});

const consentSchema = z.looseObject({ userid: optText, agree_time: optEpochMs, disagree_time: optEpochMs });
const revokeSchema = z.looseObject({ pre_msgid: requiredString });

const fail = (reason: string): NormalizeResult => ({ ok: false, reason });
const prefixIssues = (key: string, issues: Issues): string => describeIssues(issues.map((i) => ({ ...i, path: [key, ...i.path] })));

/** Converts and range-checks an envelope time; returns the reason when it is unusable. */
function messageTime(value: number, field: string): { ms: number; seconds: boolean } | string {
  const ms = epochMs(value);
  const checked = parseRecordTime(ms);
  return typeof checked === 'string' ? `${field}: ${checked}` : { ms: checked, seconds: ms !== value };
}

/** The room for group messages; for 1:1, both participants sorted, so either direction gives one id. */
function conversationOf(from: string, tolist: readonly string[], roomid: string | null | undefined): { id: string; type: 'direct' | 'group' } {
  if (roomid !== null && roomid !== undefined && roomid.trim() !== '') return { id: roomid, type: 'group' };
  const participants = [...new Set([from, ...tolist])].sort();
  return { id: participants.join('|'), type: 'direct' };
}

/**
 * Normalizes one decrypted WeCom message. Strict where the archive depends on it (msgid, msgtime, from,
 * media ids, the recalled id, the type of a message's main text); lenient elsewhere (numbers as strings,
 * null for absent, unknown keys kept). `ok: false` names the offending field.
 */
export function normalizeWeComMessage(json: unknown, ctx: NormalizeContext): NormalizeResult {
  if (!isObject(json)) return fail('(message): must be a JSON object');
  if (json.action === 'switch') return normalizeSwitch(json, ctx);

  const env = envelopeSchema.safeParse(json);
  if (!env.success) return fail(describeIssues(env.error.issues));
  const { msgid, from, tolist, roomid, msgtype } = env.data;
  const action = env.data.action ?? 'send';
  const time = messageTime(env.data.msgtime, 'msgtime');
  if (typeof time === 'string') return fail(time);

  const message: MessageState = { media: [], names: new Set(), stripped: ctx.strippedControlChars ?? 0 };
  const conversation = conversationOf(from, tolist, roomid);
  const wecom: WeComFields = { msgtype, action };
  if (msgid.endsWith('_external')) wecom.external = true;
  if (msgid.endsWith('_updown_stream')) wecom.upDownStream = true;
  if (time.seconds) wecom.msgtimeInSeconds = true;

  let type: RecordType;
  let originalType: string | undefined;
  let recalls: string | undefined;
  let event: ConsentEvent | undefined;
  const part = new Part(message, msgtype, 0, time.ms);

  if (msgtype === 'revoke' || action === 'recall') {
    // The original is marked recalled by the archive, never deleted (C.4).
    const revoke = revokeSchema.safeParse(json.revoke ?? {});
    if (!revoke.success) return fail(prefixIssues('revoke', revoke.error.issues));
    type = 'recall';
    recalls = revoke.data.pre_msgid;
    part.set('recalledMsgid', recalls);
  } else if (msgtype === 'agree' || msgtype === 'disagree') {
    const consent = consentSchema.safeParse(json[msgtype] ?? {});
    if (!consent.success) return fail(prefixIssues(msgtype, consent.error.issues));
    const externalUserId = consent.data.userid ?? from;
    const decidedMs = (msgtype === 'agree' ? consent.data.agree_time : consent.data.disagree_time) ?? time.ms;
    type = 'system';
    part.say(msgtype === 'agree' ? '同意会话内容存档 (agreed to chat archiving)' : '不同意会话内容存档 (declined chat archiving)');
    part.set('consent', msgtype);
    part.set('externalUserId', externalUserId);
    part.set('decidedAtMs', decidedMs);
    event = {
      kind: 'consent', decision: msgtype, externalUserId, timeMs: decidedMs, msgid, corpId: ctx.corpId, conversation,
      counterpartIds: [...new Set([from, ...tolist])].filter((id) => id !== externalUserId),
    };
  } else {
    const known = MSGTYPES.get(msgtype);
    const handler = known === undefined ? undefined : CONTENT.get(known.content);
    if (known === undefined || handler === undefined) {
      // A type WeCom added after this code: archived as `other`, payload kept and searchable.
      type = 'other';
      originalType = msgtype;
      describeUnknown(json[msgtype] ?? json.info ?? payloadOutsideEnvelope(json), part);
    } else {
      let payload = json[known.payloadKey];
      // vote: one binding documents its fields at the envelope's top level, not under `vote`; take either.
      if (msgtype === 'vote' && !isObject(payload)) payload = json;
      if (payload === undefined || payload === null) return fail(`${known.payloadKey}: is required for msgtype "${msgtype}"`);
      const issues = handler(payload, part);
      if (issues !== undefined) return fail(prefixIssues(known.payloadKey, issues));
      for (const [key, name] of ENVELOPE_EXTRAS.get(msgtype) ?? []) {
        const v = optText.safeParse(json[key]);
        if (v.success) part.set(name, v.data);
      }
      type = part.call !== undefined ? 'call' : known.recordType;
      if (type === 'other') originalType = msgtype;
    }
  }

  if (message.stripped > 0) wecom.strippedControlChars = message.stripped;
  if (Object.keys(part.fields).length > 0) wecom.content = part.fields;
  const text = part.text.join('\n');
  const record: WeComRecordInput = {
    source: ctx.source,
    id: msgid,
    seq: ctx.seq,
    time: time.ms,
    conversation,
    from: { id: from },
    to: tolist.map((id) => ({ id })),
    type,
    ...(text === '' ? {} : { text }),
    ...(recalls === undefined ? {} : { recalls }),
    ...(part.call === undefined ? {} : { call: part.call }),
    ...(originalType === undefined ? {} : { originalType }),
    wecom,
    raw: json,
  };
  return finish(record, message, event);
}

/** `switch` has its own shape (A.6): no msgtype, `time` and `user` instead of msgtime/from. */
function normalizeSwitch(json: { [key: string]: unknown }, ctx: NormalizeContext): NormalizeResult {
  const parsed = switchSchema.safeParse(json);
  if (!parsed.success) return fail(describeIssues(parsed.error.issues));
  const { msgid, user } = parsed.data;
  const time = messageTime(parsed.data.time, 'time');
  if (typeof time === 'string') return fail(time);
  const message: MessageState = { media: [], names: new Set(), stripped: ctx.strippedControlChars ?? 0 };
  const wecom: WeComFields = { msgtype: 'switch', action: 'switch' };
  if (time.seconds) wecom.msgtimeInSeconds = true;
  if (message.stripped > 0) wecom.strippedControlChars = message.stripped;
  const record: WeComRecordInput = {
    source: ctx.source,
    id: msgid,
    seq: ctx.seq,
    time: time.ms,
    // Not part of any chat: a per-member system conversation keeps these events together.
    conversation: { id: `system:${user}`, type: 'direct' },
    from: { id: user },
    to: [],
    type: 'system',
    text: '切换企业 (switched enterprise account)',
    wecom,
    raw: json,
  };
  return finish(record, message, { kind: 'switch', userId: user, timeMs: time.ms, msgid, corpId: ctx.corpId });
}

/** The final guarantee: what leaves here passes the canonical schema (e.g. size limits). */
function finish(record: WeComRecordInput, message: MessageState, event: ConsentEvent | SwitchEvent | undefined): NormalizeResult {
  const checked = parseRecordInput(record);
  if (!checked.success) return fail(describeIssues(checked.issues));
  return { ok: true, record, media: message.media, strippedControlChars: message.stripped, ...(event === undefined ? {} : { event }) };
}

const ENVELOPE_KEYS = new Set(['msgid', 'action', 'from', 'tolist', 'roomid', 'msgtime', 'msgtype']);
function payloadOutsideEnvelope(json: { [key: string]: unknown }): { [key: string]: unknown } {
  return Object.fromEntries(Object.entries(json).filter(([k]) => !ENVELOPE_KEYS.has(k)));
}

// ---------------------------------------------------------------------------------------------------
// After download

/** A downloaded media file as the ingest takes it: a path, or the bytes in standard base64. */
export type DownloadedMedia = { path: string } | { data: string };

/**
 * Completes a record with its downloaded media: `downloaded[i]` is the file for `media[i]` (undefined
 * when it could not be fetched). Attachments follow the media order; missing ones are listed by name
 * in `wecom.missingAttachments` so the viewer can say so.
 */
export function attachDownloadedMedia(
  record: WeComRecordInput,
  media: readonly WeComMediaRef[],
  downloaded: readonly (DownloadedMedia | undefined)[],
): WeComRecordInput {
  const attachments: NonNullable<RecordInput['attachments']> = [];
  const missing: string[] = [];
  media.forEach((ref, i) => {
    const file = downloaded[i];
    if (file === undefined) missing.push(ref.name);
    else attachments.push({ name: ref.name, ...(ref.mime === undefined ? {} : { mime: ref.mime }), ...file });
  });
  const wecom: WeComFields = missing.length > 0 ? { ...record.wecom, missingAttachments: missing } : record.wecom;
  return { ...record, wecom, ...(attachments.length > 0 ? { attachments } : {}) };
}
