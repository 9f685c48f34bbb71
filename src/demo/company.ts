import { BASE62, LOWER_ALNUM, type Rng } from './prng.js';

/**
 * The synthetic company behind the demo corpus: 瀚海智联科技有限公司 (fictitious), its ~200
 * employees in departments, a Hong Kong branch on its own WeCom corp, ~150 external contacts at
 * customers and suppliers (mainland, Hong Kong, Taiwan, English-speaking), personal WeChat
 * accounts of a few sales reps, and the direct and group conversations they talk in.
 * Everything is derived from the seed only (not from --messages), so a larger corpus is a
 * superset in spirit of a smaller one.
 */

export type Lang = 'hans' | 'hant' | 'en';
export type Region = 'cn' | 'hk' | 'tw' | 'intl';

export type TopicKey =
  | 'quote' | 'contract' | 'invoice' | 'payment' | 'shipment' | 'meeting' | 'approval' | 'compliance'
  | 'service' | 'procurement' | 'hr' | 'tech' | 'marketing' | 'social' | 'announce' | 'project';

export interface Department {
  key: string;
  name: string;
  size: number;
  topics: Partial<Record<TopicKey, number>>;
}

export interface Person {
  id: string;
  name: string;
  kind: 'employee' | 'external' | 'robot';
  lang: Lang;
  region: Region;
  /** How colleagues or partners address this person in Chinese (张总, 小李, 王工). */
  callHans: string;
  /** How they are addressed in English (Kevin, Ms. Wang). */
  callEn: string;
  dept?: Department;
  title: string;
  company: string;
  companyShort: string;
  role?: 'customer' | 'supplier';
  /** Chattiness in group chats. */
  activity: number;
  /** Pre-serialized JSON: {"id":…,"name":…} and {"id":…}. */
  json: string;
  idJson: string;
}

export type ConversationKind =
  | 'internal-direct' | 'external-direct' | 'dept-group' | 'project-group' | 'customer-group' | 'supplier-group'
  | 'social-group' | 'all-hands' | 'management-group';

export interface Source {
  index: number;
  name: string;
  kind: 'wecom' | 'wechat';
  /** How `time` is written: ISO 8601 with +08:00, or epoch milliseconds (seconds precision for WeChat). */
  timeFormat: 'iso' | 'ms';
  /** For personal WeChat: the account owner. */
  owner?: Person;
}

export interface Conversation {
  index: number;
  source: Source;
  id: string;
  kind: ConversationKind;
  type: 'direct' | 'group';
  title?: string;
  members: Person[];
  lang: Lang;
  weight: number;
  topics: Partial<Record<TopicKey, number>>;
  robot?: Person;
  /** Pre-serialized JSON of the conversation object. */
  json: string;
}

export interface Company {
  name: string;
  shortName: string;
  employees: Person[];
  externals: Person[];
  sources: Source[];
  conversations: Conversation[];
}

// ---------------------------------------------------------------------------------------------
// Vocabulary for names (written for this project)

const SURNAMES: readonly [string, string, number][] = [
  ['王', 'wang', 10], ['李', 'li', 10], ['张', 'zhang', 9], ['刘', 'liu', 8], ['陈', 'chen', 8], ['杨', 'yang', 6], ['黄', 'huang', 5],
  ['赵', 'zhao', 5], ['吴', 'wu', 5], ['周', 'zhou', 5], ['徐', 'xu', 4], ['孙', 'sun', 4], ['马', 'ma', 4], ['朱', 'zhu', 4],
  ['胡', 'hu', 4], ['郭', 'guo', 3], ['何', 'he', 3], ['高', 'gao', 3], ['林', 'lin', 3], ['罗', 'luo', 3], ['郑', 'zheng', 3],
  ['梁', 'liang', 3], ['谢', 'xie', 2], ['宋', 'song', 2], ['唐', 'tang', 2], ['韩', 'han', 2], ['冯', 'feng', 2], ['邓', 'deng', 2],
  ['曹', 'cao', 2], ['彭', 'peng', 2], ['曾', 'zeng', 2], ['肖', 'xiao', 2], ['田', 'tian', 2], ['董', 'dong', 2], ['袁', 'yuan', 2],
  ['潘', 'pan', 2], ['蒋', 'jiang', 2], ['蔡', 'cai', 2], ['杜', 'du', 2], ['叶', 'ye', 2], ['程', 'cheng', 2], ['苏', 'su', 2],
  ['魏', 'wei', 2], ['吕', 'lv', 1], ['丁', 'ding', 1], ['任', 'ren', 1], ['沈', 'shen', 1], ['姚', 'yao', 1], ['卢', 'lu', 1],
  ['崔', 'cui', 1], ['钟', 'zhong', 1], ['谭', 'tan', 1], ['陆', 'lu', 1], ['范', 'fan', 1], ['金', 'jin', 1], ['石', 'shi', 1],
  ['贾', 'jia', 1], ['夏', 'xia', 1], ['付', 'fu', 1], ['方', 'fang', 1], ['白', 'bai', 1], ['邹', 'zou', 1], ['孟', 'meng', 1],
  ['秦', 'qin', 1], ['邱', 'qiu', 1], ['侯', 'hou', 1], ['顾', 'gu', 1], ['邵', 'shao', 1], ['钱', 'qian', 1], ['严', 'yan', 1],
];

