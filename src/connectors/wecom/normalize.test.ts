import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { recordInputSchema, toArchiveRecord } from '../../domain/record.js';
import {
  attachDownloadedMedia,
  normalizeWeComMessage,
  parseDecryptedMessage,
  type NormalizeContext,
  type NormalizeResult,
  type WeComRecordInput,
} from './normalize.js';

// Fixtures: decrypted messages written for WeKeep from the documented structures (reference A.6/A.7).
const FIXTURE_DIR = new URL('../../../test/fixtures/wecom/', import.meta.url);
type Json = { [key: string]: unknown };
const fixtures = JSON.parse(readFileSync(new URL('messages.json', FIXTURE_DIR), 'utf8')) as { [name: string]: Json };
const fixture = (name: string): Json => {
  const f = fixtures[name];
  if (f === undefined) throw new Error(`no fixture ${name}`);
  return structuredClone(f);
};

const ctx: NormalizeContext = { source: 'wecom:ww7f3a9c', seq: 1001, corpId: 'ww7f3a9c' };

type Ok = Extract<NormalizeResult, { ok: true }>;
function normalizeOk(json: unknown, context: NormalizeContext = ctx): Ok {
  const r = normalizeWeComMessage(json, context);
  if (!r.ok) throw new Error(`expected ok, got: ${r.reason}`);
  return r;
}
const norm = (name: string): Ok => normalizeOk(fixture(name));
const reasonOf = (json: unknown): string => {
  const r = normalizeWeComMessage(json, ctx);
  if (r.ok) throw new Error('expected a failure');
  return r.reason;
};

/** Every sdkfileid in a message, nested JSON strings (chatrecord/mixed contents) included. */
function sdkFileIdsIn(value: unknown): string[] {
  if (typeof value === 'string') {
    if (!value.startsWith('{')) return [];
    try {
      return sdkFileIdsIn(JSON.parse(value));
    } catch {
      return [];
    }
  }
  if (Array.isArray(value)) return value.flatMap(sdkFileIdsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => (k === 'sdkfileid' && typeof v === 'string' ? [v] : sdkFileIdsIn(v)));
}

describe('every fixture', () => {
  const names = Object.keys(fixtures);

  it('covers every msgtype of the reference, and the edge cases', () => {
    const msgtypes = new Set(Object.values(fixtures).map((f) => f.msgtype ?? f.action));
    for (const t of [
      'text', 'image', 'voice', 'video', 'emotion', 'file', 'link', 'weapp', 'card', 'location', 'chatrecord', 'todo', 'vote', 'collect',
      'redpacket', 'external_redpacket', 'meeting', 'meeting_notification', 'docmsg', 'markdown', 'news', 'calendar', 'mixed',
      'meeting_voice_call', 'voip_doc_share', 'sphfeed', 'voiptext', 'qydiskfile', 'revoke', 'agree', 'disagree', 'switch',
    ]) expect(msgtypes, t).toContain(t);
    expect(names.length).toBeGreaterThanOrEqual(40);
  });

  it.each(names)('%s normalizes to a record that passes the canonical schema', (name) => {
    const json = fixture(name);
    const r = normalizeOk(json, { ...ctx, seq: 7 });
    expect(() => recordInputSchema.parse(r.record)).not.toThrow();
    expect(r.record.id).toBe(json.msgid);
    expect(r.record.source).toBe(ctx.source);
    expect(r.record.seq).toBe(7);
    expect(r.record.raw).toEqual(fixture(name));
    // The archive keeps the WeCom view in the record's structured fields.
    const archived = toArchiveRecord(recordInputSchema.parse(r.record));
    expect(archived.fields?.wecom).toEqual(JSON.parse(JSON.stringify(r.record.wecom)));
  });

  it('maps each msgtype to the canonical type', () => {
    const expected: { [name: string]: string } = {
      text: 'text', image: 'image', voice: 'voice', video: 'video', emotion: 'emoji', file: 'file', link: 'link', weapp: 'miniprogram',
      card: 'card', location: 'location', chatrecord: 'chatrecord', todo: 'todo', vote: 'vote', collect: 'other', redpacket: 'redpacket',
      external_redpacket: 'redpacket', meeting: 'meeting', meeting_notification: 'meeting', docmsg: 'doc', markdown: 'markdown', news: 'news',
      calendar: 'calendar', mixed: 'mixed', meeting_voice_call: 'call', voip_doc_share: 'file', sphfeed: 'link', voiptext: 'call',
      qydiskfile: 'file', 'revoke-before-original': 'recall', 'revoke-after-original': 'recall', agree: 'system', disagree: 'system',
      switch: 'system', 'unknown-solitaire': 'other', 'unknown-note-with-media': 'other',
    };
    for (const [name, type] of Object.entries(expected)) expect(norm(name).record.type, name).toBe(type);
  });

  it('keeps msgtime as UTC milliseconds', () => {
    const json = fixture('text');
    expect(norm('text').record.time).toBe(json.msgtime);
    expect(new Date(norm('text').record.time as number).toISOString()).toBe('2025-06-10T05:00:37.534Z');
  });
});

