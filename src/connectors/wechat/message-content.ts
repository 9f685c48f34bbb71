import type { RecordType } from '../../domain/record.js';
import { attr, child, children, intOf, isNode, numberOf, parseWeChatXml, textAt, textOf, type XmlNode, type XmlValue } from './xml.js';

/**
 * Personal WeChat message content → canonical record fields, shared by every reader (PC 3.x,
 * PC 4.x, Android, iOS): they all use the same `Type`/`SubType` numbers and the same content (plain
 * text, or XML). Reference: shared/reference/ingest-formats.md B.1 (type table), C.1–C.4 (appmsg,
 * quote, emoji, recall).
 *
 * Pure and cheap for text (no XML parse for type 1). Never throws: what cannot be read is a
 * `problem` (the reader turns the row into a bad row, quarantined with its original content);
 * problems name the field and never quote the content.
 *
 * Media are not read here: `mediaHints` says what the row's media should be (kind, md5, file name,
 * voice length…), the reader finds the bytes in its export.
 */

export interface WeChatContentInput {
  type: number;
  subType: number;
  /** Text or XML, the group sender prefix (`wxid:\n`) already removed. */
  content: string;
  isGroup: boolean;
}

export type WeChatMediaKind = 'image' | 'voice' | 'video' | 'file' | 'emoji';

/** What the reader should look for in the export (all optional: the XML varies by version). */
export interface WeChatMediaHints {
  kind?: WeChatMediaKind;
  md5?: string;
  sizeBytes?: number;
  /** File messages: the file's name as sent (appmsg title). */
  fileName?: string;
  fileExt?: string;
  voiceLengthMs?: number;
  videoSeconds?: number;
  /** Emoji: where WeChat's CDN served it (not fetched: imports are offline). */
  url?: string;
}

export interface WeChatCall {
  media: 'voice' | 'video';
  durationSeconds: number;
}

export interface WeChatContent {
  type: RecordType;
  /** What a user would search for; absent when the message has no words (an image). */
  text?: string;
  /** Structured content (camelCase), kept in the record under `wechat.content`. */
  fields: { [key: string]: unknown };
  call?: WeChatCall;
  /** A revoke notice: the server id of the revoked message (the record's `recalls`). */
  recallsServerId?: string;
  /** A reply: the server id of the quoted message (the record's `parent`). */
  quotedServerId?: string;
  /** For `other`: the source's own type, `Type` or `Type/SubType` (e.g. `35`, `49/999`). */
  originalType?: string;
  mediaHints: WeChatMediaHints;
  /** Why the row cannot be archived as a message (each names its field); empty when fine. */
  problems: string[];
}

type Fields = { [key: string]: unknown };

/** Quotes quote messages that quote…: stop somewhere (the raw row keeps everything). */
const MAX_DEPTH = 4;
/** Searchable strings collected from an unknown XML payload, at most. */
const MAX_LOOSE_STRINGS = 100;

/** Recall notices among the plain system messages (B.1: 10000 with these SubTypes). */
const RECALL_NOTICE_SUBTYPES: ReadonlySet<number> = new Set([1, 5, 6, 33, 36, 57]);
const RECALL_NOTICE_TEXT = /撤回了一条消息|recalled a message/i;

/** Builds one result: searchable text in order, fields without absent values. */
class Mapped {
  readonly lines: string[] = [];
  readonly fields: Fields = {};
  readonly hints: WeChatMediaHints = {};
  readonly problems: string[] = [];
  call: WeChatCall | undefined;
  recalls: string | undefined;
  quoted: string | undefined;
  originalType: string | undefined;

  constructor(public type: RecordType) {}

  say(...values: (string | undefined)[]): void {
    for (const v of values) {
      const t = v?.trim();
      if (t && !this.lines.includes(t)) this.lines.push(t);
    }
  }

  set(key: string, value: unknown): void {
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return;
    this.fields[key] = value;
  }

  hint<K extends keyof WeChatMediaHints>(key: K, value: WeChatMediaHints[K] | undefined): void {
    if (value !== undefined && value !== '') this.hints[key] = value;
  }

