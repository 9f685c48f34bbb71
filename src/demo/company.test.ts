import { describe, expect, it } from 'vitest';
import { buildCompany, DEPARTMENTS } from './company.js';
import { allTemplates } from './phrases.js';
import { Rng, WeightedPicker } from './prng.js';

/** Pairs whose simplified and traditional forms differ: [simplified, traditional]. */
const PAIRS = '们們这這个個来來时時会會对對说說过過还還与與发發报報价價单單据據货貨订訂请請谢謝问問题題产產数數应應该該议議预預机機关關户戶号號码碼开開给給么麼吗嗎为為后後经經确確认認运運约約样樣东東车車见見间間话話资資务務业業长長门門电電网網线線实實现現财財买買卖賣进進联聯络絡';
const SIMPLIFIED_ONLY = new Set([...PAIRS].filter((_, i) => i % 2 === 0));
const TRADITIONAL_ONLY = new Set([...PAIRS].filter((_, i) => i % 2 === 1));

describe('synthetic company', () => {
  const company = buildCompany(new Rng('company-test'));

  it('has ~200 employees in the expected departments with pinyin ids and Chinese names', () => {
    expect(company.employees.length).toBeGreaterThanOrEqual(190);
    expect(company.employees.length).toBeLessThanOrEqual(210);
    const depts = new Set(company.employees.map((e) => e.dept?.name));
    for (const d of ['销售部', '财务部', '法务合规部', '技术部', '采购部', '人力资源部', '市场部']) expect(depts.has(d), d).toBe(true);
    expect(DEPARTMENTS.length).toBeGreaterThanOrEqual(7);
    const ids = company.employees.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of company.employees) {
      expect(e.id).toMatch(/^[a-z]+\d*$/);
      expect(e.name).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(ids.some((id) => /\d$/.test(id))).toBe(true); // a second zhangwei becomes zhangwei2
  });

  it('has ~150 external contacts at customers and suppliers, some Hong Kong/Taiwan, some English-speaking', () => {
    const x = company.externals;
    expect(x.length).toBeGreaterThanOrEqual(120);
    expect(x.length).toBeLessThanOrEqual(200);
    for (const p of x) expect(p.id).toMatch(/^wmExt[0-9A-Za-z]+$/);
    expect(x.some((p) => p.role === 'customer')).toBe(true);
    expect(x.some((p) => p.role === 'supplier')).toBe(true);
    expect(x.filter((p) => p.region === 'hk').length).toBeGreaterThan(3);
    expect(x.filter((p) => p.region === 'tw').length).toBeGreaterThan(3);
    expect(x.filter((p) => p.lang === 'en').length).toBeGreaterThan(10);
    expect(x.some((p) => /有限公司$/.test(p.company))).toBe(true);
  });

  it('has direct chats and titled groups across several sources, with unique ids per source', () => {
    const kinds = new Set(company.conversations.map((c) => c.kind));
    for (const k of ['internal-direct', 'external-direct', 'dept-group', 'project-group', 'customer-group', 'all-hands']) expect(kinds.has(k as never), k).toBe(true);
    const seen = new Set<string>();
    for (const c of company.conversations) {
      const key = `${c.source.name}\u0000${c.id}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
      if (c.type === 'group') expect(c.title).toBeTruthy();
      if (c.type === 'direct') expect(c.members.length).toBe(2);
      expect(c.weight).toBeGreaterThan(0);
    }
    expect(company.sources.length).toBeGreaterThanOrEqual(3);
    expect(company.sources.some((s) => s.kind === 'wechat')).toBe(true);
  });

  it('is a function of the seed', () => {
    const again = buildCompany(new Rng('company-test'));
    expect(again.employees.map((e) => e.id)).toEqual(company.employees.map((e) => e.id));
    expect(again.conversations.map((c) => c.id)).toEqual(company.conversations.map((c) => c.id));
    const other = buildCompany(new Rng('other'));
    expect(other.employees.map((e) => e.id)).not.toEqual(company.employees.map((e) => e.id));
  });
});

describe('phrase templates', () => {
  const t = allTemplates();

  it('simplified templates use no traditional-only characters', () => {
    const bad = t.hans.filter((s) => [...s].some((ch) => TRADITIONAL_ONLY.has(ch)));
    expect(bad).toEqual([]);
  });

  it('traditional templates use no simplified-only characters, and most are recognisably traditional', () => {
    const bad = t.hant.filter((s) => [...s].some((ch) => SIMPLIFIED_ONLY.has(ch)));
    expect(bad).toEqual([]);
    const trad = t.hant.filter((s) => [...s].some((ch) => TRADITIONAL_ONLY.has(ch)));
    expect(trad.length / t.hant.length).toBeGreaterThan(0.7);
  });

  it('English templates contain no Chinese characters', () => {
    expect(t.en.filter((s) => /[\u4e00-\u9fff]/.test(s))).toEqual([]);
  });
});

describe('prng', () => {
  it('is deterministic per seed and roughly uniform', () => {
    const a = new Rng('x');
    const b = new Rng('x');
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(new Rng('y').next()).not.toBe(xs[0]);
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(xs.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('WeightedPicker follows the weights', () => {
    const p = new WeightedPicker(['a', 'b', 'c'], [1, 0, 3]);
    const r = new Rng('w');
    const n = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 8000; i++) n[p.pick(r) as 'a' | 'b' | 'c']++;
    expect(n.b).toBe(0);
    expect(n.c / n.a).toBeGreaterThan(2.5);
    expect(n.c / n.a).toBeLessThan(3.5);
  });
});
