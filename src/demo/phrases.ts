import type { Conversation, Lang, Person, TopicKey } from './company.js';
import type { Rng } from './prng.js';

/**
 * Sentence templates and vocabulary of business chat, written for WeKeep's demo corpus:
 * Simplified Chinese (most), Traditional Chinese (Hong Kong / Taiwan flavour) and English, with
 * mixed-language lines, amounts, dates, order numbers, phone numbers, URLs and emoji.
 *
 * A template is a string with `{slot}` placeholders. Slots marked sticky keep their value for the
 * whole chat session (the same order number, amount and date recur across an exchange).
 */

export interface PhraseContext {
  rng: Rng;
  lang: Lang;
  timeMs: number;
  speaker: Person;
  addressee: Person;
  conv: Conversation;
  /** Values that stay the same within one chat session. */
  facts: Map<string, string | number>;
}

type SlotFn = (c: PhraseContext) => string;
type Part = string | SlotFn;
export type Template = readonly Part[];

// ---------------------------------------------------------------------------------------------
// Vocabulary

interface Product {
  hans: string;
  hant: string;
  en: string;
  unit: string;
  unitHant: string;
  unitEn: string;
  lo: number;
  hi: number;
}

const PRODUCTS: readonly Product[] = [
  { hans: '智能网关 HG-200', hant: '智能網關 HG-200', en: 'HG-200 IoT gateway', unit: '台', unitHant: '台', unitEn: 'units', lo: 1800, hi: 3200 },
  { hans: '边缘计算盒子 EB-3', hant: '邊緣運算盒 EB-3', en: 'EB-3 edge box', unit: '台', unitHant: '台', unitEn: 'units', lo: 6800, hi: 12000 },
  { hans: '温湿度传感器 TS-10', hant: '溫濕度感測器 TS-10', en: 'TS-10 temperature sensor', unit: '个', unitHant: '個', unitEn: 'pcs', lo: 98, hi: 260 },
  { hans: '冷链监控平台年度订阅', hant: '冷鏈監控平台年度訂閱', en: 'cold-chain monitoring subscription', unit: '套', unitHant: '套', unitEn: 'licences', lo: 20000, hi: 120000 },
  { hans: '仓储管理系统 WMS 企业版', hant: '倉儲管理系統 WMS 企業版', en: 'WMS Enterprise licence', unit: '套', unitHant: '套', unitEn: 'licences', lo: 50000, hi: 300000 },
  { hans: '安装调试服务', hant: '安裝調試服務', en: 'on-site installation', unit: '人天', unitHant: '人天', unitEn: 'man-days', lo: 1200, hi: 2500 },
  { hans: '4G 物联网卡', hant: '4G 物聯網卡', en: '4G IoT SIM card', unit: '张', unitHant: '張', unitEn: 'pcs', lo: 30, hi: 80 },
  { hans: '数据大屏定制开发', hant: '數據大屏定製開發', en: 'custom dashboard development', unit: '项', unitHant: '項', unitEn: 'projects', lo: 30000, hi: 150000 },
  { hans: '门磁报警器 DS-2', hant: '門磁警報器 DS-2', en: 'DS-2 door sensor', unit: '个', unitHant: '個', unitEn: 'pcs', lo: 60, hi: 150 },
];
const SUPPLIES: readonly Product[] = [
  { hans: '主控板 PCBA', hant: '主控板 PCBA', en: 'main board PCBA', unit: '片', unitHant: '片', unitEn: 'pcs', lo: 85, hi: 240 },
  { hans: '网关外壳模具', hant: '網關外殼模具', en: 'enclosure mould', unit: '套', unitHant: '套', unitEn: 'sets', lo: 18000, hi: 60000 },
  { hans: '锂电池 18650', hant: '鋰電池 18650', en: '18650 Li-ion cells', unit: '节', unitHant: '節', unitEn: 'pcs', lo: 8, hi: 22 },
  { hans: '包装纸箱', hant: '包裝紙箱', en: 'shipping cartons', unit: '个', unitHant: '個', unitEn: 'pcs', lo: 3, hi: 12 },
  { hans: '六类网线', hant: '六類網路線', en: 'CAT6 cable', unit: '箱', unitHant: '箱', unitEn: 'boxes', lo: 280, hi: 650 },
  { hans: '云服务器 8核16G', hant: '雲端伺服器 8核16G', en: 'cloud server 8 vCPU / 16 GB', unit: '台', unitHant: '台', unitEn: 'instances', lo: 3000, hi: 9000 },
  { hans: '导热硅胶垫', hant: '導熱矽膠墊', en: 'thermal pads', unit: '片', unitHant: '片', unitEn: 'pcs', lo: 1, hi: 6 },
];

const CITIES_HANS = ['上海', '苏州', '杭州', '南京', '深圳', '广州', '北京', '成都', '武汉', '西安', '青岛', '厦门'];
const CITIES_HANT = ['香港', '深圳', '台北', '新竹', '澳門', '上海', '新加坡'];
const CITIES_EN = ['Shanghai', 'Shenzhen', 'Hong Kong', 'Singapore', 'Hamburg', 'Rotterdam', 'Tokyo', 'Munich', 'Dubai'];
const ROOMS_HANS = ['3楼大会议室', '5楼小会议室', 'A座1205', '创新厅', '前台旁边的洽谈室', '线上（腾讯会议）'];
const CARRIERS_HANS = ['顺丰', '京东物流', '德邦', '中通', '圆通', '跨越速运'];
const CARRIERS_EN = ['DHL', 'FedEx', 'UPS', 'SF Express', 'Maersk'];
const CARRIERS_HANT = ['順豐', '嘉里物流', 'DHL', '黑貓宅急便'];
const BANKS_HANS = ['招商银行上海张江支行', '中国工商银行苏州工业园区支行', '中国建设银行深圳南山支行', '交通银行上海分行', '浦发银行杭州分行'];
const BANKS_HANT = ['匯豐銀行 (HSBC) 004', '中國銀行（香港）012', '恒生銀行 024', '玉山銀行 808', '國泰世華銀行 013'];
const DISTRICTS = ['浦东新区张江路', '工业园区星湖街', '南山区科技南路', '滨江区江南大道', '闵行区莘庄工业区春东路', '江宁区天元东路', '黄埔区科学大道'];
const HK_ADDR = ['九龍觀塘巧明街', '葵涌葵昌路', '荃灣沙咀道', '新竹市東區光復路二段', '台北市內湖區瑞光路'];
const PROJECTS_HANS = ['智慧仓储二期', '冷链监控平台升级', 'WMS 上线', '网关替换项目', '数据大屏', '门店 IoT 改造', 'ERP 对接'];
const LINK_TITLES_HANS = ['2025冷链物流行业十大趋势', '一文读懂全电发票新规', '增值税专用发票开具常见问题汇总', '仓储数字化转型的五个误区', '物联网设备安全合规指南', '《个人信息保护法》企业合规要点'];
const SERVERS = ['prod-api-03', 'iot-broker-01', 'db-master', 'gw-ota-02', 'k8s-node-7'];
const NEW_NAMES = ['赵一鸣', '孙佳琪', '林浩然', '周雨桐', '郭思远', '何欣悦'];

const EMOJI = ['😄', '👍', '🙏', '🤝', '💪', '🎉', '😂', '😅', '🙂', '✅', '👌', '❤️', '🌹', '😊', '🤔', '😭', '🔥', '☕', '📦', '📎'];
const WECHAT_CODES = ['[微笑]', '[OK]', '[抱拳]', '[强]', '[握手]', '[玫瑰]', '[捂脸]', '[偷笑]', '[呲牙]', '[愉快]', '[加油]', '[庆祝]', '[咖啡]', '[奸笑]', '[机智]'];
const WECHAT_CODES_HANT = ['[微笑]', '[OK]', '[抱拳]', '[強]', '[握手]', '[捂臉]', '[偷笑]'];

// ---------------------------------------------------------------------------------------------
// Formatting helpers