const GIVEN: readonly [string, string][] = [
  ['伟', 'wei'], ['芳', 'fang'], ['娜', 'na'], ['敏', 'min'], ['静', 'jing'], ['丽', 'li'], ['强', 'qiang'], ['磊', 'lei'], ['军', 'jun'],
  ['洋', 'yang'], ['勇', 'yong'], ['艳', 'yan'], ['杰', 'jie'], ['涛', 'tao'], ['明', 'ming'], ['超', 'chao'], ['霞', 'xia'], ['平', 'ping'],
  ['刚', 'gang'], ['晨', 'chen'], ['浩', 'hao'], ['宇', 'yu'], ['欣', 'xin'], ['怡', 'yi'], ['婷', 'ting'], ['鹏', 'peng'], ['斌', 'bin'],
  ['辉', 'hui'], ['玲', 'ling'], ['凯', 'kai'], ['颖', 'ying'], ['琳', 'lin'], ['倩', 'qian'], ['璐', 'lu'], ['博', 'bo'], ['帆', 'fan'],
  ['秀英', 'xiuying'], ['建国', 'jianguo'], ['志强', 'zhiqiang'], ['晓东', 'xiaodong'], ['海燕', 'haiyan'], ['子涵', 'zihan'],
  ['思远', 'siyuan'], ['雨桐', 'yutong'], ['佳琪', 'jiaqi'], ['俊杰', 'junjie'], ['文静', 'wenjing'], ['家豪', 'jiahao'], ['一鸣', 'yiming'],
  ['梦瑶', 'mengyao'], ['天宇', 'tianyu'], ['嘉怡', 'jiayi'], ['浩然', 'haoran'], ['欣悦', 'xinyue'], ['国庆', 'guoqing'], ['丽华', 'lihua'],
  ['晓燕', 'xiaoyan'], ['立新', 'lixin'], ['雪梅', 'xuemei'], ['明轩', 'mingxuan'], ['若曦', 'ruoxi'], ['志伟', 'zhiwei'], ['春华', 'chunhua'],
];

const ENGLISH_FIRST = ['Amy', 'Kevin', 'Jason', 'Lily', 'Eric', 'Cindy', 'Tony', 'Vivian', 'Leo', 'Grace', 'Jack', 'Helen', 'Ivan', 'Coco', 'Frank', 'Sunny', 'Alan', 'Iris'];

const HK_SURNAMES: readonly [string, string][] = [
  ['陳', 'chan'], ['黃', 'wong'], ['李', 'lee'], ['張', 'cheung'], ['梁', 'leung'], ['劉', 'lau'], ['林', 'lam'], ['吳', 'ng'], ['何', 'ho'],
  ['鄭', 'cheng'], ['周', 'chow'], ['麥', 'mak'], ['蔡', 'choi'], ['郭', 'kwok'], ['馮', 'fung'],
];
const HK_GIVEN: readonly [string, string][] = [
  ['嘉明', 'kaming'], ['詠詩', 'wingsze'], ['志偉', 'chiwai'], ['家豪', 'kahou'], ['美玲', 'meiling'], ['俊傑', 'chunkit'], ['婉婷', 'yuenting'],
  ['子軒', 'tszhin'], ['浩文', 'houman'], ['曉彤', 'hiutung'], ['建華', 'kinwah'], ['穎欣', 'wingyan'], ['偉強', 'waikeung'], ['麗珊', 'laishan'],
];
const TW_GIVEN: readonly [string, string][] = [['志明', 'chihming'], ['淑芬', 'shufen'], ['冠宇', 'kuanyu'], ['怡君', 'yichun'], ['家瑋', 'chiawei'], ['雅婷', 'yating'], ['俊宏', 'chunhung']];
const HK_ENGLISH = ['Kelvin', 'Winnie', 'Calvin', 'Karen', 'Ivan', 'Fiona', 'Derek', 'Joyce', 'Raymond', 'Queenie', 'Terence', 'Mandy', 'Alvin', 'Peggy'];

const EN_FIRST = ['David', 'Sarah', 'Michael', 'Emma', 'James', 'Olivia', 'Daniel', 'Sophie', 'Thomas', 'Laura', 'Mark', 'Julia', 'Peter', 'Hannah', 'Lukas', 'Raj', 'Priya', 'Ken', 'Marco', 'Elena', 'Noah', 'Chloe', 'Arjun', 'Mei'];
const EN_LAST = ['Miller', 'Johnson', 'Brown', 'Wilson', 'Taylor', 'Schmidt', 'Rossi', 'Tan', 'Lim', 'Nakamura', 'Patel', 'Novak', 'Dubois', 'Hughes', 'Clarke', 'Becker', 'Jensen', 'Fischer', 'Kowalski', 'Santos'];