  result(): WeChatContent {
    const out: WeChatContent = { type: this.type, fields: this.fields, mediaHints: this.hints, problems: this.problems };
    if (this.lines.length > 0) out.text = this.lines.join('\n');
    if (this.call !== undefined) out.call = this.call;
    if (this.recalls !== undefined) out.recallsServerId = this.recalls;
    if (this.quoted !== undefined) out.quotedServerId = this.quoted;
    if (this.originalType !== undefined) out.originalType = this.originalType;
    return out;
  }
}

/** Maps one message row's content. */
export function mapWeChatContent(input: WeChatContentInput): WeChatContent {
  return mapAt(input, 0);
}

function mapAt(input: WeChatContentInput, depth: number): WeChatContent {
  const { type, content } = input;
  // The hot path: plain text, no allocation beyond the result.
  if (type === 1) return content === '' ? { type: 'text', fields: {}, mediaHints: {}, problems: [] } : { type: 'text', text: content, fields: {}, mediaHints: {}, problems: [] };
  switch (type) {
    case 3: return mapImage(content);
    case 34: return mapVoice(content);
    case 37: return mapFriendRequest(content);
    case 42: return mapCard(content);
    case 43:
    case 62: return mapVideo(content);
    case 47: return mapEmoji(content);
    case 48: return mapLocation(content);
    case 49: return mapAppMessage(input, depth);
    case 50: return mapCall(content);
    case 10000: return content.trimStart().startsWith('<sysmsg') ? mapSysmsg(content) : mapSystemText(input);
    case 10002: return mapSysmsg(content);
    default: return mapUnknown(input);
  }
}

// ---------------------------------------------------------------------------------------------------
// Media messages: the XML only describes the media (md5, size, length); the media carry the message.
// Their XML being unreadable is noted, not fatal: the image or voice itself is still archived.

function mediaXml(m: Mapped, content: string, what: string): XmlNode | undefined {
  if (content.trim() === '') return undefined;
  const parsed = parseWeChatXml(content, 'content', what);
  if (!parsed.ok) {
    m.set('contentUnreadable', parsed.problem);
    return undefined;
  }
  return parsed.root;
}

function mapImage(content: string): WeChatContent {
  const m = new Mapped('image');
  m.hint('kind', 'image');
  const img = child(child(mediaXml(m, content, 'image'), 'msg'), 'img');
  const md5 = attr(img, 'md5');
  const size = intOf(attr(img, 'length'));
  m.set('md5', md5);
  m.set('sizeBytes', size);
  m.set('hdSizeBytes', intOf(attr(img, 'hdlength')));
  m.hint('md5', md5);
  m.hint('sizeBytes', size);
  return m.result();
}

function mapVoice(content: string): WeChatContent {
  const m = new Mapped('voice');
  m.hint('kind', 'voice');
  const trimmed = content.trim();
  if (trimmed.startsWith('<')) {
    const msg = child(mediaXml(m, content, 'voice'), 'msg');
    const voice = child(msg, 'voicemsg');
    const lengthMs = intOf(attr(voice, 'voicelength'));
    m.set('durationMs', lengthMs);
    m.set('sizeBytes', intOf(attr(voice, 'length')));
    m.hint('voiceLengthMs', lengthMs);
    // WeChat's own speech-to-text, when the user asked for it: what was said, so searchable.
    const transcript = attr(child(msg, 'voicetrans'), 'transtext');
    m.set('transcript', transcript);
    m.say(transcript);
  } else {
    // Android keeps `<sender>:<length ms>:<flag>` instead of XML (not in the reference; read when present).
    const plain = /(?:^|:)(\d{1,9}):\d+\s*$/.exec(trimmed);
    const lengthMs = plain ? Number(plain[1]) : undefined;
    m.set('durationMs', lengthMs);
    m.hint('voiceLengthMs', lengthMs);
  }
  return m.result();
}