function withCommas(n: number, decimals: number): string {
  const fixed = n.toFixed(decimals);
  const [int, frac] = fixed.split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

const CN_DIGITS = '零壹贰叁肆伍陆柒捌玖';
const CN_UNITS = ['', '拾', '佰', '仟'];

/** 12800 → 壹万贰仟捌佰元整 (the uppercase amount written on contracts and invoices). */
export function chineseUppercaseAmount(n: number): string {
  const yuan = Math.floor(n);
  if (yuan === 0) return '零元整';
  const groups: number[] = [];
  for (let v = yuan; v > 0; v = Math.floor(v / 10000)) groups.push(v % 10000);
  const bigUnits = ['', '万', '亿'];
  let out = '';
  for (let g = groups.length - 1; g >= 0; g--) {
    const val = groups[g] as number;
    if (val === 0) {
      if (!out.endsWith('零') && out !== '') out += '零';
      continue;
    }
    let part = '';
    let zero = false;
    for (let d = 3; d >= 0; d--) {
      const digit = Math.floor(val / 10 ** d) % 10;
      if (digit === 0) {
        if (part !== '' || out !== '') zero = true;
        continue;
      }
      if (zero) part += '零';
      zero = false;
      part += (CN_DIGITS[digit] as string) + (CN_UNITS[d] as string);
    }
    if (out !== '' && val < 1000 && !out.endsWith('零') && !part.startsWith('零')) out += '零';
    out += part + (bigUnits[g] as string);
  }
  return `${out.replace(/零+/g, '零').replace(/零$/, '')}元整`;
}

function formatAmount(n: number, c: PhraseContext): string {
  const r = c.rng.next();
  if (c.lang === 'en') {
    if (r < 0.5) return `RMB ${withCommas(n, 2)}`;
    if (r < 0.8) return `USD ${withCommas(n / 7.1, 2)}`;
    return `¥${withCommas(n, 0)}`;
  }
  if (c.lang === 'hant') {
    const tw = c.conv.members.some((m) => m.region === 'tw');
    if (tw) return r < 0.6 ? `NT$${withCommas(n * 4.4, 0)}` : `新台幣${withCommas(n * 4.4, 0)}元`;
    return r < 0.6 ? `HK$${withCommas(n * 1.08, 2)}` : `港幣${withCommas(n * 1.08, 0)}元`;
  }
  if (r < 0.45) return `¥${withCommas(n, 2)}`;
  if (r < 0.7) return `${Math.round(n)}元`;
  if (r < 0.8 && n >= 10000) return `${(n / 10000).toFixed(n % 1000 === 0 ? 1 : 2)}万`;
  if (r < 0.9) return `${withCommas(n, 2)}元（含税）`;
  if (r < 0.95) return `人民币${withCommas(n, 2)}元（大写：${chineseUppercaseAmount(n)}）`;
  return `RMB ${withCommas(n, 2)}`;
}

const DAY_MS = 86_400_000;
const SH_OFFSET_MS = 8 * 3_600_000;
const WEEK_HANS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
const WEEK_HANT = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];
const WEEK_EN = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function shanghaiDate(ms: number): Date {
  return new Date(ms + SH_OFFSET_MS);
}

function formatDate(ms: number, c: PhraseContext): string {
  const d = shanghaiDate(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  const r = c.rng.next();
  if (c.lang === 'en') {
    if (r < 0.5) return `${MONTH_EN[m - 1]} ${day}`;
    if (r < 0.8) return `${y}-${pad2(m)}-${pad2(day)}`;
    return `${day} ${MONTH_EN[m - 1]}`;
  }
  if (c.lang === 'hant') return r < 0.6 ? `${m}月${day}日` : r < 0.85 ? `${m}/${day}` : `${day}號`;
  if (r < 0.45) return `${m}月${day}日`;
  if (r < 0.65) return `${m}.${day}`;
  if (r < 0.8) return `${y}-${pad2(m)}-${pad2(day)}`;
  if (r < 0.9) return `${day}号`;
  return `${m}月${day}日（${WEEK_HANS[d.getUTCDay()]}）`;
}

function formatClock(c: PhraseContext): string {
  const h = c.rng.pick([9, 10, 10, 11, 14, 14, 15, 15, 16, 17]);
  const half = c.rng.chance(0.3);
  if (c.lang === 'en') return `${h > 12 ? h - 12 : h}${half ? ':30' : ''} ${h >= 12 ? 'pm' : 'am'}`;
  if (c.rng.chance(0.4)) return `${pad2(h)}:${half ? '30' : '00'}`;
  const ampm = h < 12 ? '上午' : '下午';
  const hh = h > 12 ? h - 12 : h;
  if (c.lang === 'hant') return `${ampm}${hh}點${half ? '半' : ''}`;
  return `${ampm}${hh}点${half ? '半' : ''}`;
}

function fullWidth(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    out += code >= 0x21 && code <= 0x7e && /[0-9A-Za-z]/.test(ch) ? String.fromCharCode(code + 0xfee0) : ch;
  }
  return out;
}

function mainlandPhone(rng: Rng): string {
  const prefix = rng.pick(['138', '139', '135', '136', '137', '150', '151', '152', '158', '159', '186', '187', '188', '177', '199', '131', '132', '155', '156', '185', '133', '153', '180', '181', '189']);
  const rest = rng.digits(8);
  const r = rng.next();
  if (r < 0.5) return `${prefix}${rest}`;
  if (r < 0.8) return `${prefix} ${rest.slice(0, 4)} ${rest.slice(4)}`;
  if (r < 0.9) return `${prefix}-${rest.slice(0, 4)}-${rest.slice(4)}`;
  return `${rng.pick(['021', '0512', '0755', '010', '0571'])}-${rng.digits(8)}`;
}

function phone(c: PhraseContext): string {
  const who = c.speaker.kind === 'external' ? c.speaker : c.addressee;
  const region = c.lang === 'en' && who.region === 'cn' ? 'intl' : who.region;
  const rng = c.rng;
  if (region === 'hk') return `+852 ${rng.pick(['9', '6', '5'])}${rng.digits(3)} ${rng.digits(4)}`;
  if (region === 'tw') return `09${rng.digits(2)}-${rng.digits(3)}-${rng.digits(3)}`;
  if (region === 'intl') return rng.pick([`+49 170 ${rng.digits(7)}`, `+1 (415) 555-01${rng.digits(2)}`, `+65 ${rng.pick(['8', '9'])}${rng.digits(3)} ${rng.digits(4)}`, `+44 7700 900${rng.digits(3)}`]);
  return mainlandPhone(rng);
}

function compactDate(ms: number): string {
  const d = shanghaiDate(ms);
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}`;
}

function sticky(key: string, make: SlotFn): SlotFn {
  return (c) => {
    const v = c.facts.get(key);
    if (v !== undefined) return String(v);
    const made = make(c);
    c.facts.set(key, made);
    return made;
  };
}

function stickyNumber(c: PhraseContext, key: string, make: () => number): number {
  const v = c.facts.get(key);
  if (typeof v === 'number') return v;
  const n = make();
  c.facts.set(key, n);
  return n;
}

function supplierSide(c: PhraseContext): boolean {
  return c.conv.members.some((m) => m.role === 'supplier') || c.conv.topics.procurement !== undefined;
}

function product(c: PhraseContext): Product {
  const i = stickyNumber(c, 'productIndex', () => (supplierSide(c) ? 100 + c.rng.int(SUPPLIES.length) : c.rng.int(PRODUCTS.length)));
  return (i >= 100 ? SUPPLIES[i - 100] : PRODUCTS[i]) as Product;
}

function qty(c: PhraseContext): number {
  return stickyNumber(c, 'qty', () => {
    const p = product(c);
    if (p.lo > 10000) return c.rng.range(1, 3);
    if (p.lo > 1000) return c.rng.pick([5, 10, 20, 30, 50, 80, 100, 120, 200]);
    return c.rng.pick([100, 200, 300, 500, 800, 1000, 2000, 5000]);
  });
}

function unitPrice(c: PhraseContext): number {
  return stickyNumber(c, 'price', () => {
    const p = product(c);
    const v = p.lo + c.rng.next() * (p.hi - p.lo);
    return v > 1000 ? Math.round(v / 100) * 100 : v > 50 ? Math.round(v) : Math.round(v * 10) / 10;
  });
}

function counterparty(c: PhraseContext): Person | undefined {
  return c.conv.members.find((m) => m.kind === 'external');
}

function conversationCompany(c: PhraseContext): string {
  const x = counterparty(c);
  if (x) return x.company;
  return String(sticky('cust', (cc) => cc.rng.pick(['苏州恒瑞冷链物流有限公司', '杭州嘉信医药有限公司', '深圳锐达电子有限公司', '青岛鑫源食品有限公司', '成都启航仓储有限公司']))(c));
}

function addressOf(c: PhraseContext): string {
  return `${c.rng.pick(['上海市', '苏州市', '深圳市', '杭州市', '广州市'])}${c.rng.pick(DISTRICTS)}${c.rng.range(1, 999)}号${c.rng.chance(0.5) ? `${c.rng.range(1, 12)}号楼${c.rng.range(1, 20)}0${c.rng.range(1, 9)}室` : ''}`;
}

function randomUrl(c: PhraseContext): string {
  const r = c.rng;
  switch (r.int(7)) {
    case 0:
      return `https://mp.weixin.qq.com/s/${r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-', 22)}`;
    case 1:
      return `https://doc.weixin.qq.com/sheet/e3_${r.chars('abcdefghijklmnopqrstuvwxyz0123456789', 20)}?scode=${r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 12)}`;
    case 2:
      return `https://meeting.tencent.com/dm/${r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789', 12)}`;
    case 3:
      return `https://oa.hanhai.example/approval/${r.digits(7)}`;
    case 4:
      return `https://git.hanhai.example/iot/platform/-/merge_requests/${r.range(100, 4999)}`;
    case 5:
      return `https://www.hanhai.example/products/hg-200?utm_source=wechat&utm_medium=chat`;
    default:
      return `https://pan.hanhai.example/s/${r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 10)} 提取码：${r.chars('abcdefghjkmnpqrstuvwxyz23456789', 4)}`;
  }
}