describe('searchable text', () => {
  const cases: [string, string[]][] = [
    ['text', ['报价单已更新', '12.80']],
    ['text-group-quote', ['引用/回复', '已转给采购部', 'Procurement']],
    ['file', ['2025年6月采购合同（草案）.docx']],
    ['link', ['华东仓储物流解决方案', '冷链配送', 'example.com/solutions/cold-chain']],
    ['weapp', ['订单查询', '查看您的发货进度', '鲸仓订单助手']],
    ['card', ['苏州鲸仓物流有限公司', 'wangjianguo']],
    ['location', ['苏州国际科技园', '星湖街 328 号']],
    ['chatrecord', ['周伟和王总的聊天记录', '交货期能否提前', '交货计划表.xlsx', '物流时效查询', '南京东路', '样品照片如下', '去年的框架协议还有效']],
    ['todo', ['回款明细']],
    ['vote', ['团建地点投票', '阳澄湖']],
    ['collect', ['端午值班登记', '联系电话']],
    ['redpacket', ['端午安康']],
    ['external_redpacket', ['合作愉快']],
    ['meeting', ['二季度供应商评审会', '3 楼大会议室', '样品检测报告']],
    ['meeting_notification', ['会议时间改为']],
    ['docmsg', ['2025 年度价格调整方案']],
    ['markdown', ['日报提醒', '待发货订单']],
    ['news', ['六月促销政策发布', '限时两周', '新版发票开具流程']],
    ['calendar', ['工厂实地考察', '王建国', '昆山生产基地', '门卫处登记']],
    ['mixed', ['新包装设计稿']],
    ['meeting_voice_call', ['供应商评审打分表.xlsx']],
    ['voip_doc_share', ['评审会议纪要.pdf']],
    ['sphfeed', ['鲸仓物流', '冷链仓储']],
    ['qydiskfile', ['客户拜访记录汇总.xlsx']],
    ['agree', ['同意会话内容存档']],
    ['disagree', ['不同意会话内容存档']],
    ['switch', ['切换企业']],
    ['unknown-solitaire', ['端午礼盒接龙', '周伟 两盒']],
  ];
  it.each(cases)('%s is found by what a user would type', (name, needles) => {
    const text = norm(name).record.text ?? '';
    for (const needle of needles) expect(text).toContain(needle);
  });

  it('leaves ids and hashes out of the text of unknown types', () => {
    const r = norm('unknown-note-with-media');
    expect(r.record.text).toContain('拜访笔记');
    expect(r.record.text).not.toMatch(/[0-9a-f]{32}/);
  });
});