function mapVideo(content: string): WeChatContent {
  const m = new Mapped('video');
  m.hint('kind', 'video');
  const video = child(child(mediaXml(m, content, 'video'), 'msg'), 'videomsg');
  const md5 = attr(video, 'md5');
  const size = intOf(attr(video, 'length'));
  const seconds = intOf(attr(video, 'playlength'));
  m.set('md5', md5);
  m.set('sizeBytes', size);
  m.set('durationSeconds', seconds);
  m.hint('md5', md5);
  m.hint('sizeBytes', size);
  m.hint('videoSeconds', seconds);
  return m.result();
}

function mapEmoji(content: string): WeChatContent {
  const m = new Mapped('emoji');
  m.hint('kind', 'emoji');
  const emoji = child(child(mediaXml(m, content, 'emoji'), 'msg'), 'emoji');
  const md5 = attr(emoji, 'md5');
  const url = attr(emoji, 'cdnurl');
  m.set('md5', md5);
  m.set('url', url);
  m.set('width', intOf(attr(emoji, 'width')));
  m.set('height', intOf(attr(emoji, 'height')));
  m.set('productId', attr(emoji, 'productid'));
  m.hint('md5', md5);
  m.hint('url', url);
  return m.result();
}

// ---------------------------------------------------------------------------------------------------
// Messages whose XML is the content: unreadable XML is a problem (the row is quarantined, kept whole).

function contentXml(m: Mapped, content: string, what: string): XmlNode | undefined {
  const parsed = parseWeChatXml(content, 'content', what);
  if (!parsed.ok) {
    m.problems.push(parsed.problem);
    return undefined;
  }
  return parsed.root;
}

function mapCard(content: string): WeChatContent {
  const m = new Mapped('card');
  const msg = child(contentXml(m, content, 'contact card'), 'msg');
  if (msg === undefined) return finishUnread(m, 'contact card');
  const nickname = attr(msg, 'nickname');
  const alias = attr(msg, 'alias');
  m.say(nickname, alias);
  m.set('username', attr(msg, 'username'));
  m.set('nickname', nickname);
  m.set('alias', alias);
  m.set('province', attr(msg, 'province'));
  m.set('city', attr(msg, 'city'));
  m.set('certInfo', attr(msg, 'certinfo'));
  return m.result();
}

function mapFriendRequest(content: string): WeChatContent {
  const m = new Mapped('system');
  m.set('notice', 'friend-request');
  const msg = child(contentXml(m, content, 'friend request'), 'msg');
  if (msg === undefined) return finishUnread(m, 'friend request');
  const nickname = attr(msg, 'fromnickname');
  const greeting = attr(msg, 'content');
  m.say(nickname, greeting);
  m.set('fromUser', attr(msg, 'fromusername'));
  m.set('fromNickname', nickname);
  m.set('greeting', greeting);
  return m.result();
}

function mapLocation(content: string): WeChatContent {
  const m = new Mapped('location');
  const loc = child(child(contentXml(m, content, 'location'), 'msg'), 'location');
  if (loc === undefined) return finishUnread(m, 'location');
  const poi = attr(loc, 'poiname');
  const label = attr(loc, 'label');
  m.say(poi, label);
  m.set('poiName', poi);
  m.set('label', label);
  // WeChat's x is the latitude, y the longitude.
  m.set('latitude', numberOf(attr(loc, 'x')));
  m.set('longitude', numberOf(attr(loc, 'y')));
  m.set('scale', intOf(attr(loc, 'scale')));
  return m.result();
}

/** An XML that parsed but lacks the element the type needs. */
function finishUnread(m: Mapped, what: string): WeChatContent {
  if (m.problems.length === 0) m.problems.push(`content: ${what} XML has no <msg> element of the expected form`);
  return m.result();
}

// ---------------------------------------------------------------------------------------------------
// Calls (Type 50). Two shapes: PC's `<voipmsg type="VoIPBubbleMsg">` (bubble text such as
// "通话时长 01:23", `room_type` 1 voice / 0 video as two independent tools read it) and Android's
// `<voipinvitemsg>` + `<voiplocalinfo><duration>` (`invitetype` kept as received).

const DURATION_TEXT = /(\d{1,3}):(\d{2})(?::(\d{2}))?/;

