/**
 * Message contents for the PC 4.x, iOS and WeChatMsg CSV fixtures, written by us from the shapes the
 * reference documents (shared/reference/ingest-formats.md B.1 type table, C.1 appmsg, C.2 quote,
 * C.3 emoji, C.4 revoke). Ids, names and texts are invented.
 */

export const OWNER = 'wxid_owner8k2';
export const OWNER_NAME = '周经理';
export const PEER = 'wxid_zhang3x';
export const PEER_NAME = '张三';
export const PEER_REMARK = '张三（供应商）';
export const ROOM = '20260301888@chatroom';
export const ROOM_NAME = '华东项目群';
export const MEMBER_LI = 'wxid_li4mem';
export const MEMBER_LI_NAME = '李四';
export const MEMBER_WANG = 'wxid_wang5m';
export const MEMBER_WANG_NAME = '王经理';
export const MEMBER_WANG_ROOM_NAME = '王总（甲方）';

/** 2026-03-02 09:00:00 +08:00, epoch seconds. */
export const BASE_TIME = 1772413200;

export const IMAGE_MD5 = 'a3f1c2d4e5b60718293a4b5c6d7e8f90';
export const VIDEO_MD5 = 'b4e2d3c4f5a60718293a4b5c6d7e8f91';
export const FILE_NAME = '报价单2026.docx';