const carrier: SlotFn = sticky('carrier', (c) => (c.lang === 'en' ? c.rng.pick(CARRIERS_EN) : c.lang === 'hant' ? c.rng.pick(CARRIERS_HANT) : c.rng.pick(CARRIERS_HANS)));

/** A tracking number in the style of the carrier. */
function trackingFor(name: string, rng: Rng): string {
  if (name.startsWith('顺丰') || name.startsWith('順豐') || name === 'SF Express') return `SF${rng.digits(13)}`;
  if (name.startsWith('京东')) return `JDV${rng.digits(12)}`;
  if (name === 'UPS') return `1Z${rng.chars('0123456789ABCDEFGHJKLMNPRSTUVWXY', 16)}`;
  if (name === 'DHL') return rng.digits(10);
  if (name === 'FedEx') return rng.digits(12);
  if (name === 'Maersk') return `MAEU${rng.digits(9)}`;
  if (name.startsWith('圆通')) return `YT${rng.digits(13)}`;
  if (name.startsWith('嘉里')) return `KE${rng.digits(10)}`;
  return rng.digits(rng.pick([12, 14, 15]));
}

function meetingUrl(c: PhraseContext): string {
  return `https://meeting.tencent.com/dm/${c.rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789', 12)}`;
}

const SLOTS: { [name: string]: SlotFn } = {
  peer: (c) => (c.lang === 'en' ? c.addressee.callEn : c.addressee.callHans),
  me: (c) => (c.lang === 'en' ? c.speaker.callEn : c.speaker.callHans),
  co: (c) => counterparty(c)?.companyShort ?? '客户',
  cust: conversationCompany,
  product: (c) => {
    const p = product(c);
    return c.lang === 'hant' ? p.hant : c.lang === 'en' ? p.en : p.hans;
  },
  unit: (c) => {
    const p = product(c);
    return c.lang === 'hant' ? p.unitHant : c.lang === 'en' ? p.unitEn : p.unit;
  },
  qty: (c) => String(qty(c)),
  qty2: (c) => String(c.rng.pick([20, 50, 100, 150, 300])),
  price: (c) => {
    const p = unitPrice(c);
    return c.lang === 'en' ? `RMB ${withCommas(p, 2)}` : withCommas(p, p % 1 === 0 ? 0 : 2);
  },
  amount: (c) => {
    const key = `amountText:${c.lang}`;
    const v = c.facts.get(key);
    if (v !== undefined) return String(v);
    const s = formatAmount(Math.round(qty(c) * unitPrice(c) * 100) / 100, c);
    c.facts.set(key, s);
    return s;
  },
  amount2: (c) => formatAmount(Math.round(c.rng.logUniform(200, 500000)), c),
  pct: (c) => c.rng.pick(c.lang === 'hans' ? ['3%', '5%', '8%', '10%', '15%', '2个点', '5个点'] : c.lang === 'hant' ? ['3%', '5%', '8%', '10%', '兩成'] : ['3%', '5%', '8%', '10%', '15%']),
  days: (c) => String(c.rng.pick([30, 45, 60, 90])),
  n: (c) => String(c.rng.range(2, 9)),
  month: (c) => `${shanghaiDate(c.timeMs - 20 * DAY_MS).getUTCMonth() + 1}月`,
  order: sticky('order', (c) => `SO${compactDate(c.timeMs)}-${c.rng.digits(4)}`),
  po: sticky('po', (c) => `PO-${shanghaiDate(c.timeMs).getUTCFullYear()}-${c.rng.digits(5)}`),
  contract: sticky('contract', (c) => `HH-${supplierSide(c) ? 'CG' : 'XS'}-${shanghaiDate(c.timeMs).getUTCFullYear()}-${c.rng.digits(4)}`),
  invoice: sticky('invoice', (c) => (c.rng.chance(0.6) ? `${String(shanghaiDate(c.timeMs).getUTCFullYear()).slice(2)}31${c.rng.digits(16)}` : c.rng.digits(8))),
  quote: sticky('quote', (c) => `QT${compactDate(c.timeMs).slice(0, 6)}${c.rng.digits(3)}`),
  ticket: sticky('ticket', (c) => `CS${compactDate(c.timeMs)}${c.rng.digits(4)}`),
  tracking: sticky('tracking', (c) => trackingFor(carrier(c), c.rng)),
  carrier,
  taxid: sticky('taxid', (c) => `91${c.rng.pick(['310115', '320594', '440300', '330108', '110108'])}${c.rng.chars('0123456789ABCDEFGHJKLMNPQRTUWXY', 10)}`),
  twtax: sticky('twtax', (c) => c.rng.digits(8)),
  date: sticky('date', (c) => formatDate(c.timeMs + c.rng.range(1, 20) * DAY_MS, c)),
  date2: (c) => formatDate(c.timeMs + c.rng.range(5, 45) * DAY_MS, c),
  time: sticky('time', formatClock),
  weekday: (c) => {
    const d = shanghaiDate(c.timeMs + c.rng.range(1, 6) * DAY_MS).getUTCDay();
    return c.lang === 'en' ? (WEEK_EN[d] as string) : c.lang === 'hant' ? (WEEK_HANT[d] as string) : (WEEK_HANS[d] as string);
  },
  phone,
  email: (c) => {
    const x = counterparty(c);
    const who = c.speaker.kind === 'employee' ? c.speaker : x ?? c.speaker;
    if (who.kind === 'employee') return `${who.id}@hanhai.example`;
    return `${who.callEn.toLowerCase()}.${c.rng.chars('abcdefghijklmnopqrstuvwxyz', 3)}@${who.companyShort.toLowerCase().replace(/[^a-z]/g, '') || 'mail'}${c.rng.pick(['.example.com', '.example.cn', '.example.net'])}`;
  },
  url: randomUrl,
  meetingurl: meetingUrl,
  room: (c) => c.rng.pick(ROOMS_HANS),
  city: (c) => (c.lang === 'en' ? c.rng.pick(CITIES_EN) : c.lang === 'hant' ? c.rng.pick(CITIES_HANT) : c.rng.pick(CITIES_HANS)),
  project: sticky('project', (c) => (c.conv.title?.startsWith('【项目】') ? c.conv.title.slice(4) : c.rng.pick(PROJECTS_HANS))),
  address: addressOf,
  addresshk: (c) => `${c.rng.pick(HK_ADDR)}${c.rng.range(1, 200)}號${c.rng.range(2, 30)}樓${c.rng.pick(['A', 'B', 'C', 'D'])}室`,
  bank: (c) => c.rng.pick(BANKS_HANS),
  bankhk: (c) => `${c.rng.pick(BANKS_HANT)} ${c.rng.digits(3)}-${c.rng.digits(6)}-${c.rng.digits(3)}`,
  account: (c) => `${c.rng.pick(['1210', '3100', '4000', '6225'])} ${c.rng.digits(4)} ${c.rng.digits(4)} ${c.rng.digits(4)} ${c.rng.digits(3)}`,
  meetingid: (c) => `${c.rng.digits(3)} ${c.rng.digits(3)} ${c.rng.digits(3)}`,
  version: sticky('version', (c) => `v${c.rng.range(2, 4)}.${c.rng.range(0, 12)}.${c.rng.range(0, 20)}`),
  bug: sticky('bug', (c) => `BUG-${c.rng.range(1000, 9999)}`),
  server: (c) => c.rng.pick(SERVERS),
  linktitle: (c) => c.rng.pick(LINK_TITLES_HANS),
  newname: (c) => c.rng.pick(NEW_NAMES),
  emoji: (c) => c.rng.pick(EMOJI),
};

