import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapWeChatContent, type WeChatContentInput } from './message-content.js';

const map = (type: number, content: string, extra: Partial<WeChatContentInput> = {}) => mapWeChatContent({ type, subType: 0, content, isGroup: false, ...extra });
const appmsg = (inner: string) => `<?xml version="1.0"?>\n<msg>\n\t<appmsg appid="" sdkver="0">${inner}</appmsg>\n\t<fromusername>wxid_sender01</fromusername>\n</msg>`;

describe('WeChat message content → record fields', () => {
  it('text: the content as is, nothing parsed', () => {
    expect(map(1, '合同明天寄出 <b>不是标签</b>')).toEqual({ type: 'text', text: '合同明天寄出 <b>不是标签</b>', fields: {}, mediaHints: {}, problems: [] });
    expect(map(1, '')).toEqual({ type: 'text', fields: {}, mediaHints: {}, problems: [] });
  });

  it('image: md5 and size as hints, no text', () => {
    const r = map(3, '<?xml version="1.0"?><msg><img aeskey="k1" encryver="1" length="20480" hdlength="81920" md5="aa11bb22cc33dd44ee55ff6677889900" cdnthumbwidth="120" /></msg>');
    expect(r).toEqual({
      type: 'image',
      fields: { md5: 'aa11bb22cc33dd44ee55ff6677889900', sizeBytes: 20480, hdSizeBytes: 81920 },
      mediaHints: { kind: 'image', md5: 'aa11bb22cc33dd44ee55ff6677889900', sizeBytes: 20480 },
      problems: [],
    });
  });

  it('image with unreadable XML is still an image (the file carries it), the problem noted', () => {
    const r = map(3, '<msg><img md5="x"></msg>');
    expect(r.type).toBe('image');
    expect(r.problems).toEqual([]);
    expect(r.fields.contentUnreadable).toMatch(/^content: image XML is not well-formed/);
    expect(r.mediaHints.kind).toBe('image');
  });

  it('voice: length in ms, and the transcript WeChat made is searchable', () => {
    const r = map(34, '<msg><voicemsg endflag="1" voiceformat="4" voicelength="4350" length="7012" /><voicetrans transtext="下午三点开会" /></msg>');
    expect(r).toMatchObject({ type: 'voice', text: '下午三点开会', fields: { durationMs: 4350, sizeBytes: 7012, transcript: '下午三点开会' }, mediaHints: { kind: 'voice', voiceLengthMs: 4350 } });
    expect(map(34, 'wxid_member01:2300:0\n')).toMatchObject({ type: 'voice', fields: { durationMs: 2300 }, mediaHints: { kind: 'voice', voiceLengthMs: 2300 } });
  });

  it('card: the nickname and alias are searchable', () => {
    const r = map(42, '<?xml version="1.0"?>\n<msg bigheadimgurl="" smallheadimgurl="" username="wxid_card77" nickname="陈律师" alias="chen_law" province="上海" city="" sex="1" certflag="0" />');
    expect(r).toEqual({
      type: 'card',
      text: '陈律师\nchen_law',
      fields: { username: 'wxid_card77', nickname: '陈律师', alias: 'chen_law', province: '上海' },
      mediaHints: {},
      problems: [],
    });
  });

  it('video: md5, size and play length', () => {
    const r = map(43, '<msg><videomsg aeskey="k" length="991234" playlength="12" md5="0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f" /></msg>');
    expect(r).toMatchObject({ type: 'video', fields: { md5: '0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f', sizeBytes: 991234, durationSeconds: 12 }, mediaHints: { kind: 'video', videoSeconds: 12 } });
    expect(map(62, '<msg><videomsg playlength="3" /></msg>').type).toBe('video');
  });

  it('emoji: md5 and CDN url (with its escaped ampersand decoded)', () => {
    const r = map(47, '<msg><emoji fromusername="a" tousername="b" type="2" md5="e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1" len="1234" productid="" cdnurl="http://emoji.example/x?a=1&amp;b=2" width="240" height="240" /></msg>');
    expect(r).toEqual({
      type: 'emoji',
      fields: { md5: 'e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1', url: 'http://emoji.example/x?a=1&b=2', width: 240, height: 240 },
      mediaHints: { kind: 'emoji', md5: 'e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1', url: 'http://emoji.example/x?a=1&b=2' },
      problems: [],
    });
  });

  it('location: POI name and label searchable, x is the latitude', () => {
    const r = map(48, '<?xml version="1.0"?>\n<msg>\n\t<location x="31.230416" y="121.473701" scale="16" label="上海市黄浦区人民大道200号" poiname="人民广场" maptype="roadmap" />\n</msg>');
    expect(r).toEqual({
      type: 'location',
      text: '人民广场\n上海市黄浦区人民大道200号',
      fields: { poiName: '人民广场', label: '上海市黄浦区人民大道200号', latitude: 31.230416, longitude: 121.473701, scale: 16 },
      mediaHints: {},
      problems: [],
    });
  });

  it('link (5): title, description, source and URL', () => {
    const r = map(49, appmsg('<title>新版报价说明</title><des>2026 年价格调整</des><type>5</type><url>https://news.example/p?id=7&amp;s=1</url><sourcedisplayname>行业周刊</sourcedisplayname>'), { subType: 5 });
    expect(r).toEqual({
      type: 'link',
      text: '新版报价说明\n2026 年价格调整\n行业周刊\nhttps://news.example/p?id=7&s=1',
      fields: { appType: 5, kind: 'link', title: '新版报价说明', description: '2026 年价格调整', url: 'https://news.example/p?id=7&s=1', appName: '行业周刊' },
      mediaHints: {},
      problems: [],
    });
  });

  it('music (3) is a link', () => {
    expect(map(49, appmsg('<title>夜曲</title><des>周杰伦</des><type>3</type><url>http://music.example/1</url>'))).toMatchObject({ type: 'link', fields: { kind: 'music' }, text: '夜曲\n周杰伦\nhttp://music.example/1' });
  });

  it('file (6): the file name is searchable and the hint for the reader', () => {
    const r = map(49, appmsg('<title>采购合同v3.docx</title><type>6</type><appattach><totallen>52341</totallen><attachid>@cdn_x</attachid><fileext>docx</fileext></appattach><md5>abcdefabcdefabcdefabcdefabcdefab</md5>'), { subType: 6 });
    expect(r).toEqual({
      type: 'file',
      text: '采购合同v3.docx',
      fields: { appType: 6, kind: 'file', fileName: '采购合同v3.docx', fileExt: 'docx', sizeBytes: 52341, md5: 'abcdefabcdefabcdefabcdefabcdefab' },
      mediaHints: { kind: 'file', fileName: '采购合同v3.docx', fileExt: 'docx', sizeBytes: 52341, md5: 'abcdefabcdefabcdefabcdefabcdefab' },
      problems: [],
    });
  });

  it('quote (57): the reply and the quoted text are searchable, the quoted svrid is the parent', () => {
    const r = map(49, appmsg('<title>好的，我周五前确认</title><type>57</type><refermsg><type>1</type><svrid>8734529871234567890</svrid><fromusr>12345678@chatroom</fromusr><chatusr>wxid_boss01</chatusr><displayname>王总</displayname><content>报价单周五前能发吗</content><createtime>1772414160</createtime></refermsg>'), { isGroup: true });
    expect(r).toEqual({
      type: 'text',
      text: '好的，我周五前确认\n报价单周五前能发吗',
      quotedServerId: '8734529871234567890',
      fields: {
        appType: 57, kind: 'quote', title: '好的，我周五前确认',
        quote: { serverId: '8734529871234567890', type: 1, fromUser: 'wxid_boss01', displayName: '王总', text: '报价单周五前能发吗', createTimeMs: 1772414160000 },
      },
      mediaHints: {},
      problems: [],
    });
  });

  it('quote of a link: the nested message is read for its words', () => {
    const nested = appmsg('<title>行业报告</title><type>5</type><url>https://r.example</url>').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const r = map(49, appmsg(`<title>看这个</title><type>57</type><refermsg><type>49</type><svrid>11</svrid><content>wxid_x1:\n${nested}</content></refermsg>`), { isGroup: true });
    expect(r.text).toBe('看这个\n行业报告\nhttps://r.example');
    expect(r.quotedServerId).toBe('11');
  });

  it('chat record bundle (19): every item is searchable and listed', () => {
    const record = '<recordinfo><title>群聊的聊天记录</title><desc>张三: 早\n李四: [图片]</desc><datalist count="3">'
      + '<dataitem datatype="1" dataid="d1"><datadesc>发票已开 &amp; 寄出</datadesc><sourcename>张三</sourcename><sourcetime>2026-03-01 09:00</sourcetime></dataitem>'
      + '<dataitem datatype="2" dataid="d2"><datadesc>[图片]</datadesc><sourcename>李四</sourcename><datafmt>jpg</datafmt><datasize>2048</datasize><fullmd5>ab</fullmd5></dataitem>'
      + '<dataitem datatype="17" dataid="d3"><datatitle>更早的记录</datatitle><recordxml><recordinfo><datalist><dataitem datatype="1"><datadesc>嵌套的一句话</datadesc><sourcename>王五</sourcename></dataitem></datalist></recordinfo></recordxml></dataitem>'
      + '</datalist></recordinfo>';
    const r = map(49, appmsg(`<title>群聊的聊天记录</title><des>张三: 早</des><type>19</type><recorditem><![CDATA[${record}]]></recorditem>`));
    expect(r.type).toBe('chatrecord');
    expect(r.text).toBe('群聊的聊天记录\n张三: 早\n发票已开 & 寄出\n[图片]\n更早的记录\n嵌套的一句话');
    expect(r.fields.items).toEqual([
      { type: 'text', sender: '张三', time: '2026-03-01 09:00', text: '发票已开 & 寄出' },
      { type: 'image', sender: '李四', text: '[图片]', fileExt: 'jpg', sizeBytes: 2048, md5: 'ab' },
      { type: 'chatrecord', title: '更早的记录', items: [{ type: 'text', sender: '王五', text: '嵌套的一句话' }] },
    ]);
    // The same bundle with the inner XML escaped instead of in CDATA.
    const escaped = record.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(map(49, appmsg(`<title>群聊的聊天记录</title><type>19</type><recorditem>${escaped}</recorditem>`)).fields.items).toEqual(r.fields.items);
  });

  it('chat record with an unreadable inner XML keeps its title and says so', () => {
    const r = map(49, appmsg('<title>聊天记录</title><type>19</type><recorditem><![CDATA[<recordinfo><datalist>]]></recorditem>'));
    expect(r).toMatchObject({ type: 'chatrecord', text: '聊天记录', problems: [] });
    expect(r.fields.itemsUnreadable).toMatch(/^content\.recorditem: chat record XML is not well-formed/);
  });

  it('transfer (2000): amount and memo searchable', () => {
    const r = map(49, appmsg('<title>微信转账</title><des>收到转账1000.00元</des><type>2000</type><wcpayinfo><paysubtype>1</paysubtype><feedesc>￥1,000.00</feedesc><transferid>1000050001202603</transferid><pay_memo>三月房租</pay_memo></wcpayinfo>'));
    expect(r).toEqual({
      type: 'transfer',
      text: '微信转账\n收到转账1000.00元\n￥1,000.00\n三月房租',
      fields: { appType: 2000, kind: 'transfer', amount: '￥1,000.00', memo: '三月房租', paySubType: 1, transferState: 'sent', transferId: '1000050001202603' },
      mediaHints: {},
      problems: [],
    });
  });

  it('red packet (2001): the wish is searchable', () => {
    const r = map(49, appmsg('<title>微信红包</title><des>我给你发了一个红包</des><type>2001</type><wcpayinfo><sendertitle>恭喜发财，大吉大利</sendertitle><scenetext>微信红包</scenetext></wcpayinfo>'));
    expect(r).toMatchObject({ type: 'redpacket', text: '微信红包\n我给你发了一个红包\n恭喜发财，大吉大利', fields: { wish: '恭喜发财，大吉大利', sceneText: '微信红包' } });
  });

  it('mini-program (33/36): title and app name', () => {
    const r = map(49, appmsg('<title>订单详情</title><type>33</type><sourcedisplayname>快递助手</sourcedisplayname><weappinfo><username>gh_abc@app</username><appid>wx123</appid><pagepath>pages/order.html?id=9</pagepath></weappinfo>'));
    expect(r).toEqual({
      type: 'miniprogram',
      text: '订单详情\n快递助手',
      fields: { appType: 33, kind: 'miniprogram', title: '订单详情', appName: '快递助手', appId: 'wx123', username: 'gh_abc@app', pagePath: 'pages/order.html?id=9' },
      mediaHints: {},
      problems: [],
    });
  });

  it('channels feed (51): account and description searchable', () => {
    const r = map(49, appmsg('<title>当前微信版本不支持展示该内容</title><type>51</type><finderFeed><objectId>140</objectId><nickname>城市观察</nickname><desc>外滩夜景</desc></finderFeed>'));
    expect(r).toMatchObject({ type: 'link', fields: { kind: 'channels', feed: { nickname: '城市观察', description: '外滩夜景', objectId: '140' } } });
    expect(r.text).toContain('城市观察');
    expect(r.text).toContain('外滩夜景');
  });

  it('an unknown app type is `other`, its words searchable and its XML kept', () => {
    const xml = appmsg('<title>新玩法</title><des>说明</des><type>999</type>');
    expect(map(49, xml)).toEqual({
      type: 'other',
      originalType: '49/999',
      text: '新玩法\n说明',
      fields: { appType: 999, title: '新玩法', description: '说明', xml },
      mediaHints: {},
      problems: [],
    });
  });

  it('an app message whose XML is broken is a problem naming the field', () => {
    const r = map(49, '<msg><appmsg><title>机密</title><type>5</type></msg>');
    expect(r.problems).toEqual([expect.stringMatching(/^content: app message XML is not well-formed \(line 1\)$/)]);
    expect(map(49, '<msg><other/></msg>').problems).toEqual(['content: app message XML has no <appmsg> element']);
  });

  it('calls: PC bubble (room_type 1 voice, 0 video) and Android invite forms', () => {
    expect(map(50, '<voipmsg type="VoIPBubbleMsg"><VoIPBubbleMsg><msg><![CDATA[通话时长 01:23]]></msg><room_type>1</room_type><duration>0</duration></VoIPBubbleMsg></voipmsg>')).toEqual({
      type: 'call', text: '通话时长 01:23', call: { media: 'voice', durationSeconds: 83 },
      fields: { media: 'voice', durationSeconds: 83, status: '通话时长 01:23', roomType: 1 }, mediaHints: {}, problems: [],
    });
    expect(map(50, '<voipmsg type="VoIPBubbleMsg"><VoIPBubbleMsg><msg><![CDATA[对方已取消]]></msg><room_type>0</room_type></VoIPBubbleMsg></voipmsg>').call).toEqual({ media: 'video', durationSeconds: 0 });
    expect(map(50, '<voipinvitemsg><roomid>1</roomid><status>2</status><invitetype>1</invitetype></voipinvitemsg><voiplocalinfo><wordingtype>4</wordingtype><duration>3725</duration></voiplocalinfo>')).toMatchObject({
      type: 'call', call: { media: 'voice', durationSeconds: 3725 }, fields: { inviteType: 1 },
    });
  });

  it('system notices: plain text without markup; recall notices flagged', () => {
    expect(map(10000, '"李四" 邀请"王五"加入了群聊')).toEqual({ type: 'system', text: '"李四" 邀请"王五"加入了群聊', fields: {}, mediaHints: {}, problems: [] });
    expect(map(10000, '你撤回了一条消息 <a href="weixin://revoke_edit_click">重新编辑</a>')).toMatchObject({ type: 'system', text: '你撤回了一条消息 重新编辑', fields: { notice: 'recall' } });
    expect(map(10000, '<![CDATA["张三" 拍了拍 "李四"]]>', { subType: 4 })).toMatchObject({ text: '"张三" 拍了拍 "李四"', fields: { notice: 'pat', subType: 4 } });
  });

  it('revoke (10002 revokemsg): a recall of the revoked message server id', () => {
    const r = map(10002, '<sysmsg type="revokemsg"><revokemsg><session>wxid_peer01</session><oldmsgid>1</oldmsgid><msgid>1043</msgid><newmsgid>6543210987654321098</newmsgid><replacemsg><![CDATA["陈律师" 撤回了一条消息]]></replacemsg></revokemsg></sysmsg>');
    expect(r).toEqual({
      type: 'recall',
      text: '"陈律师" 撤回了一条消息',
      recallsServerId: '6543210987654321098',
      fields: { sysmsgType: 'revokemsg', revokedLocalId: '1043', revokedServerId: '6543210987654321098', session: 'wxid_peer01' },
      mediaHints: {},
      problems: [],
    });
    // Without a server id it cannot be linked: a system notice.
    expect(map(10002, '<sysmsg type="revokemsg"><revokemsg><msgid>5</msgid></revokemsg></sysmsg>')).toMatchObject({ type: 'system', fields: { notice: 'recall' } });
    // WeChat 4.x puts the same XML in a 10000 row.
    expect(map(10000, '<sysmsg type="revokemsg"><revokemsg><newmsgid>77</newmsgid></revokemsg></sysmsg>').recallsServerId).toBe('77');
  });

  it('other sysmsg kinds: their readable text', () => {
    expect(map(10002, '<sysmsg type="pat"><pat><fromusername>wxid_a</fromusername><template><![CDATA["${wxid_a}" 拍了拍我]]></template></pat></sysmsg>')).toMatchObject({ type: 'system', text: '"${wxid_a}" 拍了拍我', fields: { sysmsgType: 'pat' } });
  });

  it('an unknown type is `other` with its original type; plain content stays searchable', () => {
    expect(map(35, 'mail body words')).toEqual({ type: 'other', originalType: '35', text: 'mail body words', fields: {}, mediaHints: {}, problems: [] });
    expect(mapWeChatContent({ type: 9999, subType: 3, content: '<x><y>words in xml</y></x>', isGroup: false })).toMatchObject({ type: 'other', originalType: '9999/3', text: 'words in xml', problems: [] });
  });

  it('never throws, whatever the content and type', () => {
    const types = fc.constantFrom(1, 3, 34, 37, 42, 43, 47, 48, 49, 50, 62, 10000, 10002, 12345);
    const content = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom('<', '>', '/', 'msg', 'appmsg', 'type', '57', '19', 'refermsg', 'recorditem', '&', ';', '"', '=', ' ', '![CDATA[', ']]>') }),
      fc.string().map((s) => appmsg(`<title>${s}</title><type>57</type><refermsg><type>49</type><content>${s}</content></refermsg>`)),
    );
    fc.assert(
      fc.property(types, fc.integer({ min: 0, max: 3000 }), content, fc.boolean(), (type, subType, c, isGroup) => {
        const r = mapWeChatContent({ type, subType, content: c, isGroup });
        expect(typeof r.type).toBe('string');
        for (const p of r.problems) expect(p).toMatch(/^content/);
      }),
      { numRuns: 400 },
    );
  });
});