const CITIES = ['上海', '苏州', '杭州', '宁波', '南京', '无锡', '深圳', '广州', '东莞', '佛山', '北京', '天津', '青岛', '成都', '重庆', '武汉', '西安', '合肥', '厦门', '长沙', '郑州', '济南'];
const BRAND_CHARS = ['恒', '瑞', '鑫', '盛', '达', '华', '源', '泰', '嘉', '信', '宏', '远', '通', '安', '隆', '丰', '辰', '启', '卓', '博', '锐', '联', '拓', '凯', '润', '祥', '诚', '益', '康', '捷'];
const CUSTOMER_INDUSTRIES = ['冷链物流', '医药', '食品', '仓储', '生鲜供应链', '智能制造', '汽车零部件', '新能源', '连锁商业', '化工', '农产品', '电商物流'];
const SUPPLIER_INDUSTRIES = ['电子元器件', '塑胶模具', '包装材料', '五金', '物流', '云计算', '印刷', '办公用品', '线缆', '电池', '精密钣金', '检测技术'];
const HANT_BRAND = ['永盛', '利豐', '恒達', '宏信', '嘉華', '富達', '日昇', '德興', '祥記', '協成', '偉業', '寶來'];
const HANT_INDUSTRY = ['貿易', '物流', '電子', '科技', '食品', '冷鏈', '精密', '實業'];
const EN_CO_A = ['Bluefield', 'Kestrel', 'Harbor', 'Northgate', 'Silverline', 'Greenway', 'Summit', 'Redwood', 'Oakridge', 'Brightwater', 'Ironbridge', 'Clearview', 'Westlake', 'Seabright'];
const EN_CO_B = ['Logistics', 'Components', 'Fresh Foods', 'Pharma', 'Electronics', 'Cold Chain', 'Retail Group', 'Trading', 'Packaging', 'Systems'];
const EN_CO_SUFFIX = ['Ltd.', 'GmbH', 'Inc.', 'Pte. Ltd.', 'B.V.', 'S.r.l.', 'LLC', 'Co., Ltd.'];

const EXTERNAL_TITLES_HANS = ['采购经理', '采购专员', '总经理', '副总经理', '财务经理', '会计', 'IT 主管', '项目经理', '仓储经理', '运营总监', '销售经理', '业务员', '技术支持', '商务经理', '老板'];
const EXTERNAL_TITLES_HANT = ['採購經理', '總經理', '財務經理', '項目經理', '營運總監', '業務經理', '技術支援'];
const EXTERNAL_TITLES_EN = ['Purchasing Manager', 'Managing Director', 'Head of Operations', 'Finance Manager', 'Project Manager', 'Sales Director', 'IT Lead', 'Supply Chain Manager'];

export const DEPARTMENTS: readonly Department[] = [
  { key: 'mgmt', name: '总经办', size: 6, topics: { meeting: 4, approval: 3, project: 2, announce: 1, payment: 1, contract: 1 } },
  { key: 'sales', name: '销售部', size: 40, topics: { quote: 5, contract: 4, meeting: 3, payment: 2, shipment: 2, approval: 2, project: 2, social: 2 } },
  { key: 'marketing', name: '市场部', size: 14, topics: { marketing: 6, meeting: 3, approval: 2, social: 2 } },
  { key: 'cs', name: '客户服务部', size: 18, topics: { service: 7, shipment: 2, meeting: 1, social: 2 } },
  { key: 'tech', name: '技术部', size: 44, topics: { tech: 7, project: 3, meeting: 2, service: 2, social: 2 } },
  { key: 'finance', name: '财务部', size: 12, topics: { invoice: 5, payment: 5, approval: 3, compliance: 1, social: 1 } },
  { key: 'legal', name: '法务合规部', size: 8, topics: { contract: 5, compliance: 5, approval: 2, meeting: 1 } },
  { key: 'procurement', name: '采购部', size: 12, topics: { procurement: 6, contract: 2, invoice: 2, payment: 2, shipment: 2 } },
  { key: 'hr', name: '人力资源部', size: 10, topics: { hr: 7, approval: 2, announce: 1, social: 1 } },
  { key: 'admin', name: '行政部', size: 8, topics: { announce: 3, approval: 2, social: 3, hr: 1 } },
  { key: 'ops', name: '运营部', size: 12, topics: { shipment: 5, project: 2, meeting: 2, service: 1 } },
  { key: 'hk', name: '香港分公司', size: 14, topics: { quote: 3, contract: 2, invoice: 2, payment: 2, shipment: 2, meeting: 2, social: 2 } },
];