describe('media', () => {
  it.each(Object.keys(fixtures))('%s: a reference for every sdkfileid, nested ones included, in order', (name) => {
    const json = fixture(name);
    const r = normalizeOk(json);
    expect(r.media.map((m) => m.sdkfileid)).toEqual(sdkFileIdsIn(json));
    r.media.forEach((m, i) => {
      expect(m.attachmentIndex).toBe(i);
      expect(m.name.length).toBeGreaterThan(0);
    });
    expect(new Set(r.media.map((m) => m.name)).size).toBe(r.media.length);
  });

  it('describes top-level media completely', () => {
    const image = fixture('image').image as Json;
    expect(norm('image').media).toEqual([
      { sdkfileid: image.sdkfileid, md5sum: image.md5sum, filesize: 48213, name: 'image.jpg', mime: 'image/jpeg', kind: 'image', attachmentIndex: 0, origin: 'image' },
    ]);
    expect(norm('voice').media[0]).toMatchObject({ name: 'voice.amr', mime: 'audio/amr', kind: 'voice', filesize: 7342 });
    expect(norm('video').media[0]).toMatchObject({ name: 'video.mp4', mime: 'video/mp4', kind: 'video', filesize: 1834021 });
    expect(norm('emotion').media[0]).toMatchObject({ name: 'emotion.png', mime: 'image/png', kind: 'emotion', filesize: 30412 });
    expect(norm('file').media[0]).toMatchObject({
      name: '2025年6月采购合同（草案）.docx', kind: 'file', filesize: 58120, md5sum: (fixture('file').file as Json).md5sum,
      mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    });
    expect(norm('voip_doc_share').media[0]).toMatchObject({ name: '评审会议纪要.pdf', mime: 'application/pdf', kind: 'file' });
    expect(norm('meeting_voice_call').media[0]).toMatchObject({ kind: 'voice', origin: 'meeting_voice_call' });
  });

  it('collects the media of a forwarded history and of mixed parts, and the fields point at them by name', () => {
    const cr = norm('chatrecord');
    expect(cr.media.map((m) => [m.kind, m.name, m.origin])).toEqual([
      ['image', 'image.jpg', 'chatrecord.item.1'],
      ['file', '交货计划表.xlsx', 'chatrecord.item.2'],
      ['video', 'video.mp4', 'chatrecord.item.5'],
      ['image', 'image-2.jpg', 'chatrecord.item.6.item.1'],
    ]);
    const items = cr.record.wecom.content?.items as Json[];
    expect(items[1]).toMatchObject({ type: 'image', attachment: 'image.jpg' });
    expect((items[6]?.items as Json[])[1]).toMatchObject({ type: 'image', attachment: 'image-2.jpg' });

    const mixed = norm('mixed');
    expect(mixed.media.map((m) => [m.kind, m.name, m.mime])).toEqual([
      ['image', 'image.jpg', 'image/jpeg'], ['image', 'image-2.jpg', 'image/jpeg'], ['emotion', 'emotion.gif', 'image/gif'],
    ]);
    expect((mixed.record.wecom.content?.items as Json[]).map((i) => i.attachment)).toEqual([undefined, 'image.jpg', 'image-2.jpg', 'emotion.gif']);
  });

  it('still fetches media named in a payload of an unknown type', () => {
    expect(norm('unknown-note-with-media').media).toMatchObject([{ name: '现场照片.jpg', kind: 'other', filesize: 30111, mime: 'image/jpeg' }]);
  });

  it('leaves attachments to the sync, which adds the downloaded files in media order', () => {
    const r = norm('mixed');
    expect(r.record.attachments).toBeUndefined();
    const done = attachDownloadedMedia(r.record, r.media, [{ path: 'a.jpg' }, undefined, { data: 'R0lGODlh' }]);
    expect(done.attachments).toEqual([
      { name: 'image.jpg', mime: 'image/jpeg', path: 'a.jpg' },
      { name: 'emotion.gif', mime: 'image/gif', data: 'R0lGODlh' },
    ]);
    expect(done.wecom.missingAttachments).toEqual(['image-2.jpg']);
    expect(() => recordInputSchema.parse(done)).not.toThrow();
    expect(r.record.wecom.missingAttachments).toBeUndefined();
  });

  it('treats an empty md5sum as nothing to verify and takes quoted sizes', () => {
    const json = fixture('file');
    Object.assign(json.file as Json, { md5sum: '', filesize: '32768' });
    expect(normalizeOk(json).media[0]).not.toHaveProperty('md5sum');
    expect(normalizeOk(json).media[0]?.filesize).toBe(32768);
  });

  it('never lets a file name look like a path', () => {
    const json = fixture('file');
    Object.assign(json.file as Json, { filename: '../../etc/passwd' });
    expect(normalizeOk(json).media[0]?.name).toBe('.._.._etc_passwd');
  });
});