function mapCall(content: string): WeChatContent {
  const m = new Mapped('call');
  const root = contentXml(m, content, 'call');
  if (root === undefined) return m.result();
  const bubble = child(child(root, 'voipmsg'), 'VoIPBubbleMsg');
  const invite = child(root, 'voipinvitemsg');
  const local = child(root, 'voiplocalinfo');
  if (bubble === undefined && invite === undefined && local === undefined) return finishUnread(m, 'call');
  const status = textAt(bubble, 'msg');
  const roomType = intOf(textAt(bubble, 'room_type'));
  const inviteType = intOf(textAt(invite, 'invitetype'));
  let seconds = intOf(textAt(bubble, 'duration')) ?? intOf(textAt(local, 'duration'));
  if ((seconds === undefined || seconds === 0) && status !== undefined) {
    const d = DURATION_TEXT.exec(status);
    if (d) seconds = d[3] === undefined ? Number(d[1]) * 60 + Number(d[2]) : Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
  }
  const media = roomType === 0 ? 'video' : 'voice';
  m.call = { media, durationSeconds: seconds ?? 0 };
  m.say(status);
  m.set('media', media);
  m.set('durationSeconds', seconds ?? 0);
  m.set('status', status);
  m.set('roomType', roomType);
  m.set('inviteType', inviteType);
  return m.result();
}

// ---------------------------------------------------------------------------------------------------
// System messages, revoke notices

function mapSystemText(input: WeChatContentInput): WeChatContent {
  const m = new Mapped('system');
  // Plain text, sometimes with a CDATA wrapper and an `<a href="weixin://revoke_edit_click">` link.
  const text = decodeLoose(input.content.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1').replace(/<[^>]*>/g, ''));
  m.say(text);
  if (RECALL_NOTICE_SUBTYPES.has(input.subType) || RECALL_NOTICE_TEXT.test(text)) m.set('notice', 'recall');
  else if (input.subType === 4) m.set('notice', 'pat');
  else if (input.subType === 8000) m.set('notice', 'group-invite');
  if (input.subType !== 0) m.set('subType', input.subType);
  return m.result();
}

function decodeLoose(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_w, n: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[n] ?? '').trim();
}

/** Keys of a sysmsg whose text is what users read. */
const SYSMSG_TEXT_KEYS = ['replacemsg', 'template', 'content', 'text', 'title', 'des'];

function mapSysmsg(content: string): WeChatContent {
  const m = new Mapped('system');
  const sys = child(contentXml(m, content, 'system message'), 'sysmsg');
  if (sys === undefined) return finishUnread(m, 'system message');
  const kind = attr(sys, 'type');
  m.set('sysmsgType', kind);
  if (kind === 'revokemsg') {
    const revoke = child(sys, 'revokemsg');
    const serverId = textAt(revoke, 'newmsgid');
    const replace = textAt(revoke, 'replacemsg');
    m.say(replace);
    m.set('revokedLocalId', textAt(revoke, 'msgid'));
    m.set('revokedServerId', serverId);
    m.set('session', textAt(revoke, 'session'));
    if (serverId !== undefined && /^\d{1,20}$/.test(serverId) && serverId !== '0') {
      m.type = 'recall';
      m.recalls = serverId;
    } else {
      // Without the server id the revoked message cannot be linked: kept as a notice.
      m.set('notice', 'recall');
    }
    return m.result();
  }
  const body = kind === undefined ? undefined : child(sys, kind);
  for (const key of SYSMSG_TEXT_KEYS) m.say(findText(body ?? sys, key, 0));
  return m.result();
}