const LEAD_TITLES: { [dept: string]: [string, string, string] } = {
  mgmt: ['总经理', '副总经理', '总经理助理'],
  sales: ['销售总监', '大区经理', '销售经理'],
  marketing: ['市场总监', '品牌经理', '市场专员'],
  cs: ['客服总监', '客服主管', '客服专员'],
  tech: ['技术总监', '研发经理', '高级工程师'],
  finance: ['财务总监', '财务经理', '会计'],
  legal: ['法务总监', '合规经理', '法务专员'],
  procurement: ['采购总监', '采购经理', '采购专员'],
  hr: ['人力资源总监', 'HRBP', '招聘专员'],
  admin: ['行政经理', '行政主管', '行政专员'],
  ops: ['运营总监', '运营经理', '运营专员'],
  hk: ['香港區總經理', '業務經理', '業務代表'],
};
const STAFF_TITLES: { [dept: string]: string[] } = {
  hk: ['業務代表', '客戶服務專員', '會計'],
  sales: ['客户经理', '销售代表', '销售助理', '售前工程师'],
  tech: ['后端工程师', '前端工程师', '测试工程师', '嵌入式工程师', '运维工程师', '产品经理'],
  cs: ['客服专员', '售后工程师'],
  finance: ['会计', '出纳', '税务专员'],
};

// ---------------------------------------------------------------------------------------------

function personJson(id: string, name: string): string {
  return JSON.stringify({ id, name });
}

function makePerson(p: Omit<Person, 'json' | 'idJson'>): Person {
  return { ...p, json: personJson(p.id, p.name), idJson: JSON.stringify({ id: p.id }) };
}