describe('chatrecord and mixed structure', () => {
  it('keeps every forwarded item with its type, time (UTC ms) and text', () => {
    const content = norm('chatrecord').record.wecom.content as Json;
    expect(content.title).toBe('周伟和王总的聊天记录');
    const items = content.items as Json[];
    expect(items.map((i) => i.type)).toEqual(['text', 'image', 'file', 'link', 'location', 'video', 'mixed', 'chatrecord']);
    const raw = ((fixture('chatrecord').chatrecord as Json).item as Json[]);
    // Item times are seconds in the documented sample and milliseconds in a binding's comment: both read.
    expect(items[0]?.timeMs).toBe((raw[0]?.msgtime as number) * 1000);
    expect(items[5]?.timeMs).toBe(raw[5]?.msgtime);
    expect(items[0]).toMatchObject({ itemType: 'ChatRecordText', text: '交货期能否提前到 6 月 20 日？', fromGroupChat: false });
    expect(items[5]?.fromGroupChat).toBe(true);
    expect(items[4]).toMatchObject({ title: '客户上海办公室', latitude: 31.2304 });
    const nested = items[7] as Json;
    expect(nested.title).toBe('更早的群聊记录');
    expect((nested.items as Json[])[0]).toMatchObject({ type: 'text', text: '去年的框架协议还有效' });
  });

  it('keeps a malformed item instead of losing the whole history', () => {
    const json = fixture('chatrecord');
    const items = (json.chatrecord as Json).item as Json[];
    items.push({ type: 'ChatRecordText', msgtime: 1749528300, content: '{not json 合同附件' });
    items.push({ type: 'ChatRecordImage', msgtime: 1749528310, content: JSON.stringify({ md5sum: 'x' }) });
    items.push({ type: 'ChatRecordFutureThing', msgtime: 1749528320, content: JSON.stringify({ caption: '新类型的说明文字' }) });
    const r = normalizeOk(json);
    const kept = (r.record.wecom.content?.items as Json[]).slice(-3);
    expect(kept[0]).toMatchObject({ error: 'content is not JSON', content: '{not json 合同附件' });
    expect(kept[1]?.error).toContain('sdkfileid');
    expect(kept[2]).toMatchObject({ type: 'futurething', payload: { caption: '新类型的说明文字' } });
    expect(r.record.text).toContain('合同附件');
    expect(r.record.text).toContain('新类型的说明文字');
  });
});

describe('conversations and direction', () => {
  it('gives a 1:1 chat the same id whichever way a message goes', () => {
    const a = norm('text').record;
    const b = norm('text-reverse-direction').record;
    expect(a.conversation).toEqual({ id: 'wmR3kT9pAAAXv2LqN8cYh5sWd0EbUjZf|zhouwei', type: 'direct' });
    expect(b.conversation).toEqual(a.conversation);
    expect(a.from).toEqual({ id: 'zhouwei' });
    expect(a.to).toEqual([{ id: 'wmR3kT9pAAAXv2LqN8cYh5sWd0EbUjZf' }]);
    expect(b.from).toEqual({ id: 'wmR3kT9pAAAXv2LqN8cYh5sWd0EbUjZf' });
  });

  it('is stable for any pair, and a null roomid is 1:1 too', () => {
    for (const [x, y] of [['a', 'b'], ['wmZ', 'liu'], ['13800138000', 'zhou'], ['同事', 'b']] as const) {
      const one = normalizeOk({ ...fixture('text'), from: x, tolist: [y] }).record.conversation;
      const other = normalizeOk({ ...fixture('text'), from: y, tolist: [x], roomid: null }).record.conversation;
      expect(other).toEqual(one);
      expect(one.type).toBe('direct');
    }
  });

  it('puts a group message in its room, to every other member', () => {
    const r = norm('text-group-quote').record;
    expect(r.conversation).toEqual({ id: 'wrK8vN3qAAAm5Ht2Xc9LpZ7rW4yBs1Ud', type: 'group' });
    expect(r.from).toEqual({ id: 'liuyang' });
    expect(r.to?.map((p) => p.id)).toEqual(['zhouwei', 'chenjing', 'wmR3kT9pAAAXv2LqN8cYh5sWd0EbUjZf', '0000913']);
  });

  it('marks external and upstream/downstream messages', () => {
    expect(norm('text').record.wecom.external).toBe(true);
    expect(norm('text-group-quote').record.wecom.external).toBeUndefined();
    expect(normalizeOk({ ...fixture('text-group-quote'), msgid: '123_1749531600_updown_stream' }).record.wecom.upDownStream).toBe(true);
  });
});