function compile(s: string): Template {
  const parts: Part[] = [];
  const re = /\{([a-z0-9]+)\}/g;
  let last = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    if (m.index > last) parts.push(s.slice(last, m.index));
    const fn = SLOTS[m[1] as string];
    if (!fn) throw new Error(`unknown slot {${m[1]}} in template "${s}"`);
    parts.push(fn);
    last = m.index + m[0].length;
  }
  if (last < s.length) parts.push(s.slice(last));
  return parts;
}

export function render(t: Template, c: PhraseContext): string {
  let out = '';
  for (const p of t) out += typeof p === 'string' ? p : p(c);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Templates

interface Pool {
  open: string[];
  reply: string[];
}

const HANS: Record<TopicKey, Pool> = {
  quote: {
    open: [
      '{peer}您好，{product}的报价单我整理好了，单价{price}元，{qty}{unit}合计{amount}，含13%增值税，您看一下',
      '{peer}，上次您问的{product}，我们这边最新报价是{price}元/{unit}，量大还可以再谈',
      '报价单号{quote}，有效期到{date}，麻烦{peer}确认一下',
      '{peer}，{qty}{unit}{product}的价格能不能再优惠一点？我们预算只有{amount2}',
      '你好，想咨询一下{product}的价格，大概要{qty}{unit}，能给个报价吗',
      '报价我发到您邮箱了 {email}，Excel 和 PDF 各一份',
      '价格方面领导批了，最低只能给到{price}元，这已经是底价了',
      '{peer}，别家报了{amount2}，你们能不能跟一下',
      '我这边要三家比价，麻烦今天下班前把正式报价发我，要盖章版的',
      '上次的报价{quote}作废，以今天发的为准哈',
      '{peer}，报价里的安装调试费能去掉吗？我们自己有工程师',
      '这个报价是含税含运费的吗？',
    ],
    reply: [
      '好的，我先内部走个流程，{date}前给您回复',
      '这个价格有点高，我们老板说要再降{pct}',
      '收到，我跟领导申请一下特价，稍等',
      '含税价，运费我们承担，市内免费送货上门',
      '可以，数量到{qty}{unit}的话我们可以给到{price}元',
      '明白，我这边先按{amount}报上去审批',
      '报价单收到了，交期能不能提前到{date}？',
      '我们财务要求报价单上写清楚税率和开票类型，麻烦改一下',
      '没问题，我马上改一版发您',
      '这个价格我们能接受，下一步走合同吧',
    ],
  },
  contract: {
    open: [
      '{peer}，合同{contract}的初稿发您了，付款条款麻烦重点看一下',
      '合同我们法务看过了，第{n}条的违约金比例希望改成{pct}',
      '合同双方盖章后请寄一份原件给我们，地址：{address}，电话{phone}',
      '@{peer} 这份合同需要走用印审批，麻烦在OA里提一下',
      '{cust}的框架合同{date}到期，续签的事情要开始推动了',
      '合同金额{amount}，分三期付款：预付30%，到货60%，验收后10%',
      '请问合同用我们的模板还是你们的模板？',
      '电子合同已经发起签署，请查收短信完成签字',
      '{peer}，合同里的保密条款和数据安全条款，合规部要求必须加上',
      '补充协议拟好了，主要是把质保期延长到{n}年',
      '合同{contract}的盖章版扫描件发我一份，财务要入账',
    ],
    reply: [
      '好的，我们法务这两天审完给您反馈',
      '已盖章，快递单号{tracking}，请注意查收',
      '违约金这条我们没法接受，最多{pct}',
      '没问题，合同就按这个版本走',
      '合同编号是{contract}，归档的时候注意一下',
      '收到，已经提交用印申请了',
      '我们领导出差了，盖章可能要到{date}',
      '电子签已完成，PDF 已下载归档',
      '付款条款我们要再内部讨论一下',
    ],
  },
  invoice: {
    open: [
      '{peer}您好，麻烦开一下发票，开票信息：{cust}，税号{taxid}',
      '发票已开，发票号码{invoice}，金额{amount}，电子版已发邮箱',
      '请问是开专票还是普票？',
      '上个月的发票还没收到，麻烦帮忙查一下',
      '发票抬头写错了，需要红冲重开',
      '数电发票已经开出，号码{invoice}，您在税务数字账户里可以查到',
      '这张发票税率开成了6%，应该是13%，麻烦作废重开',
      '{peer}，{month}的对账单核对好了吗？没问题的话我这边就开票',
      '报销需要发票，电子发票打印出来贴在报销单后面就行',
      '发票备注栏麻烦写上合同号{contract}',
    ],
    reply: [
      '开专票，开票信息在附件里',
      '收到发票了，已经交财务入账',
      '好的，我让财务今天红冲，明天重新开给您',
      '税号没问题，地址电话：{address} {phone}',
      '发票已经签收，谢谢',
      '稍等，我查一下开票记录',
      '对账单没问题，可以开票了',
    ],
  },
  payment: {
    open: [
      '{peer}，合同{contract}的首付款{amount}已经安排支付了，请注意查收',
      '我们这边款还没到账，麻烦帮忙催一下财务',
      '{order}的货款已经逾期{n}天了，麻烦尽快安排付款',
      '付款申请已经提交OA，等总经理审批',
      '麻烦提供一下收款账户信息：户名、开户行、账号',
      '收款账户：{cust}，开户行：{bank}，账号：{account}',
      '今天已经转账{amount}，回单截图发您了',
      '月底对账：{month}应收{amount}，已收{amount2}',
      '账期能不能从{days}天改成60天？',
      '我们公司每月10号和25号付款，赶不上就要等下个月了',
      '可以微信支付吗？还是必须对公转账？',
    ],
    reply: [
      '款已收到，谢谢{peer}',
      '好的，我催一下财务，今天下午应该能付',
      '回单收到，我让出纳查一下',
      '账期这个要我们领导批，我先问问',
      '已经付了，银行那边可能要1-2个工作日到账',
      '这周资金有点紧张，下周一安排',
      '必须对公，我们要开票入账的',
    ],
  },
  shipment: {
    open: [
      '{peer}，{order}已经发货了，{carrier}单号{tracking}，预计{date}到',
      '货到了吗？签收的时候麻烦检查一下外包装',
      '这批{product}什么时候能发？客户那边催得很急',
      '仓库说库存只剩{qty2}{unit}了，剩下的要等下周',
      '物流显示已签收，但是收货人说没收到，麻烦查一下',
      '收货地址变了：{address}，电话{phone}',
      '这次走{carrier}还是专车？专车要加{amount2}运费',
      '到货有{n}台外壳破损，照片发您了，怎么处理？',
      '发货前麻烦拍照确认一下型号和数量',
      '送货单和装箱单记得随货附上',
    ],
    reply: [
      '已安排，今天{time}前发出',
      '收到货了，数量没问题',
      '单号{tracking}，可以在{carrier}官网查',
      '破损的我们补发，坏的麻烦寄回来，运费到付',
      '好的，我跟仓库确认一下再回复您',
      '物流说路上堵了，会晚一天到',
      '已签收，谢谢',
    ],
  },
  meeting: {
    open: [
      '{peer}，{date}{time}方便吗？想约您开个会聊一下{project}',
      '明天{time}在{room}开周会，请大家准时参加',
      '会议链接：{meetingurl} 会议号：{meetingid}',
      '下周{weekday}我们去{city}拜访{cust}，{peer}一起吗？',
      '会议纪要发群里了，有问题大家补充',
      '{time}的会改到线上，我一会儿发腾讯会议链接',
      '客户临时有事，今天的会取消了，改到{date}',
      '麻烦{peer}帮忙订一下{room}，{time}到五点',
      '会议 agenda 发一下，我先准备材料',
    ],
    reply: [
      '可以，我准时参加',
      '那个时间我有别的会，能改到{time}吗？',
      '收到，我带电脑和投影转接头',
      '好的，会议室已订好',
      '我在路上，大概晚{n}分钟到',
      '纪要收到，我补充两点，等下发群里',
      'OK 我 check 一下 schedule',
    ],
  },
  approval: {
    open: [
      '{peer}，我的报销单在OA里等您审批，金额{amount2}',
      '用印申请提交了，合同{contract}，麻烦尽快批一下',
      '出差申请：{date}去{city}，三天，麻烦审批',
      '采购申请单号{po}，帮忙看一下',
      'OA 审批链接：{url}',
      '{peer}，这个特价申请需要您签字，客户等着回复',
      '请假申请已提交，{date}请一天事假',
      '{peer}，付款审批卡在您这里了，供应商一直在催',
    ],
    reply: [
      '已批',
      '已审批通过',
      '这个金额超过我的审批权限了，要转给总经理',
      '附件里发票不全，先驳回了，补齐再提',
      '好，我晚上在手机上批',
      '同意。',
      '批了，下次记得提前提',
    ],
  },
  compliance: {
    open: [
      '提醒一下：和客户沟通不要承诺返点之类的，所有优惠必须写进合同',
      '{peer}，这家供应商的尽职调查问卷还没回，麻烦催一下',
      '客户的个人信息不要在群里发，身份证、手机号这些走加密邮件',
      '合规培训今天截止，还没完成的同事抓紧',
      '按公司礼品政策，价值超过500元的礼品必须申报',
      '数据出境评估的材料下周要交，技术部麻烦把数据清单整理一下',
      '这份合同涉及个人信息处理，要加上个人信息保护的条款',
      '制裁名单筛查结果出来了，{cust}没有问题',
      '审计要抽查{month}的合同和审批记录，大家提前准备',
    ],
    reply: [
      '明白，已经提醒团队了',
      '问卷已经发过去了，对方说{date}前回',
      '收到，培训我今晚完成',
      '好的，礼品我去OA里申报',
      '这个条款我们再看一下',
      '数据清单已经更新到共享盘',
    ],
  },
  service: {
    open: [
      '你好，你们的{product}今天早上开始离线了，温度数据都看不到了',
      '工单号{ticket}，设备报警一直在响，麻烦尽快派人过来看一下',
      '{peer}，平台登录不上，提示密码错误，但是密码没改过',
      '设备返修的进度怎么样了？已经寄回去{n}天了',
      '系统数据延迟很严重，大概有{n}分钟',
      '能远程协助吗？我把远程软件的识别码发您',
      '质保期内的设备坏了是免费维修吧？',
      '固件升级到{version}之后网关重启了好几次',
      '麻烦发一下操作手册，新来的同事不会用',
      '你们的客服电话一直占线，只能微信找你了',
    ],
    reply: [
      '您好，已经收到您的反馈，工单号{ticket}，工程师会在2小时内联系您',
      '麻烦重启一下网关试试，断电30秒再上电',
      '我们的工程师{date}上午到现场',
      '查了一下是网络问题，4G卡欠费了，续费后已恢复',
      '质保期内免费，邮费我们出',
      '已经远程处理好了，您刷新一下页面',
      '这个是已知问题，{version}已经修复，今晚给您推送升级',
      '给您带来不便非常抱歉🙏',
      '操作手册PDF发您了，有问题随时找我',
    ],
  },
  procurement: {
    open: [
      '{peer}，{product}的询价单发您了，需要{qty}{unit}，麻烦{date}前报价',
      '样品收到了，测试结果下周出来',
      '采购订单{po}已经下了，交期{date}，请确认',
      '这批物料的检测报告和合格证麻烦随货附上',
      '听说原材料又涨价了？涨多少？',
      '能不能先寄{n}个样品过来测试？',
      '新供应商准入需要营业执照、资质证书和近三年财报',
      '上批货不良率有{n}%，需要你们出8D报告',
      '{product}的交期能不能压缩到两周？',
    ],
    reply: [
      '好的，报价今天下班前发您',
      '订单确认，交期没问题',
      '样品已寄出，{carrier}单号{tracking}',
      '铜价涨了，这次单价要上调{pct}',
      '资质文件都打包发邮箱了',
      '不良品我们在分析原因，周五前给8D报告',
      '两周有点紧，我跟工厂确认一下',
    ],
  },
  hr: {
    open: [
      '{peer}，新同事{newname}下周一入职，工位和电脑麻烦准备一下',
      '{month}的考勤表已经发到各部门，有异常的请{date}前反馈',
      '社保公积金基数调整的通知已经发邮件了，请查收',
      '明天下午有消防培训，请各部门派两个人参加',
      '{peer}，面试安排在{date}{time}，候选人简历在附件',
      '提醒：年假还剩{n}天的同事年底前要休完',
      '年度体检预约链接：{url}',
      '本月生日会定在{date}下午，欢迎大家来吃蛋糕🎂',
      '试用期转正评估表{date}前交给HR',
    ],
    reply: [
      '收到，谢谢',
      '考勤没问题',
      '我那天请假了，能换到下周吗？',
      '好的，面试官我来安排',
      '已预约',
      '转正评估表已经填好了',
    ],
  },
  tech: {
    open: [
      '{server} CPU 飙到95%了，谁在跑任务？',
      '{bug} 复现了，是时区问题，服务器用的 UTC',
      '今晚10点发版 {version}，涉及网关固件和平台后端，大家留意一下',
      'PR 已经提了，麻烦 review 一下：{url}',
      '测试环境挂了，数据库连接池满了',
      '客户的接口文档发我一下，要对接他们的 ERP',
      '{peer}，这个需求排期能不能提前？客户{date}要演示',
      '线上告警：设备上报延迟超过5分钟，正在排查',
      'Redis 内存快满了，需要扩容',
      '数据库备份脚本每天凌晨2点跑，昨晚失败了',
      '这个 feature 下个 sprint 再做吧，这周先修 bug',
    ],
    reply: [
      '我看一下',
      '已修复，重新部署了',
      '是配置问题，已经回滚',
      '可以，我今天下班前提测',
      '这个改动比较大，至少要{n}天',
      '日志发我，我帮你查',
      'LGTM，可以合并了',
      '重启后恢复了，根因还在查',
      '这个 case 我 follow 一下',
    ],
  },
  marketing: {
    open: [
      '{city}展会的展位图定了，{n}号馆，物料清单发群里了',
      '公众号推文初稿：《{linktitle}》，大家帮忙看看有没有错别字',
      '活动海报设计好了，二维码记得换成新的',
      '这次活动预算{amount2}，明细在 Excel 里',
      '客户案例需要{cust}授权，{peer}能帮忙问一下吗？',
      '直播脚本和嘉宾名单{date}前定下来',
      '宣传册印多少本？上次印了{qty2}本不够',
    ],
    reply: [
      '收到，我晚上看',
      '第二段有个错别字，已经标注了',
      '客户同意授权了，但不能出现具体金额',
      '印{qty2}本应该够了',
      '海报不错👍',
    ],
  },
  social: {
    open: [
      '中午吃什么？',
      '楼下新开了家面馆，要不要去试试',
      '有人拼奶茶吗？满30减15',
      '下午茶到了，前台自取🍰',
      '谁的快递放前台了，顺丰的',
      '周五晚上团建，去公司附近那家烤肉',
      '今天降温了，大家多穿点',
      '有没有人周三晚上7点一起打羽毛球',
      '电梯又坏了，走楼梯吧😂',
      '空调太冷了，能调高一点吗',
      '谁有充电宝借我用一下',
      '周末愉快～',
    ],
    reply: ['走起', '我带饭了，你们去吧', '+1', '我要一杯少糖去冰', '哈哈哈哈', '算我一个', '今天加班，下次吧', '好呀', '👍👍', '太好了'],
  },
  announce: {
    open: [
      '【通知】{date}下午2点在{room}召开全员大会，请大家准时参加',
      '【放假通知】根据国家规定，{date}起放假，请各部门做好值班安排',
      '各位同事：本周五下午办公室网络升级，期间会断网约1小时',
      '【重要】近期有人冒充公司领导加微信要求转账，请大家提高警惕，转账一律电话核实',
      '新版报销制度从{month}起执行，详见附件',
      '@所有人 请在{date}前完成信息安全培训，链接：{url}',
      '周一早上9点例会，各部门负责人准备一下上周工作总结',
      '办公室饮水机换新了，旧的周末拉走',
    ],
    reply: ['收到', '收到，谢谢', '👍', '好的', '收到👌'],
  },
  project: {
    open: [
      '{project}目前进度：硬件已到货，软件部署完成80%，预计{date}验收',
      '客户提了新需求，要增加温度异常短信告警，评估一下工作量',
      '项目周报已更新，风险点：客户现场网络还没开通',
      '{peer}，现场安装需要几个人？{date}能进场吗',
      '验收单客户签字了🎉 大家辛苦！',
      '里程碑：{date}完成UAT，{date2}正式上线',
      '客户IT说防火墙要开白名单，IP和端口发一下',
      '{cust}那边的对接人换了，新的联系人电话{phone}',
      'deadline 是{date}，别 delay 了',
    ],
    reply: ['收到，我排一下人', '网络开通了，明天可以进场', '工作量大概{n}人天', '白名单信息已发', '好的，我更新到项目计划里', '现场需要{n}个人'],
  },
};

const HANT: Partial<Record<TopicKey, Pool>> = {
  quote: {
    open: [
      '{peer}你好，{product}的報價單已經發給你，單價{price}，{qty}{unit}合共{amount}',
      '想問一下{product}的價錢，大概要{qty}{unit}，可以報個價嗎？',
      '報價單號{quote}，有效期至{date}，請確認',
      '含稅還是未稅？運費怎樣計算？',
      '我哋老闆話要再減{pct}先得',
      '這個價格可以接受，麻煩準備合約',
    ],
    reply: ['報價收到，我們內部討論後再回覆你', '這個價格有點高，可以再便宜一點嗎？', '數量到{qty}{unit}的話可以給你{price}', '好的，我會跟老闆申請特價', '已經更新報價單，請查收'],
  },
  contract: {
    open: [
      '合約初稿已經發到你的電郵，請查收',
      '付款條款可以改成月結60天嗎？',
      '合約{contract}已經簽好，正本會寄給你',
      '我們法務還在審閱合約，大約{date}前回覆',
      '保密條款我們需要加上資料保護的部分',
    ],
    reply: ['合約已蓋章，快遞單號{tracking}', '沒問題，就按這個版本', '收到，我們會盡快處理', '違約金這條我們要再討論一下'],
  },
  invoice: {
    open: ['請幫忙開發票，抬頭是{cust}', '發票號碼{invoice}，金額{amount}，電子檔已寄出', '上個月的發票還沒收到，麻煩查一下', '統一編號是{twtax}，請寫在發票上', 'Invoice 抬頭寫錯了，麻煩重新開一張'],
    reply: ['收到發票，謝謝', '好的，今天會重新開', '已經轉交財務部處理', '稍等，我查一下記錄'],
  },
  payment: {
    open: ['貨款{amount}已經匯出，水單稍後發給你', '請提供收款銀行資料，包括戶名、銀行和帳號', '款項還沒收到，可以幫忙跟進一下嗎？', '收款帳戶：{bankhk}', '我們的付款週期是月結30天'],
    reply: ['已收到款項，謝謝{peer}', '我會催一下財務', '銀行那邊可能要兩個工作天', '水單收到，我叫會計查一下'],
  },
  shipment: {
    open: [
      '{order}已經出貨，{carrier}單號{tracking}，預計{date}到',
      '請問這批貨甚麼時候可以出？客戶催得很急',
      '有{n}箱外包裝破損，相片已經發給你',
      '收貨地址：{addresshk}，聯絡電話{phone}',
      '報關文件準備好了嗎？',
    ],
    reply: ['貨收到了，數量沒有問題', '已經安排，今天{time}前出貨', '破損的我們會補發', '好的，我跟倉庫確認一下'],
  },
  meeting: {
    open: ['{date}{time}方便開個會嗎？', '會議連結：{meetingurl}', '下星期我們會到{city}拜訪你們', '會議改到{time}，麻煩通知一下大家', '會議記錄已經發到群組'],
    reply: ['好的，到時見', '那個時間我有另一個會議，可以改到{time}嗎？', '沒問題，我會準時出席', '收到，謝謝通知'],
  },
  service: {
    open: ['你們的{product}今天早上開始離線，麻煩盡快幫忙處理', '工單號{ticket}，工程師甚麼時候可以到現場？', '系統登入不了，顯示密碼錯誤', '韌體升級到{version}之後一直重新開機'],
    reply: ['已經遠端處理好，請重新整理頁面', '不好意思帶來不便🙏', '工程師{date}上午會到現場', '麻煩重新開機試試看'],
  },
  social: {
    open: ['今日食咩好？', '樓下新開咗間茶餐廳，一齊去試下？', '下午茶到咗，自己去茶水間拎', '天文台話今晚可能掛8號風球，大家早啲走', 'Friday drink 有冇人去？', '今日好熱，冷氣可唔可以較低啲'],
    reply: ['好呀，一齊去', '我帶咗飯', '算我一份', '哈哈哈', '收到，多謝'],
  },
  announce: {
    open: ['【通知】{date}公眾假期，辦公室休息', '請大家{date}前提交報銷單', 'IT 通知：本週六晚上系統維護，期間無法登入', '提提大家：客戶個人資料唔好喺群組度傳'],
    reply: ['收到', '收到，謝謝', '明白'],
  },
};

const EN: Partial<Record<TopicKey, Pool>> = {
  quote: {
    open: [
      'Hi {peer}, please find attached our quotation {quote} for {qty} {unit} of {product}. Unit price {price}, total {amount}.',
      'Could you send us your best price for {qty} {unit} of {product}?',
      'Is the price inclusive of VAT and shipping?',
      'Quotation {quote} is valid until {date}.',
      'We can offer a {pct} discount if the order exceeds {qty} {unit}.',
    ],
    reply: ["Thanks, we'll review internally and get back to you by {date}.", 'The price is a bit high for us. Is there any room for a discount?', 'OK, the price works for us. Please prepare the contract.', 'Updated quote sent, please check.'],
  },
  contract: {
    open: [
      'Please find the draft contract attached. Let us know if you have any comments.',
      'Our legal team has some comments on clause {n}, mainly the liability cap.',
      'Contract {contract} has been signed and stamped. Originals are on the way, tracking {tracking}.',
      'Can we change the payment terms to 60 days net?',
      'We need an NDA in place before we share the technical specs.',
    ],
    reply: ['Could you send the signed PDF for our records?', 'Agreed, let us go with this version.', 'Our legal will revert by {date}.', 'Noted, we will sign this week.'],
  },
  invoice: {
    open: ['Invoice {invoice} for {amount} has been issued, PDF attached.', 'Could you please issue the invoice to {cust}?', "We haven't received last month's invoice yet.", "The invoice amount doesn't match PO {po}, please check."],
    reply: ['Invoice received, thank you.', 'Sorry about that, a corrected invoice will follow today.', 'Forwarded to our accounts team.'],
  },
  payment: {
    open: ['Payment of {amount} was made today, please see the bank slip attached.', 'We have not received the payment yet. Could you check with your finance team?', 'Please share your bank details: account name, bank, SWIFT code and account number.', 'Our payment run is on the 15th and the 30th of each month.'],
    reply: ['Payment received, thank you!', 'I will chase our finance team today.', 'It may take 2-3 working days to arrive.'],
  },
  shipment: {
    open: [
      'Order {order} has shipped via {carrier}, tracking number {tracking}. ETA {date}.',
      'When can you ship the remaining {qty2} {unit}?',
      '{n} cartons arrived damaged, photos attached. How do you want to handle this?',
      'Please confirm the Incoterms: FOB Shanghai or DAP?',
      'Customs clearance is delayed, we are waiting for the commercial invoice and packing list.',
    ],
    reply: ['Goods received in good condition, thanks.', "We'll send replacements for the damaged units.", 'Shipping today before {time}.'],
  },
  meeting: {
    open: ['Are you available for a call on {date} at {time}?', 'Meeting link: {meetingurl}', "Let's move the meeting to {time}, something came up.", 'We will visit your office in {city} next {weekday}.', "Minutes of today's meeting are in the shared folder."],
    reply: ['Works for me, see you then.', "Sorry, I have a conflict. Could we do {time} instead?", 'Thanks, I will join.'],
  },
  service: {
    open: ['Our {product} went offline this morning and we cannot see any temperature data.', 'Ticket {ticket}: the gateway keeps rebooting after the firmware update to {version}.', 'Could you send us the user manual?'],
    reply: ['Our engineer will be on site on {date}.', 'Could you try power-cycling the gateway and let us know?', 'Sorry for the inconvenience, it should be fixed now.'],
  },
  project: {
    open: ['Status update: hardware delivered, software deployment 80% done, UAT planned for {date}.', 'The API docs are here: {url}', 'Can we have the firewall whitelist set up before {date}?'],
    reply: ['Great progress, thanks team!', 'Whitelist is done.', 'I will update the project plan.'],
  },
  social: {
    open: ['Happy Friday everyone!', 'Anyone up for lunch?', 'Traffic is terrible today, running 10 min late.', 'Happy Chinese New Year! 🧧'],
    reply: ['Same to you!', 'Count me in.', 'Haha', 'Enjoy the weekend!'],
  },
  announce: {
    open: ['Reminder: office closed on {date} for the public holiday.', 'Please submit your expense claims by {date}.'],
    reply: ['Noted, thanks.', 'Thanks for the reminder.'],
  },
};

const ACK_HANS = [
  '好的', '好的👌', '收到', '收到，谢谢', 'OK', 'ok', '嗯嗯', '好', '好的，谢谢{peer}', '明白', '了解', '没问题', '辛苦了', '谢谢', '感谢',
  '麻烦了', '稍等', '稍等我看一下', '我确认一下', '在吗？', '在的', '[OK]', '[强]', '[抱拳]', '👍', '🙏', '好嘞', '行', '可以', '收到，马上处理',
  '晚点回复你', '刚在开会，现在看', '我打你电话', '方便电话吗？', 'OK的', '好滴', '知道了', '嗯', '不客气', '哈哈', '这个我问一下', '回头再聊',
  '👌👌', '✅ 已处理', '辛苦辛苦', '好的{peer}', '收到，我跟进一下', '请回复ＯＫ确认',
];
const ACK_HANT = ['收到，謝謝', '明白', '沒問題', '唔該', '多謝', '麻煩你了', '稍等一下', '我確認一下再回覆你', '謝謝你', '辛苦了', '了解', '冇問題', '我而家睇下', '好的，謝謝{peer}', 'OK 👍', '收到🙏', '好呀'];
const ACK_EN = ['OK', 'Thanks!', 'Thank you {peer}', 'Noted, thanks.', 'Sure.', 'Got it.', 'Will do.', 'No problem.', 'Sounds good 👍', 'Let me check and come back to you.', 'Thanks for the update.', 'Perfect.', 'Received, thanks.', 'Great, thanks!', 'On it.', 'Many thanks.', 'Will revert shortly.'];

/** Mixed-language lines that fit any topic. */
const MIXED_HANS = [
  '报价单 PDF 版和 Excel 版都发你了', '微信 pay 可以吗？', '这个 case 我 follow 一下', 'meeting 改到{time}了', '老板说 OK 了', '资料我放共享盘了，link 发你',
  '这个 KPI 这个月能完成吗', 'ＰＤＦ已发送，请查收', 'Excel 里第二个 sheet 是明细', '明天 WFH，有事微信找我', '我 email 你了，请查收',
];

/** Rare lines that the supervision features should catch. */
export const SENSITIVE_HANS = [
  '我的身份证号是{idcard}，麻烦帮我办一下', '退款打到这张卡：{bankcard}，户名{payee}', '客户的身份证号：{idcard}，手机{phone}',
  '报销打款账号 {bankcard}', '护照号码 E{passport}，签证材料已经交了',
];
export const RISKY_HANS = ['这单给你{pct}的回扣，老规矩走私人账户', '返点的事情别在微信上说，当面聊', '价格可以私下再让一点，别走公司合同', '他们内部的招标底价我已经拿到了', '这个钱走个人卡，别开票'];
export const PHISHING = [
  '【企业微信】您的账号存在异常登录，请立即点击 http://wecom-verify.example.net/login 验证身份，否则将被冻结',
  '您好，我是财务总监，现在开会不方便接电话，有一笔紧急货款需要马上转到这个账户：{bankcard}',
  '【通知】您的发票已退回，请下载附件查看 http://invoice-check.example.org/dl?id={n}',
  'Your mailbox is almost full. Verify your account at http://mail-hanhai.example.info/verify to avoid suspension.',
];

type CompiledPool = { open: Template[]; reply: Template[] };

function compilePools(src: Partial<Record<TopicKey, Pool>>): Partial<Record<TopicKey, CompiledPool>> {
  const out: Partial<Record<TopicKey, CompiledPool>> = {};
  for (const [k, p] of Object.entries(src) as [TopicKey, Pool][]) out[k] = { open: p.open.map(compile), reply: p.reply.map(compile) };
  return out;
}

/** A synthetic PRC resident ID number with a valid GB 11643 check digit, so detectors have something to find. */
function idCard(rng: Rng): string {
  const area = rng.pick(['110105', '310115', '320506', '440305', '330106', '510107']);
  const year = rng.range(1965, 2002);
  const month = rng.range(1, 12);
  const day = rng.range(1, 28);
  const body = `${area}${year}${pad2(month)}${pad2(day)}${rng.digits(3)}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body[i]) * (weights[i] as number);
  return body + ('10X98765432'[sum % 11] as string);
}

/** A UnionPay-style card number with a valid Luhn check digit. */
function bankCard(rng: Rng): string {
  const body = `${rng.pick(['622202', '622848', '621700', '622588', '620522'])}${rng.digits(12)}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

SLOTS.idcard = (c) => idCard(c.rng);
SLOTS.bankcard = (c) => {
  const n = bankCard(c.rng);
  return c.rng.chance(0.5) ? n : n.replace(/(\d{4})(?=\d)/g, '$1 ');
};
SLOTS.payee = (c) => c.speaker.name.split(' ')[0] ?? c.speaker.name;
SLOTS.passport = (c) => c.rng.digits(8);

const POOLS: Record<Lang, Partial<Record<TopicKey, CompiledPool>>> = { hans: compilePools(HANS), hant: compilePools(HANT), en: compilePools(EN) };
const ACKS: Record<Lang, Template[]> = { hans: ACK_HANS.map(compile), hant: ACK_HANT.map(compile), en: ACK_EN.map(compile) };
const MIXED = MIXED_HANS.map(compile);
const SENSITIVE = SENSITIVE_HANS.map(compile);
const RISKY = RISKY_HANS.map(compile);
const PHISH = PHISHING.map(compile);

const FALLBACK: Record<Lang, TopicKey> = { hans: 'meeting', hant: 'meeting', en: 'meeting' };

function poolFor(lang: Lang, topic: TopicKey): CompiledPool {
  return (POOLS[lang][topic] ?? POOLS[lang][FALLBACK[lang]]) as CompiledPool;
}

/** Exposed for tests: every raw template string per language. */
export function allTemplates(): { hans: string[]; hant: string[]; en: string[] } {
  const flat = (src: Partial<Record<TopicKey, Pool>>): string[] => Object.values(src).flatMap((p) => [...p.open, ...p.reply]);
  return { hans: [...flat(HANS), ...MIXED_HANS, ...ACK_HANS, ...SENSITIVE_HANS, ...RISKY_HANS], hant: [...flat(HANT), ...ACK_HANT], en: [...flat(EN), ...ACK_EN] };
}

/**
 * One text message. `position` is the message's index in its chat session (0 opens the topic).
 */
export function composeText(c: PhraseContext, topic: TopicKey, position: number): string {
  const rng = c.rng;
  const lang = c.lang;
  let text: string;
  const special = rng.next();
  if (lang === 'hans' && special < 0.0025) text = render(rng.pick(SENSITIVE), c);
  else if (lang === 'hans' && special < 0.0033) text = render(rng.pick(RISKY), c);
  else if (special < 0.0039 && c.speaker.kind === 'external') text = render(rng.pick(PHISH), c);
  else {
    const pool = poolFor(lang, topic);
    const r = rng.next();
    if (position === 0 || r < 0.25) text = render(rng.pick(pool.open), c);
    else if (r < 0.62) text = render(rng.pick(pool.reply), c);
    else if (lang === 'hans' && r < 0.67) text = render(rng.pick(MIXED), c);
    else text = render(rng.pick(ACKS[lang]), c);
    const deco = rng.next();
    if (deco < 0.07) text += rng.pick(EMOJI);
    else if (deco < 0.11 && lang !== 'en') text += rng.pick(lang === 'hant' ? WECHAT_CODES_HANT : WECHAT_CODES);
    else if (deco < 0.13 && text.length < 40) text += `\n${render(rng.pick(pool.reply), c)}`;
    if (lang !== 'en' && rng.chance(0.012)) text = fullWidth(text);
  }
  return text;
}

/** Generic sentence in a language, for chat-record bundles and the like. */
export function quickLine(c: PhraseContext, topic: TopicKey): string {
  const pool = poolFor(c.lang, topic);
  return render(c.rng.pick(c.rng.chance(0.5) ? pool.open : pool.reply), c);
}

export function linkTitle(c: PhraseContext): { title: string; description: string } {
  const rng = c.rng;
  if (c.lang === 'en') {
    return rng.pick([
      { title: 'Cold-chain monitoring: 5 lessons from 2024', description: 'What logistics leaders learned about temperature compliance.' },
      { title: 'Hanhai launches the HG-300 gateway', description: 'Faster, 5G-ready and certified for harsh environments.' },
      { title: 'New e-invoicing rules explained', description: 'A practical guide for finance teams.' },
    ]);
  }
  if (c.lang === 'hant') {
    return rng.pick([
      { title: '冷鏈物流的五個關鍵趨勢', description: '從溫控到追溯，一文看懂' },
      { title: '瀚海智聯推出新一代物聯網網關', description: '支援5G，適用於嚴苛環境' },
    ]);
  }
  const title = rng.pick(LINK_TITLES_HANS);
  return { title, description: rng.pick(['干货收藏', '行业观察 | 瀚海智联', '点击查看全文', '财税实务', '3分钟读懂']) };
}

/** Language-specific pieces for non-text messages. */
export const LABELS: Record<Lang, { voiceCall: string; videoCall: string; missed: string; cancelled: string; duration: string; file: string; location: string; card: string; redpacket: string; transfer: string }> = {
  hans: { voiceCall: '语音通话', videoCall: '视频通话', missed: '未接听', cancelled: '已取消', duration: '通话时长', file: '文件', location: '位置', card: '个人名片', redpacket: '红包', transfer: '转账' },
  hant: { voiceCall: '語音通話', videoCall: '視像通話', missed: '未接聽', cancelled: '已取消', duration: '通話時長', file: '檔案', location: '位置', card: '個人名片', redpacket: '紅包', transfer: '轉帳' },
  en: { voiceCall: 'Voice call', videoCall: 'Video call', missed: 'Missed', cancelled: 'Cancelled', duration: 'Duration', file: 'File', location: 'Location', card: 'Contact card', redpacket: 'Red packet', transfer: 'Transfer' },
};

export const PLACES: readonly { title: string; address: string; lat: number; lng: number; lang: Lang }[] = [
  { title: '张江高科技园区', address: '上海市浦东新区张江路88号', lat: 31.2034, lng: 121.5905, lang: 'hans' },
  { title: '苏州工业园区星湖街', address: '江苏省苏州市工业园区星湖街218号', lat: 31.3127, lng: 120.7368, lang: 'hans' },
  { title: '深圳湾科技生态园', address: '广东省深圳市南山区高新南十道', lat: 22.5284, lng: 113.9447, lang: 'hans' },
  { title: '虹桥站', address: '上海市闵行区申贵路1500号', lat: 31.1945, lng: 121.3205, lang: 'hans' },
  { title: '杭州东站', address: '浙江省杭州市上城区全福桥路2号', lat: 30.2907, lng: 120.2127, lang: 'hans' },
  { title: '嘉兴冷链物流园', address: '浙江省嘉兴市南湖区凌公塘路', lat: 30.7412, lng: 120.7987, lang: 'hans' },
  { title: '觀塘工業中心', address: '香港九龍觀塘道', lat: 22.3121, lng: 114.2237, lang: 'hant' },
  { title: '新竹科學園區', address: '新竹市東區力行路', lat: 24.7802, lng: 121.0043, lang: 'hant' },
  { title: 'Port of Hamburg, Burchardkai', address: 'Bubendeyweg 33, Hamburg', lat: 53.5311, lng: 9.9094, lang: 'en' },
];

export const FILE_NAMES: Record<Lang, readonly { name: string; kind: 'pdf' | 'xlsx' | 'docx' | 'csv' | 'txt' }[]> = {
  hans: [
    { name: '{co}_报价单_{quote}.xlsx', kind: 'xlsx' },
    { name: '{co}_报价单_{quote}.pdf', kind: 'pdf' },
    { name: '销售合同_{contract}.docx', kind: 'docx' },
    { name: '销售合同_{contract}（盖章版）.pdf', kind: 'pdf' },
    { name: '发票_{invoice}.pdf', kind: 'pdf' },
    { name: '{month}对账单.xlsx', kind: 'xlsx' },
    { name: '送货单_{order}.pdf', kind: 'pdf' },
    { name: '项目周报_{date}.docx', kind: 'docx' },
    { name: '会议纪要.docx', kind: 'docx' },
    { name: '设备清单.xlsx', kind: 'xlsx' },
    { name: '采购订单_{po}.pdf', kind: 'pdf' },
    { name: '测试报告_{version}.pdf', kind: 'pdf' },
    { name: '考勤异常明细.xlsx', kind: 'xlsx' },
    { name: '导出数据.csv', kind: 'csv' },
    { name: '服务器日志.txt', kind: 'txt' },
  ],
  hant: [
    { name: '報價單_{quote}.pdf', kind: 'pdf' },
    { name: '合約_{contract}.docx', kind: 'docx' },
    { name: '發票_{invoice}.pdf', kind: 'pdf' },
    { name: '出貨清單_{order}.xlsx', kind: 'xlsx' },
  ],
  en: [
    { name: 'Quotation_{quote}.pdf', kind: 'pdf' },
    { name: 'Contract_{contract}_signed.pdf', kind: 'pdf' },
    { name: 'Invoice_{invoice}.pdf', kind: 'pdf' },
    { name: 'Packing_List_{order}.xlsx', kind: 'xlsx' },
    { name: 'Meeting_Minutes.docx', kind: 'docx' },
  ],
};

const FILE_NAME_TEMPLATES: Record<Lang, { t: Template; kind: 'pdf' | 'xlsx' | 'docx' | 'csv' | 'txt' }[]> = {
  hans: FILE_NAMES.hans.map((f) => ({ t: compile(f.name), kind: f.kind })),
  hant: FILE_NAMES.hant.map((f) => ({ t: compile(f.name), kind: f.kind })),
  en: FILE_NAMES.en.map((f) => ({ t: compile(f.name), kind: f.kind })),
};

export function fileName(c: PhraseContext): { name: string; kind: 'pdf' | 'xlsx' | 'docx' | 'csv' | 'txt' } {
  const f = c.rng.pick(FILE_NAME_TEMPLATES[c.lang]);
  return { name: render(f.t, c).replace(/[/\\]/g, '-'), kind: f.kind };
}

/** Read a sticky fact as text (for document contents that should match the chat). */
export function factText(c: PhraseContext, slot: 'amount' | 'order' | 'contract' | 'quote' | 'invoice' | 'product' | 'qty' | 'price' | 'cust' | 'date'): string {
  return (SLOTS[slot] as SlotFn)(c);
}