function pickWeighted<T>(rng: Rng, items: readonly T[], weight: (t: T) => number): T {
  let total = 0;
  for (const it of items) total += weight(it);
  let x = rng.next() * total;
  for (const it of items) {
    x -= weight(it);
    if (x < 0) return it;
  }
  return items[items.length - 1] as T;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

class IdRegistry {
  private readonly used = new Set<string>();
  claim(base: string): string {
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}${n}`;
    this.used.add(id);
    return id;
  }
}

export const COMPANY_NAME = '瀚海智联科技有限公司';
export const COMPANY_SHORT = '瀚海';

function buildEmployees(rng: Rng, ids: IdRegistry): Person[] {
  const out: Person[] = [];
  for (const dept of DEPARTMENTS) {
    for (let i = 0; i < dept.size; i++) {
      const leads = LEAD_TITLES[dept.key] as [string, string, string];
      const title = i === 0 ? leads[0] : i <= Math.max(1, Math.floor(dept.size / 8)) ? leads[1] : rng.pick(STAFF_TITLES[dept.key] ?? [leads[2]]);
      if (dept.key === 'hk') {
        const [sur, surPy] = rng.pick(HK_SURNAMES);
        const [given] = rng.pick(HK_GIVEN);
        const en = rng.pick(HK_ENGLISH);
        const id = ids.claim(`${en.toLowerCase()}${surPy}`);
        out.push(makePerson({
          id, name: `${sur}${given} ${en}`, kind: 'employee', lang: 'hant', region: 'hk', callHans: en, callEn: en, dept, title,
          company: '瀚海智聯（香港）有限公司', companyShort: '瀚海', activity: rng.logUniform(0.3, 3),
        }));
        continue;
      }
      const [sur, surPy] = pickWeighted(rng, SURNAMES, (s) => s[2]);
      const [given, givenPy] = rng.pick(GIVEN);
      const id = ids.claim(`${surPy}${givenPy}`);
      const senior = i === 0 || title.includes('经理') || title.includes('总监');
      const english = rng.chance(dept.key === 'tech' || dept.key === 'marketing' ? 0.35 : 0.15) ? rng.pick(ENGLISH_FIRST) : undefined;
      const callHans = senior ? `${sur}${i === 0 ? '总' : rng.pick(['经理', '总', '姐', '哥'])}` : english ?? (given.length === 2 ? given : rng.pick([`小${sur}`, `${sur}${given}`, `老${sur}`]));
      out.push(makePerson({
        id, name: `${sur}${given}`, kind: 'employee', lang: 'hans', region: 'cn', callHans, callEn: english ?? capitalize(givenPy), dept, title,
        company: COMPANY_NAME, companyShort: COMPANY_SHORT, activity: rng.logUniform(0.3, 3),
      }));
    }
  }
  return out;
}

interface ExternalCompany {
  name: string;
  short: string;
  lang: Lang;
  region: Region;
  role: 'customer' | 'supplier';
}

function buildExternalCompanies(rng: Rng): ExternalCompany[] {
  const out: ExternalCompany[] = [];
  const usedNames = new Set<string>();
  const add = (c: ExternalCompany): void => {
    if (usedNames.has(c.name)) return;
    usedNames.add(c.name);
    out.push(c);
  };
  const plan: [Lang, Region, 'customer' | 'supplier', number][] = [
    ['hans', 'cn', 'customer', 44], ['hans', 'cn', 'supplier', 30], ['hant', 'hk', 'customer', 6], ['hant', 'tw', 'customer', 4],
    ['hant', 'hk', 'supplier', 2], ['hant', 'tw', 'supplier', 3], ['en', 'intl', 'customer', 9], ['en', 'intl', 'supplier', 5],
  ];
  for (const [lang, region, role, n] of plan) {
    for (let i = 0; i < n; i++) {
      if (lang === 'hans') {
        const brand = rng.sample(BRAND_CHARS, 2).join('');
        const industry = rng.pick(role === 'customer' ? CUSTOMER_INDUSTRIES : SUPPLIER_INDUSTRIES);
        add({ name: `${rng.pick(CITIES)}${brand}${industry}${rng.chance(0.2) ? '股份' : ''}有限公司`, short: brand, lang, region, role });
      } else if (lang === 'hant') {
        const brand = rng.pick(HANT_BRAND);
        const place = region === 'hk' ? '香港' : rng.pick(['台灣', '新竹', '台中', '桃園']);
        add({ name: `${place}${brand}${rng.pick(HANT_INDUSTRY)}${region === 'tw' ? '股份' : ''}有限公司`, short: brand, lang, region, role });
      } else {
        const a = rng.pick(EN_CO_A);
        add({ name: `${a} ${rng.pick(EN_CO_B)} ${rng.pick(EN_CO_SUFFIX)}`, short: a, lang, region, role });
      }
    }
  }
  return out;
}

function buildExternals(rng: Rng, companies: ExternalCompany[], ids: IdRegistry): Person[] {
  const out: Person[] = [];
  for (const co of companies) {
    const contacts = rng.chance(0.5) ? 2 : 1;
    for (let k = 0; k < contacts; k++) {
      const id = ids.claim(`wmExt${rng.chars(BASE62, 18)}`);
      let name: string;
      let callHans: string;
      let callEn: string;
      let title: string;
      if (co.lang === 'hans') {
        const [sur] = pickWeighted(rng, SURNAMES, (s) => s[2]);
        const [given, givenPy] = rng.pick(GIVEN);
        name = `${sur}${given}`;
        title = rng.pick(EXTERNAL_TITLES_HANS);
        callHans = title.includes('总') || title === '老板' ? `${sur}总` : title.includes('工程') || title.includes('技术') ? `${sur}工` : `${sur}${rng.pick(['经理', '总', '老师', '姐'])}`;
        callEn = capitalize(givenPy);
      } else if (co.lang === 'hant') {
        const [sur] = rng.pick(HK_SURNAMES);
        const [given] = co.region === 'hk' ? rng.pick(HK_GIVEN) : rng.pick(TW_GIVEN);
        const en = rng.pick(HK_ENGLISH);
        name = co.region === 'hk' ? `${en} ${sur}${given}` : `${sur}${given}`;
        title = rng.pick(EXTERNAL_TITLES_HANT);
        callHans = co.region === 'hk' ? en : `${sur}${rng.pick(['經理', '總', '先生', '小姐'])}`;
        callEn = en;
      } else {
        const first = rng.pick(EN_FIRST);
        name = `${first} ${rng.pick(EN_LAST)}`;
        title = rng.pick(EXTERNAL_TITLES_EN);
        callHans = first;
        callEn = first;
      }
      out.push(makePerson({
        id, name, kind: 'external', lang: co.lang, region: co.region, callHans, callEn, title, company: co.name, companyShort: co.short, role: co.role,
        activity: rng.logUniform(0.3, 3),
      }));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conversations

const CUSTOMER_TOPICS: Partial<Record<TopicKey, number>> = { quote: 5, contract: 3, invoice: 3, payment: 3, shipment: 3, meeting: 2, service: 3, project: 1, social: 1 };
const SUPPLIER_TOPICS: Partial<Record<TopicKey, number>> = { procurement: 5, quote: 2, contract: 2, invoice: 3, payment: 3, shipment: 3, compliance: 1, meeting: 1 };
const PROJECT_TOPICS: Partial<Record<TopicKey, number>> = { project: 5, tech: 3, meeting: 3, shipment: 2, service: 1, approval: 1 };
const SOCIAL_TOPICS: Partial<Record<TopicKey, number>> = { social: 8, announce: 1 };

/** Which departments talk to which, beyond their own (weights). */
const CROSS_DEPT: { [dept: string]: { [other: string]: number } } = {
  sales: { finance: 3, legal: 2, tech: 3, cs: 2, ops: 2, marketing: 1, mgmt: 1 },
  finance: { sales: 3, procurement: 3, hr: 1, mgmt: 1, legal: 1 },
  legal: { sales: 3, procurement: 2, finance: 1, hr: 1, mgmt: 1 },
  procurement: { finance: 3, legal: 2, ops: 2, tech: 1 },
  tech: { sales: 2, cs: 3, ops: 1, marketing: 1 },
  cs: { tech: 3, sales: 2, ops: 2 },
  hr: { admin: 2, finance: 1, mgmt: 1, sales: 1, tech: 1 },
  admin: { hr: 2, finance: 1, procurement: 1 },
  marketing: { sales: 3, tech: 1, finance: 1 },
  ops: { sales: 2, cs: 2, procurement: 2 },
  mgmt: { sales: 2, finance: 2, legal: 1, hr: 1, tech: 1 },
};

const HK_TITLES_HANT: { [k: string]: string } = {
  'customer-group': '項目溝通群',
  'supplier-group': '採購對接群',
};

function mergeTopics(a: Partial<Record<TopicKey, number>>, b: Partial<Record<TopicKey, number>>): Partial<Record<TopicKey, number>> {
  const out: Partial<Record<TopicKey, number>> = { ...a };
  for (const [k, v] of Object.entries(b) as [TopicKey, number][]) out[k] = (out[k] ?? 0) + v;
  return out;
}

const PROJECT_NAMES = ['智慧仓储二期', '冷链监控平台升级', 'WMS 上线', '华东区网关替换', '数据大屏定制', '温控设备年度维保', '门店 IoT 改造', 'ERP 对接', '新工厂产线联网', '运输温度追溯', '能耗监测试点', '园区安防联动'];
const SOCIAL_GROUPS = ['午饭吃什么', '羽毛球俱乐部', '咖啡奶茶拼单', '2024届新人群', '上海办公室通知', 'IT 服务台', '跑步打卡', '篮球群'];

export function buildCompany(rng: Rng): Company {
  const ids = new IdRegistry();
  const employees = buildEmployees(rng.fork('employees'), ids);
  const extRng = rng.fork('externals');
  const externals = buildExternals(extRng, buildExternalCompanies(extRng), ids);
  const crng = rng.fork('conversations');

  const sources: Source[] = [
    { index: 0, name: 'demo:wecom', kind: 'wecom', timeFormat: 'iso' },
    { index: 1, name: 'demo:wecom-hk', kind: 'wecom', timeFormat: 'iso' },
  ];
  const [wecom, wecomHk] = sources as [Source, Source];
  const conversations: Conversation[] = [];
  const add = (c: Omit<Conversation, 'index' | 'json' | 'weight'> & { weight?: number }): Conversation => {
    const conv: Conversation = {
      ...c,
      index: conversations.length,
      weight: (c.weight ?? 1) * crng.logUniform(0.15, 6),
      json: JSON.stringify(c.title === undefined ? { id: c.id, type: c.type } : { id: c.id, type: c.type, title: c.title }),
    };
    conversations.push(conv);
    return conv;
  };
  const groupId = (): string => `wr${crng.chars(BASE62, 22)}`;
  const pairKey = new Set<string>();
  const directId = (a: Person, b: Person): string => {
    const [x, y] = a.id < b.id ? [a.id, b.id] : [b.id, a.id];
    return `single_${x}_${y}`;
  };

  const hq = employees.filter((e) => e.dept?.key !== 'hk');
  const hk = employees.filter((e) => e.dept?.key === 'hk');
  const byDept = new Map<string, Person[]>();
  for (const e of employees) {
    const k = e.dept?.key ?? '';
    byDept.set(k, [...(byDept.get(k) ?? []), e]);
  }
  const deptMembers = (k: string): Person[] => byDept.get(k) ?? [];

  // Internal direct chats: own department first, then the departments each one works with.
  for (const e of employees) {
    const dept = e.dept as Department;
    const n = crng.range(3, 7);
    for (let i = 0; i < n; i++) {
      let peerPool: Person[];
      if (dept.key === 'hk' || crng.chance(0.55)) peerPool = deptMembers(dept.key);
      else {
        const cross = CROSS_DEPT[dept.key] ?? {};
        const keys = Object.keys(cross);
        const k = keys.length > 0 ? pickWeighted(crng, keys, (x) => cross[x] ?? 1) : dept.key;
        peerPool = deptMembers(k);
      }
      const peer = crng.pick(peerPool);
      if (peer === e) continue;
      const id = directId(e, peer);
      if (pairKey.has(id)) continue;
      pairKey.add(id);
      const peerDept = peer.dept as Department;
      add({
        source: dept.key === 'hk' ? wecomHk : wecom, id, kind: 'internal-direct', type: 'direct', members: [e, peer], lang: dept.key === 'hk' ? 'hant' : 'hans',
        topics: mergeTopics(mergeTopics(dept.topics, peerDept.topics), { social: 1 }), weight: 1,
      });
    }
  }

  // External direct chats: account managers (sales, HK staff) for customers, buyers for suppliers.
  const sales = deptMembers('sales');
  const buyers = deptMembers('procurement');
  const ownerOf = new Map<string, Person>();
  for (const x of externals) {
    const inHk = x.region === 'hk' || (x.region === 'intl' && crng.chance(0.4));
    const primaryPool = inHk ? hk : x.role === 'customer' ? sales : buyers;
    const owner = crng.pick(primaryPool);
    ownerOf.set(x.id, owner);
    const contacts = [owner];
    if (crng.chance(0.5)) contacts.push(crng.pick(inHk ? hk : x.role === 'customer' ? [...deptMembers('cs'), ...deptMembers('tech'), ...deptMembers('finance')] : deptMembers('finance')));
    for (const emp of contacts) {
      const id = directId(emp, x);
      if (pairKey.has(id) || emp === x) continue;
      pairKey.add(id);
      add({
        source: inHk ? wecomHk : wecom, id, kind: 'external-direct', type: 'direct', members: [emp, x], lang: x.lang,
        topics: x.role === 'customer' ? CUSTOMER_TOPICS : SUPPLIER_TOPICS, weight: 1.6,
      });
    }
  }

  // Group chats.
  const hqGroupOf = (dept: Department, members: Person[]): void => {
    add({ source: dept.key === 'hk' ? wecomHk : wecom, id: groupId(), kind: 'dept-group', type: 'group', title: dept.key === 'hk' ? '香港分公司同事群' : `${dept.name}工作群`, members, lang: dept.key === 'hk' ? 'hant' : 'hans', topics: mergeTopics(dept.topics, { announce: 2, meeting: 1 }), weight: 2 + members.length / 10 });
  };
  for (const dept of DEPARTMENTS) hqGroupOf(dept, deptMembers(dept.key));
  const robotOf = (name: string, lang: Lang = 'hans'): Person =>
    makePerson({ id: `wb${crng.chars(BASE62, 20)}`, name, kind: 'robot', lang, region: 'cn', callHans: '机器人', callEn: 'bot', title: '群机器人', company: COMPANY_NAME, companyShort: COMPANY_SHORT, activity: 0 });
  const ROBOTS: { [dept: string]: [string, Lang] } = { sales: ['销售日报机器人', 'hans'], tech: ['Jenkins 构建通知', 'en'], cs: ['工单提醒机器人', 'hans'], ops: ['物流跟踪机器人', 'hans'] };
  for (const c of conversations) {
    const dept = c.kind === 'dept-group' ? DEPARTMENTS.find((d) => c.title === `${d.name}工作群`) : undefined;
    const r = dept ? ROBOTS[dept.key] : undefined;
    if (r) c.robot = robotOf(r[0], r[1]);
  }
  add({ source: wecom, id: groupId(), kind: 'all-hands', type: 'group', title: `${COMPANY_SHORT}智联全员群`, members: hq, lang: 'hans', topics: { announce: 6, hr: 1, social: 1 }, weight: 1.5 });
  add({ source: wecom, id: groupId(), kind: 'management-group', title: '经营管理会', type: 'group', members: employees.filter((e) => e.title.includes('总')), lang: 'hans', topics: { meeting: 3, approval: 2, project: 2, payment: 1, compliance: 1 }, weight: 2 });

  const projectRng = crng.fork('projects');
  const customersHq = externals.filter((x) => x.role === 'customer' && x.lang !== 'hant' && !hk.includes(ownerOf.get(x.id) as Person));
  for (let i = 0; i < 26; i++) {
    const customer = projectRng.pick(customersHq.length > 0 ? customersHq : externals);
    const members = new Set<Person>([ownerOf.get(customer.id) ?? projectRng.pick(sales)]);
    for (const [k, n] of [['tech', projectRng.range(2, 5)], ['cs', projectRng.range(0, 2)], ['ops', projectRng.range(0, 2)], ['sales', projectRng.range(0, 2)], ['finance', projectRng.range(0, 1)]] as [string, number][]) {
      for (const p of projectRng.sample(deptMembers(k), n)) members.add(p);
    }
    const bot2 = projectRng.chance(0.3) ? robotOf(projectRng.chance(0.5) ? 'Jenkins 构建通知' : '项目进度机器人', projectRng.chance(0.5) ? 'en' : 'hans') : undefined;
    const conv = add({ source: wecom, id: groupId(), kind: 'project-group', type: 'group', title: `【项目】${customer.companyShort}${projectRng.pick(PROJECT_NAMES)}`, members: [...members], lang: 'hans', topics: PROJECT_TOPICS, weight: 2.5 });
    if (bot2) conv.robot = bot2;
  }
  // Customer and supplier groups (external groups): the contacts of one company plus our team.
  const extByCompany = new Map<string, Person[]>();
  for (const x of externals) extByCompany.set(x.company, [...(extByCompany.get(x.company) ?? []), x]);
  const companyList = [...extByCompany.entries()];
  for (const [, contacts] of crng.sample(companyList, 48)) {
    const first = contacts[0] as Person;
    const owner = ownerOf.get(first.id) as Person;
    const inHk = owner.dept?.key === 'hk';
    const team = new Set<Person>([owner]);
    const pool = inHk ? hk : first.role === 'customer' ? [...deptMembers('tech'), ...deptMembers('cs'), ...deptMembers('sales')] : [...deptMembers('procurement'), ...deptMembers('finance')];
    for (const p of crng.sample(pool, crng.range(1, 4))) team.add(p);
    const kind: ConversationKind = first.role === 'customer' ? 'customer-group' : 'supplier-group';
    let title: string;
    if (first.lang === 'en') title = `${first.companyShort} × Hanhai ${first.role === 'customer' ? 'Project' : 'Supply'} Group`;
    else if (first.lang === 'hant') title = `${first.companyShort}×瀚海 ${HK_TITLES_HANT[kind]}`;
    else title = `${first.companyShort}×瀚海 ${kind === 'customer-group' ? crng.pick(['项目沟通群', '售后服务群', '合作对接群']) : '采购对接群'}`;
    add({
      source: inHk ? wecomHk : wecom, id: groupId(), kind, type: 'group', title, members: [...team, ...contacts], lang: first.lang,
      topics: first.role === 'customer' ? mergeTopics(CUSTOMER_TOPICS, { project: 2 }) : SUPPLIER_TOPICS, weight: 2,
    });
  }
  for (const title of SOCIAL_GROUPS) {
    add({ source: wecom, id: groupId(), kind: 'social-group', type: 'group', title, members: crng.sample(hq, crng.range(8, 40)), lang: 'hans', topics: SOCIAL_TOPICS, weight: 0.8 });
  }
  add({ source: wecomHk, id: groupId(), kind: 'social-group', type: 'group', title: 'HK Team Lunch 🍜', members: hk, lang: 'hant', topics: SOCIAL_TOPICS, weight: 0.8 });

  // Personal WeChat accounts of three sales reps, exported as their own sources.
  const wrng = rng.fork('wechat');
  const owners = wrng.sample(sales.slice(1), 3);
  owners.forEach((emp, i) => {
    const owner = makePerson({ ...emp, id: `wxid_${wrng.chars(LOWER_ALNUM, 14)}`, name: emp.name });
    const src: Source = { index: 2 + i, name: `demo:wechat-${emp.id}`, kind: 'wechat', timeFormat: 'ms', owner };
    sources.push(src);
    const mine = externals.filter((x) => ownerOf.get(x.id) === emp);
    const others = wrng.sample(externals.filter((x) => x.role === 'customer' && x.lang !== 'en'), 14);
    const contactsAll = [...new Set([...mine, ...others])];
    const aliases: Person[] = contactsAll.map((x) =>
      makePerson({ ...x, id: wrng.chance(0.3) ? `${x.callEn.toLowerCase()}${wrng.digits(4)}` : `wxid_${wrng.chars(LOWER_ALNUM, 14)}`, name: x.lang === 'hans' ? `${x.name}-${x.companyShort}` : x.name }),
    );
    for (const a of aliases) {
      add({ source: src, id: a.id, kind: 'external-direct', type: 'direct', members: [owner, a], lang: a.lang, topics: mergeTopics(CUSTOMER_TOPICS, { social: 2 }), weight: 1.6 });
    }
    for (let g = 0; g < 3; g++) {
      const group = wrng.sample(aliases, wrng.range(2, 5));
      const lead = group[0] as Person;
      const colleagues = wrng.sample(sales, 2).map((c) => makePerson({ ...c, id: `wxid_${wrng.chars(LOWER_ALNUM, 14)}` }));
      add({
        source: src, id: `${wrng.digits(11)}@chatroom`, kind: 'customer-group', type: 'group', title: lead.lang === 'hant' ? `${lead.companyShort}訂貨群` : `${lead.companyShort}订货群`,
        members: [owner, ...colleagues, ...group], lang: lead.lang, topics: mergeTopics(CUSTOMER_TOPICS, { social: 1 }), weight: 2,
      });
    }
  });

  return { name: COMPANY_NAME, shortName: COMPANY_SHORT, employees, externals, sources, conversations };
}

/** The class a conversation's traffic is budgeted under: source kind × language. */
export function volumeClass(c: Conversation): string {
  const src = c.source.kind === 'wechat' ? 'wechat' : c.source.name === 'demo:wecom-hk' ? 'wecom-hk' : 'wecom';
  return `${src}/${c.lang}`;
}

/** Share of all messages per volume class (tuned so ~8 % traditional and ~8 % English text). */
export const VOLUME_SHARES: { [cls: string]: number } = {
  'wecom/hans': 71.5,
  'wecom/hant': 3.5,
  'wecom/en': 3.5,
  'wecom-hk/hant': 6,
  'wecom-hk/en': 2,
  'wechat/hans': 12.5,
  'wechat/hant': 1,
};