describe('recalls, consent and switch', () => {
  it('turns a revoke into a recall of the original, whether it comes before or after it', () => {
    const early = norm('revoke-before-original').record;
    expect(early).toMatchObject({ type: 'recall', recalls: fixture('text-recalled-after-revoke').msgid });
    expect(norm('text-recalled-after-revoke').record.time).toBeLessThan(early.time as number);
    const late = norm('revoke-after-original').record;
    expect(late).toMatchObject({ type: 'recall', recalls: fixture('text-to-be-recalled').msgid });
    expect(late.conversation).toEqual(norm('text-to-be-recalled').record.conversation);
  });

  it('reports agree/disagree as consent events for the ledger, and records them as system messages', () => {
    const agree = norm('agree');
    expect(agree.event).toEqual({
      kind: 'consent', decision: 'agree', externalUserId: 'wo7HqJ2mAAAcE4rTz9XnK1pVb6GsLyWd', timeMs: fixture('agree').msgtime,
      msgid: fixture('agree').msgid, corpId: ctx.corpId, conversation: agree.record.conversation, counterpartIds: ['zhouwei'],
    });
    expect(agree.record.type).toBe('system');
    const disagree = norm('disagree');
    expect(disagree.event).toMatchObject({ kind: 'consent', decision: 'disagree', externalUserId: 'wmR3kT9pAAAXv2LqN8cYh5sWd0EbUjZf', counterpartIds: ['liuyang'] });
    expect(disagree.record.conversation).toEqual({ id: 'liuyang|wmR3kT9pAAAXv2LqN8cYh5sWd0EbUjZf', type: 'direct' });
  });

  it('falls back to the sender and msgtime when the consent payload is sparse', () => {
    const json: Json = { ...fixture('agree'), agree: {} };
    expect(normalizeOk(json).event).toMatchObject({ externalUserId: json.from, timeMs: json.msgtime });
  });

  it('records a switch as a system event of the member', () => {
    const json = fixture('switch');
    const r = norm('switch');
    expect(r.event).toEqual({ kind: 'switch', userId: 'chenjing', timeMs: json.time, msgid: json.msgid, corpId: ctx.corpId });
    expect(r.record).toMatchObject({ type: 'system', from: { id: 'chenjing' }, to: [], conversation: { id: 'system:chenjing', type: 'direct' }, time: json.time });
    expect(r.record.wecom).toMatchObject({ action: 'switch' });
  });

  it('gives no event for ordinary messages', () => {
    expect(norm('text').event).toBeUndefined();
  });
});

describe('calls', () => {
  it('records voiptext as a call with its duration', () => {
    expect(norm('voiptext').record.call).toEqual({ media: 'voice', durationSeconds: 183 });
    expect(norm('voiptext').record.wecom.content).toMatchObject({ inviteType: 2 });
  });

  it('derives a recorded meeting call duration from its end and the message time', () => {
    const json = fixture('meeting_voice_call');
    const end = (json.meeting_voice_call as Json).endtime as number;
    const r = norm('meeting_voice_call');
    expect(r.record.call).toEqual({ media: 'voice', durationSeconds: Math.round(end - (json.msgtime as number) / 1000) });
    expect(r.record.wecom.content).toMatchObject({ durationDerivedFrom: 'endtime - msgtime', voiceId: json.voiceid });
  });

  it('keeps a recorded call without a usable end as the voice recording it is', () => {
    const json = fixture('meeting_voice_call');
    delete (json.meeting_voice_call as Json).endtime;
    const r = normalizeOk(json);
    expect(r.record.type).toBe('voice');
    expect(r.record.call).toBeUndefined();
    expect(r.media).toHaveLength(1);
  });
});