/** The first text of an element named `key` anywhere below `node` (shallow first). */
function findText(node: XmlValue | undefined, key: string, depth: number): string | undefined {
  if (node === undefined || typeof node === 'string' || depth > 6) return undefined;
  if (Array.isArray(node)) {
    for (const n of node) {
      const t = findText(n, key, depth + 1);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  const direct = textAt(node, key);
  if (direct !== undefined) return direct;
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('@') || k.startsWith('#')) continue;
    const t = findText(v, key, depth + 1);
    if (t !== undefined) return t;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// App messages (Type 49): `<msg><appmsg><type>N</type>…`, N is the SubType (C.1).

type AppKind = 'text' | 'link' | 'music' | 'file' | 'emoji' | 'live-location' | 'chatrecord' | 'note' | 'miniprogram'
  | 'favorite' | 'channels' | 'solitaire' | 'quote' | 'pat' | 'channels-live' | 'announcement' | 'transfer' | 'redpacket';

const APP_KINDS: ReadonlyMap<number, AppKind> = new Map<number, AppKind>([
  [1, 'text'], [3, 'music'], [4, 'link'], [5, 'link'], [0, 'file'], [6, 'file'], [8, 'emoji'], [17, 'live-location'],
  [19, 'chatrecord'], [24, 'note'], [33, 'miniprogram'], [36, 'miniprogram'], [40, 'favorite'], [50, 'channels'],
  [51, 'channels'], [53, 'solitaire'], [57, 'quote'], [62, 'pat'], [63, 'channels-live'], [88, 'channels-live'],
  [87, 'announcement'], [2000, 'transfer'], [2001, 'redpacket'], [2003, 'redpacket'],
]);

const RECORD_TYPE_OF_APP: { [k in AppKind]: RecordType } = {
  text: 'text', link: 'link', music: 'link', file: 'file', emoji: 'emoji', 'live-location': 'location', chatrecord: 'chatrecord',
  note: 'doc', miniprogram: 'miniprogram', favorite: 'chatrecord', channels: 'link', solitaire: 'text', quote: 'text',
  pat: 'system', 'channels-live': 'link', announcement: 'text', transfer: 'transfer', redpacket: 'redpacket',
};

function mapAppMessage(input: WeChatContentInput, depth: number): WeChatContent {
  const m = new Mapped('other');
  const root = contentXml(m, input.content, 'app message');
  if (root === undefined) return m.result();
  const appmsg = child(child(root, 'msg'), 'appmsg') ?? child(root, 'appmsg');
  if (appmsg === undefined) {
    m.problems.push('content: app message XML has no <appmsg> element');
    return m.result();
  }
  const appType = intOf(textAt(appmsg, 'type')) ?? input.subType;
  const kind = APP_KINDS.get(appType);
  const title = textAt(appmsg, 'title');
  const des = textAt(appmsg, 'des');
  m.set('appType', appType);
  if (kind === undefined) {
    // Unknown: archived as `other`, its words searchable, the XML kept as it came.
    m.originalType = `49/${appType}`;
    m.say(title, des);
    m.set('title', title);
    m.set('description', des);
    m.set('xml', input.content);
    return m.result();
  }
  m.type = RECORD_TYPE_OF_APP[kind];
  m.set('kind', kind);
  const appName = textAt(appmsg, 'sourcedisplayname') ?? textAt(child(child(root, 'msg'), 'appinfo'), 'appname');
  switch (kind) {
    case 'text':
    case 'solitaire':
    case 'announcement':
      m.say(title, des);
      m.set('title', title);
      break;
    case 'link':
    case 'music':
    case 'channels-live': {
      const url = textAt(appmsg, 'url');
      m.say(title, des, appName, url);
      m.set('title', title);
      m.set('description', des);
      m.set('url', url);
      m.set('appName', appName);
      if (kind === 'channels-live') describeFinder(m, appmsg);
      break;
    }
    case 'channels':
      m.say(title, des);
      m.set('title', title);
      m.set('description', des);
      describeFinder(m, appmsg);
      break;
    case 'file':
    case 'emoji': {
      const attach = child(appmsg, 'appattach');
      const ext = textAt(attach, 'fileext');
      const size = intOf(textAt(attach, 'totallen'));
      const md5 = textAt(appmsg, 'md5');
      if (kind === 'file') {
        m.say(title);
        m.set('fileName', title);
        m.hint('kind', 'file');
        m.hint('fileName', title);
        m.hint('fileExt', ext);
      } else {
        m.hint('kind', 'emoji');
      }
      m.set('fileExt', ext);
      m.set('sizeBytes', size);
      m.set('md5', md5);
      m.hint('sizeBytes', size);
      m.hint('md5', md5);
      break;
    }
    case 'live-location':
      m.say(title, des);
      m.set('title', title);
      m.set('liveSharing', true);
      break;
    case 'chatrecord':
    case 'note':
    case 'favorite':
      m.say(title, des);
      m.set('title', title);
      m.set('description', des);
      describeRecordItems(m, appmsg, depth);
      break;
    case 'miniprogram': {
      const weapp = child(appmsg, 'weappinfo');
      m.say(title, des, appName);
      m.set('title', title);
      m.set('description', des);
      m.set('appName', appName);
      m.set('appId', textAt(weapp, 'appid'));
      m.set('username', textAt(weapp, 'username'));
      m.set('pagePath', textAt(weapp, 'pagepath'));
      break;
    }
    case 'quote':
      describeQuote(m, appmsg, title, input.isGroup, depth);
      break;
    case 'pat':
      m.say(title);
      m.set('notice', 'pat');
      m.set('title', title);
      break;
    case 'transfer': {
      const pay = child(appmsg, 'wcpayinfo');
      const amount = textAt(pay, 'feedesc');
      const memo = textAt(pay, 'pay_memo') ?? textAt(appmsg, 'pay_memo');
      const sub = intOf(textAt(pay, 'paysubtype'));
      m.say(title, des, amount, memo);
      m.set('amount', amount);
      m.set('memo', memo);
      m.set('paySubType', sub);
      // 1/7 sent, 3/5 received, 4 refunded (reference B.1).
      m.set('transferState', sub === 1 || sub === 7 ? 'sent' : sub === 3 || sub === 5 ? 'received' : sub === 4 ? 'refunded' : undefined);
      m.set('transferId', textAt(pay, 'transferid'));
      break;
    }
    case 'redpacket': {
      const pay = child(appmsg, 'wcpayinfo');
      const wish = textAt(pay, 'sendertitle') ?? textAt(pay, 'receivertitle');
      m.say(title, des, wish);
      m.set('title', title);
      m.set('description', des);
      m.set('wish', wish);
      m.set('sceneText', textAt(pay, 'scenetext'));
      if (appType === 2003) m.set('coverGift', true);
      break;
    }
  }
  return m.result();
}

/** 视频号 (channels) feeds: `<finderFeed>` with the account's nickname and the feed's description. */
function describeFinder(m: Mapped, appmsg: XmlNode): void {
  const feed = child(appmsg, 'finderFeed') ?? child(appmsg, 'finderLive');
  if (feed === undefined) return;
  const nickname = textAt(feed, 'nickname');
  const desc = textAt(feed, 'desc') ?? textAt(feed, 'description');
  m.say(nickname, desc);
  m.set('feed', compact({ nickname, description: desc, objectId: textAt(feed, 'objectId'), username: textAt(feed, 'username') }));
}

/** A reply: `<refermsg>` holds the quoted message (C.2); its text is searchable with the reply's. */
function describeQuote(m: Mapped, appmsg: XmlNode, title: string | undefined, isGroup: boolean, depth: number): void {
  m.say(title);
  m.set('title', title);
  const ref = child(appmsg, 'refermsg');
  if (ref === undefined) return;
  const serverId = textAt(ref, 'svrid');
  const refType = intOf(textAt(ref, 'type'));
  const displayName = textAt(ref, 'displayname');
  let quotedText: string | undefined;
  let quoted: string | undefined = textAt(ref, 'content');
  if (quoted !== undefined && refType !== undefined && depth < MAX_DEPTH) {
    // A quoted group message may keep its sender prefix; a non-text one is nested XML.
    if (isGroup) quoted = quoted.replace(/^[\w@.-]{1,80}:\n/, '');
    const inner = mapAt({ type: refType, subType: 0, content: quoted, isGroup }, depth + 1);
    quotedText = inner.problems.length === 0 ? inner.text : undefined;
    if (inner.problems.length > 0) m.set('quoteUnreadable', true);
  }
  m.say(quotedText);
  if (serverId !== undefined && /^\d{1,20}$/.test(serverId) && serverId !== '0') m.quoted = serverId;
  m.set('quote', compact({
    serverId,
    type: refType,
    fromUser: textAt(ref, 'chatusr') ?? textAt(ref, 'fromusr'),
    displayName,
    text: quotedText,
    createTimeMs: secondsToMs(intOf(textAt(ref, 'createtime'))),
  }));
}

const secondsToMs = (s: number | undefined): number | undefined => (s === undefined || s <= 0 ? undefined : s < 1e11 ? s * 1000 : s);

/**
 * A forwarded chat history (19), note (24) or favorite (40): `<recorditem>` holds another XML text
 * (CDATA or escaped) `<recordinfo><datalist><dataitem datatype=…>`. Every item's words are searchable.
 * A bundle whose inner XML cannot be read keeps its title and is flagged, not refused.
 */
const DATA_TYPES: { [t: string]: string } = { 1: 'text', 2: 'image', 3: 'voice', 4: 'video', 5: 'link', 6: 'location', 8: 'file', 17: 'chatrecord', 19: 'miniprogram' };

function describeRecordItems(m: Mapped, appmsg: XmlNode, depth: number): void {
  const inner = textAt(appmsg, 'recorditem');
  if (inner === undefined) return;
  const parsed = parseWeChatXml(inner, 'content.recorditem', 'chat record');
  if (!parsed.ok) {
    m.set('itemsUnreadable', parsed.problem);
    return;
  }
  const info = child(parsed.root, 'recordinfo');
  m.set('items', recordItems(m, info, depth + 1));
}

function recordItems(m: Mapped, info: XmlNode | undefined, depth: number): Fields[] {
  const items: Fields[] = [];
  for (const item of children(child(info, 'datalist'), 'dataitem')) {
    const type = attr(item, 'datatype');
    const text = textAt(item, 'datadesc');
    const title = textAt(item, 'datatitle');
    const sender = textAt(item, 'sourcename');
    m.say(title, text);
    const fields = compact({
      type: type === undefined ? undefined : DATA_TYPES[type] ?? type,
      sender,
      time: textAt(item, 'sourcetime'),
      title,
      text,
      url: textAt(item, 'link') ?? textAt(item, 'weburlitem'),
      fileExt: textAt(item, 'datafmt'),
      sizeBytes: intOf(textAt(item, 'datasize')),
      md5: textAt(item, 'fullmd5'),
    });
    // A bundle inside a bundle: its own `<recordxml><recordinfo>`.
    const nested = child(child(item, 'recordxml'), 'recordinfo');
    if (nested !== undefined && depth < MAX_DEPTH) fields.items = recordItems(m, nested, depth + 1);
    items.push(fields);
  }
  return items;
}

// ---------------------------------------------------------------------------------------------------
// Unknown types: `other`, the original type kept; plain content is searchable as it is, XML
// content by its words (never a problem: we make no claim about what it should look like).

function mapUnknown(input: WeChatContentInput): WeChatContent {
  const m = new Mapped('other');
  m.originalType = input.subType === 0 ? String(input.type) : `${input.type}/${input.subType}`;
  const content = input.content.trim();
  if (content === '') return m.result();
  if (!content.startsWith('<')) {
    m.say(content);
    return m.result();
  }
  const parsed = parseWeChatXml(content, 'content', 'message');
  if (parsed.ok) {
    const strings: string[] = [];
    collectStrings(parsed.root, strings, 0);
    m.say(...strings);
  } else {
    m.set('contentUnreadable', parsed.problem);
  }
  return m.result();
}

function collectStrings(node: XmlValue, out: string[], depth: number): void {
  if (depth > 10 || out.length >= MAX_LOOSE_STRINGS) return;
  if (typeof node === 'string') {
    if (node.trim() !== '') out.push(node);
  } else if (Array.isArray(node)) {
    for (const n of node) collectStrings(n, out, depth + 1);
  } else if (isNode(node)) {
    const t = textOf(node);
    if (t !== undefined) out.push(t);
    for (const [k, v] of Object.entries(node)) if (!k.startsWith('#') && !k.startsWith('@')) collectStrings(v, out, depth + 1);
  }
}

function compact(o: Fields): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}