export const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const content = {
  text: (s: string): string => s,
  image: (md5 = IMAGE_MD5): string => `<?xml version="1.0"?>\n<msg>\n\t<img aeskey="0f1e2d3c4b5a69788796a5b4c3d2e1f0" encryver="1" cdnthumblength="2048" length="4096" md5="${md5}" hdlength="0" />\n</msg>\n`,
  voice: (ms: number, from: string): string => `<msg><voicemsg endflag="1" cancelflag="0" forwardflag="0" voiceformat="4" voicelength="${ms}" length="3120" bufid="0" clientmsgid="41636564${ms}" fromusername="${from}" /></msg>`,
  video: (md5 = VIDEO_MD5): string => `<?xml version="1.0"?>\n<msg>\n\t<videomsg aeskey="1a2b3c" cdnthumblength="1024" length="20480" playlength="3" md5="${md5}" fromusername="${OWNER}" />\n</msg>`,
  emoji: (from: string, to: string): string => `<msg><emoji fromusername="${from}" tousername="${to}" type="2" md5="c5f3e4d5a6b70819203a4b5c6d7e8f92" len="20480" productid="" cdnurl="http://emoji.example.invalid/abc" width="240" height="240" /></msg>`,
  location: (): string => `<?xml version="1.0"?>\n<msg>\n\t<location x="31.230416" y="121.473701" scale="16" label="上海市黄浦区人民大道200号" maptype="roadmap" poiname="人民广场" poiid="" />\n</msg>`,
  card: (): string => `<?xml version="1.0"?>\n<msg bigheadimgurl="" smallheadimgurl="" username="wxid_chenlaw9" nickname="陈律师" fullpy="chenlvshi" alias="chen_lawyer" province="上海" city="黄浦" sex="1" certflag="0" />`,
  link: (title: string, des: string, url: string): string =>
    `<?xml version="1.0"?>\n<msg>\n\t<appmsg appid="" sdkver="0">\n\t\t<title>${xmlEscape(title)}</title>\n\t\t<des>${xmlEscape(des)}</des>\n\t\t<type>5</type>\n\t\t<url>${xmlEscape(url)}</url>\n\t</appmsg>\n\t<fromusername>${OWNER}</fromusername>\n</msg>`,
  file: (name = FILE_NAME, size = 512): string =>
    `<?xml version="1.0"?>\n<msg>\n\t<appmsg appid="" sdkver="0">\n\t\t<title>${xmlEscape(name)}</title>\n\t\t<type>6</type>\n\t\t<appattach>\n\t\t\t<totallen>${size}</totallen>\n\t\t\t<attachid>@cdn_fake_1</attachid>\n\t\t\t<fileext>docx</fileext>\n\t\t</appattach>\n\t\t<md5>d6a4f5e6b7c8091a2b3c4d5e6f708192</md5>\n\t</appmsg>\n</msg>`,
  quote: (reply: string, quotedServerId: string, quotedSender: string, quotedName: string, quotedText: string): string =>
    `<?xml version="1.0"?>\n<msg>\n\t<appmsg appid="" sdkver="0">\n\t\t<title>${xmlEscape(reply)}</title>\n\t\t<type>57</type>\n\t\t<refermsg>\n\t\t\t<type>1</type>\n\t\t\t<svrid>${quotedServerId}</svrid>\n\t\t\t<fromusr>${quotedSender}</fromusr>\n\t\t\t<chatusr>${quotedSender}</chatusr>\n\t\t\t<displayname>${xmlEscape(quotedName)}</displayname>\n\t\t\t<content>${xmlEscape(quotedText)}</content>\n\t\t\t<createtime>${BASE_TIME}</createtime>\n\t\t</refermsg>\n\t</appmsg>\n</msg>`,
  transfer: (): string =>
    `<msg><appmsg appid="" sdkver=""><title><![CDATA[微信转账]]></title><des><![CDATA[收到转账1,280.00元]]></des><type>2000</type><wcpayinfo><paysubtype>1</paysubtype><feedesc><![CDATA[￥1,280.00]]></feedesc><transferid>1000050001202603020001</transferid><pay_memo><![CDATA[样品费]]></pay_memo></wcpayinfo></appmsg></msg>`,
  redPacket: (): string =>
    `<msg><appmsg appid="" sdkver=""><title><![CDATA[恭喜发财，大吉大利]]></title><des><![CDATA[我给你发了一个红包，赶紧去拆!]]></des><type>2001</type><wcpayinfo><scenetext>微信红包</scenetext><sendertitle><![CDATA[开工大吉]]></sendertitle></wcpayinfo></appmsg></msg>`,
  miniProgram: (): string =>
    `<msg><appmsg appid="" sdkver="0"><title>报销单填写</title><des></des><type>33</type><sourcedisplayname>费控助手</sourcedisplayname><weappinfo><username><![CDATA[gh_0a1b2c3d4e5f@app]]></username><appid><![CDATA[wx0123456789abcdef]]></appid><pagepath><![CDATA[pages/form/index.html]]></pagepath></weappinfo></appmsg></msg>`,
  chatRecord: (): string =>
    `<msg><appmsg appid="" sdkver="0"><title>群聊的聊天记录</title><des>王经理: 价格再降5%\n李四: 需要请示</des><type>19</type><recorditem><![CDATA[<recordinfo><title>群聊的聊天记录</title><datalist count="2"><dataitem datatype="1" dataid="1"><sourcename>王经理</sourcename><sourcetime>2026-03-01 10:00</sourcetime><datadesc>价格再降5%</datadesc></dataitem><dataitem datatype="1" dataid="2"><sourcename>李四</sourcename><sourcetime>2026-03-01 10:01</sourcetime><datadesc>需要请示</datadesc></dataitem></datalist></recordinfo>]]></recorditem></appmsg></msg>`,
  channels: (): string =>
    `<msg><appmsg appid="" sdkver="0"><title>当前版本不支持展示该内容</title><type>51</type><finderFeed><objectId>1432109876543210987</objectId><nickname>行业观察</nickname><desc>新能源汽车出口数据解读</desc></finderFeed></appmsg></msg>`,
  call: (seconds: string): string =>
    `<voipmsg type="VoIPBubbleMsg"><VoIPBubbleMsg><msg><![CDATA[通话时长 ${seconds}]]></msg><room_type>1</room_type><red_dot>false</red_dot><roomid>0</roomid><roomkey>0</roomkey><inviteid>1772413900</inviteid><msg_type>100</msg_type><timestamp>1772413980123</timestamp><identity><![CDATA[8101712345]]></identity><duration>0</duration><inviteid64>1772413900123</inviteid64><business>1</business></VoIPBubbleMsg></voipmsg>`,
  system: (s: string): string => s,
  revoke: (session: string, localId: number, serverId: string, who: string): string =>
    `<sysmsg type="revokemsg"><revokemsg><session>${session}</session><msgid>${localId}</msgid><newmsgid>${serverId}</newmsgid><replacemsg><![CDATA["${who}" 撤回了一条消息]]></replacemsg></revokemsg></sysmsg>`,
  /** Not well-formed: the mapper must refuse it (the row is quarantined). */
  brokenAppMessage: (): string => '<msg><appmsg appid="" sdkver="0"><title>未闭合的标题</ti',
};