describe('other details', () => {
  it('archives an unknown msgtype as other, its type and payload kept', () => {
    const r = norm('unknown-solitaire');
    expect(r.record).toMatchObject({ type: 'other', originalType: 'solitaire' });
    expect(r.record.wecom.content?.payload).toEqual(fixture('unknown-solitaire').solitaire);
    const archived = toArchiveRecord(recordInputSchema.parse(r.record));
    expect(archived.type).toBe('other');
    expect(archived.fields?.originalType).toBe('solitaire');
    expect(archived.raw).toEqual(fixture('unknown-solitaire'));
  });

  it('does not mistake a msgtype named like an object property for a known one', () => {
    expect(normalizeOk({ ...fixture('text'), msgtype: 'constructor' }).record.type).toBe('other');
  });

  it('reads a 10-digit msgtime as seconds', () => {
    const json = fixture('msgtime-in-seconds');
    const r = norm('msgtime-in-seconds');
    expect(r.record.time).toBe((json.msgtime as number) * 1000);
    expect(r.record.wecom.msgtimeInSeconds).toBe(true);
  });

  it('reads vote fields under `vote` as well as at the top level', () => {
    const top = fixture('vote');
    const nested = { msgid: top.msgid, action: 'send', from: top.from, tolist: top.tolist, roomid: top.roomid, msgtime: top.msgtime, msgtype: 'vote', vote: { votetitle: top.votetitle, voteitem: top.voteitem, votetype: 102, voteid: top.voteid } };
    expect(normalizeOk(nested).record.wecom.content).toMatchObject({ title: '团建地点投票', action: 'participate', voteId: top.msgid });
    expect(norm('vote').record.wecom.content).toMatchObject({ action: 'start', options: ['太湖', '阳澄湖', '西山岛'] });
  });

  it('normalizes payload times to UTC ms and keeps big ids exact', () => {
    const meeting = norm('meeting').record.wecom.content as Json;
    const raw = fixture('meeting').meeting as Json;
    expect(meeting.startTimeMs).toBe((raw.starttime as number) * 1000);
    expect(meeting.meetingId).toBe('1306387532719845201');
    const collect = norm('collect').record.wecom.content as Json;
    expect(collect.createTime).toBe('2025-06-10 13:40:05');
    expect(collect.createTimeMs).toBe(Date.parse('2025-06-10T13:40:05+08:00'));
  });

  it('tolerates what WeCom and relays are known to vary: nulls, numeric ids, quoted numbers', () => {
    const json: Json = { ...fixture('video'), tolist: ['zhouwei', 1000000444696, ''], roomid: null };
    Object.assign(json.video as Json, { filesize: '1834021', play_length: null });
    const r = normalizeOk(json);
    expect(r.record.to).toEqual([{ id: 'zhouwei' }, { id: '1000000444696' }]);
    expect(r.media[0]?.filesize).toBe(1834021);
    expect(r.record.conversation.type).toBe('direct');
  });
});

describe('parseDecryptedMessage', () => {
  it('strips raw control characters inside strings and counts them', () => {
    const text = readFileSync(new URL('text-with-control-chars.txt', FIXTURE_DIR), 'utf8');
    expect(() => JSON.parse(text)).toThrow();
    const parsed = parseDecryptedMessage(text);
    expect(parsed.strippedControlChars).toBe(3);
    const r = normalizeOk(parsed.json, { ...ctx, strippedControlChars: parsed.strippedControlChars });
    expect(r.record.text).toBe('合同编号 HT-2025-0610 已签署');
    expect(r.strippedControlChars).toBe(3);
    expect(r.record.wecom.strippedControlChars).toBe(3);
  });

  it('counts control characters stripped from nested contents too', () => {
    const json = fixture('chatrecord');
    const first = ((json.chatrecord as Json).item as Json[])[0] as Json;
    first.content = '{"content":"交货\u0002期"}';
    const r = normalizeOk(json);
    expect(r.strippedControlChars).toBe(1);
    expect(r.record.text).toContain('交货期');
  });

  it('parses clean JSON as is, also with a BOM and pretty-printed', () => {
    const json = fixture('text');
    expect(parseDecryptedMessage(JSON.stringify(json))).toEqual({ json, strippedControlChars: 0, quotedBigIntegers: 0 });
    expect(parseDecryptedMessage(`\uFEFF${JSON.stringify(json, null, 2)}`).json).toEqual(json);
  });

  it('drops a raw newline or tab inside a string and stray control characters between tokens', () => {
    const parsed = parseDecryptedMessage('{"a":"x\ny\tz",\u0000"b":\\u0001}'.replace('\\u0001', '1'));
    expect(parsed).toEqual({ json: { a: 'xyz', b: 1 }, strippedControlChars: 3, quotedBigIntegers: 0 });
    expect(parseDecryptedMessage('{"a":"back\\\u0003slash"}').json).toEqual({ a: 'backslash' });
  });

  it('keeps integers beyond 2^53 exact as strings, and leaves digits inside strings alone', () => {
    const parsed = parseDecryptedMessage('{"meetingid":1306387532719845201,"n":-12345678901234567890,"ok":1749531600123,"s":"12345678901234567890","f":1.5e3}');
    expect(parsed.json).toEqual({ meetingid: '1306387532719845201', n: '-12345678901234567890', ok: 1749531600123, s: '12345678901234567890', f: 1500 });
    expect(parsed.quotedBigIntegers).toBe(2);
  });

  it('throws a content-free error when the text is not JSON', () => {
    expect(() => parseDecryptedMessage('{"content":"机密合同')).toThrow(new SyntaxError('decrypted message is not valid JSON'));
  });
});

describe('malformed messages', () => {
  const base = (): Json => fixture('text');
  const cases: [string, () => unknown, string][] = [
    ['not an object', () => [base()], '(message)'],
    ['missing msgid', () => ({ ...base(), msgid: undefined }), 'msgid: is required'],
    ['empty msgid', () => ({ ...base(), msgid: '' }), 'msgid'],
    ['numeric msgid', () => ({ ...base(), msgid: 42 }), 'msgid: must be a string'],
    ['missing msgtime', () => ({ ...base(), msgtime: undefined }), 'msgtime: is required'],
    ['msgtime as text', () => ({ ...base(), msgtime: 'yesterday' }), 'msgtime: must be an integer'],
    ['fractional msgtime', () => ({ ...base(), msgtime: 1749531637534.5 }), 'msgtime'],
    ['negative msgtime', () => ({ ...base(), msgtime: -5 }), 'msgtime'],
    ['msgtime before 1980', () => ({ ...base(), msgtime: 1000 }), 'msgtime: is outside'],
    ['missing from', () => ({ ...base(), from: undefined }), 'from: is required'],
    ['tolist not a list', () => ({ ...base(), tolist: 'zhouwei' }), 'tolist'],
    ['roomid not a string', () => ({ ...base(), roomid: 7 }), 'roomid'],
    ['missing msgtype', () => ({ ...base(), msgtype: undefined }), 'msgtype: is required'],
    ['missing payload', () => ({ ...base(), text: undefined }), 'text: is required'],
    ['text content a number', () => ({ ...base(), text: { content: 12 } }), 'text.content: must be a string'],
    ['payload not an object', () => ({ ...base(), text: 'hello' }), 'text: must be an object'],
    ['image without sdkfileid', () => ({ ...fixture('image'), image: { md5sum: 'ab', filesize: 3 } }), 'image.sdkfileid: is required'],
    ['file size garbage', () => ({ ...fixture('file'), file: { ...(fixture('file').file as Json), filesize: 'big' } }), 'file.filesize: must be an integer'],
    ['chatrecord items not a list', () => ({ ...fixture('chatrecord'), chatrecord: { title: 't', item: 'x' } }), 'chatrecord.item'],
    ['docmsg payload under the wrong key', () => ({ ...fixture('docmsg'), doc: undefined, docmsg: fixture('docmsg').doc }), 'doc: is required'],
    ['revoke without pre_msgid', () => ({ ...fixture('revoke-after-original'), revoke: {} }), 'revoke.pre_msgid: is required'],
    ['revoke without payload', () => ({ ...fixture('revoke-after-original'), revoke: undefined }), 'revoke.pre_msgid'],
    ['switch without user', () => ({ ...fixture('switch'), user: undefined }), 'user: is required'],
    ['switch with a bad time', () => ({ ...fixture('switch'), time: '2025-06-10' }), 'time: must be an integer'],
  ];
  it.each(cases)('%s → ok:false naming the field', (_label, make, reason) => {
    expect(reasonOf(make())).toContain(reason);
  });

  it('refuses a source the canonical schema refuses', () => {
    const r = normalizeWeComMessage(fixture('text'), { ...ctx, source: 'wecom/bad' });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('source') as unknown });
  });
});

describe('the record type', () => {
  it('is assignable where the canonical input is expected', () => {
    const r: WeComRecordInput = norm('text').record;
    const parsed = recordInputSchema.parse(r);
    expect(parsed.type).toBe('text');
  });
});
