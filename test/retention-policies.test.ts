import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { importNdjson } from '../src/services/import.js';
import { initStore } from '../src/services/store.js';
import { cliEnv, runCli, runCliJson, tempDir } from './support/cli.js';
import { textRecord, toNdjson } from './support/records.js';

// Retention policies, the forecast, the dry run, matters and legal holds through the real CLI, on
// a real data dir whose records span years (so policies act at once; `--now` fixes the instant).

const NOW = '2026-06-01T00:00:00Z';
const year = (y: number, m = 0, d = 15): number => Date.UTC(y, m, d, 4);

// Many CLI processes per test: generous time on a loaded 2-core machine.
describe('wekeep policies, matters and holds', { timeout: 240_000 }, () => {
  const tmp = tempDir('retention');
  const data = join(tmp.path, 'data');
  const cli = (args: string[]) => runCli(['--data', data, ...args]);
  const json = <T>(args: string[], expectStatus = 0) => runCliJson<T>(['--data', data, ...args], { expectStatus });

  beforeAll(async () => {
    mkdirSync(tmp.path, { recursive: true });
    const records = [
      // voice notes: 2018, 2024, 2026 (group, with an external contact)
      textRecord({ id: 'v2018', type: 'voice', text: undefined, time: year(2018), to: [{ id: 'wmCUSTOMER01', name: '客户王' }] }),
      textRecord({ id: 'v2024', type: 'voice', text: undefined, time: year(2024) }),
      textRecord({ id: 'v2026', type: 'voice', text: undefined, time: year(2026, 4) }),
      // texts: 2017 and 2019 in a direct chat of lisi, 2025 in the group about a contract
      textRecord({ id: 't2017', text: '旧的报价', time: year(2017), conversation: { id: 'dm-lisi', type: 'direct' }, from: { id: 'lisi', name: '李四' }, to: [{ id: 'zhaoliu' }] }),
      textRecord({ id: 't2019', text: '付款条件', time: year(2019), conversation: { id: 'dm-lisi', type: 'direct' }, from: { id: 'lisi', name: '李四' }, to: [{ id: 'zhaoliu' }] }),
      textRecord({ id: 't2025', text: '合同第三版', time: year(2025) }),
    ];
    writeFileSync(join(tmp.path, 'in.ndjson'), toNdjson(records));
    // Set up in-process (what `wekeep init` and `wekeep import` do; their CLI is tested in archive-cli.test.ts).
    const { ctx } = await initStore(loadConfig({ data }, cliEnv()));
    try {
      expect(await importNdjson(ctx, { file: join(tmp.path, 'in.ndjson') })).toMatchObject({ imported: records.length, quarantined: 0 });
    } finally {
      await ctx.close();
    }
  });
  afterAll(() => tmp.cleanup());

  it('adds policies (with presets), lists and shows them', () => {
    const p = json<{ id: number; name: string; max: string; action: string; locked: boolean }>(['policies', 'add', '--name', 'voice-2y', '--scope', 'type:voice', '--max', '2y', '--action', 'delete', '--purpose', 'minimise recordings', '--basis', 'PIPL Art. 19']);
    expect(p).toMatchObject({ name: 'voice-2y', max: '2y', action: 'delete', locked: false });
    const finra = json<{ min: string; locked: boolean; preset: string }>(['policies', 'add', '--name', 'finra', '--preset', 'sec-17a-4', '--scope', 'kind:direct']);
    expect(finra).toMatchObject({ min: '6y', locked: true, preset: 'sec-17a-4' });
    const list = json<{ policies: { name: string }[] }>(['policies', 'list']);
    expect(list.policies.map((x) => x.name)).toEqual(['voice-2y', 'finra']);
    expect(cli(['policies', 'show', 'finra']).stdout).toMatch(/SEC Rule 17a-4/);
  });

  it('refuses a policy without purpose, basis or duration, and unknown scopes, with usage errors', () => {
    const noBasis = cli(['policies', 'add', '--name', 'x', '--max', '1y', '--purpose', 'p']);
    expect(noBasis.status).toBe(2);
    expect(noBasis.stderr).toMatch(/legal basis/);
    expect(cli(['policies', 'add', '--name', 'x', '--purpose', 'p', '--basis', 'b']).stderr).toMatch(/minimum \(--min\), a maximum \(--max\)/);
    expect(cli(['policies', 'add', '--name', 'x', '--max', '1 year', '--purpose', 'p', '--basis', 'b']).stderr).toMatch(/maximum "1 year" is not a duration/);
    const inverted = cli(['policies', 'add', '--name', 'x', '--min', '2y', '--max', '1y', '--purpose', 'p', '--basis', 'b']);
    expect(inverted.status).toBe(2);
    expect(inverted.stderr).toMatch(/minimum \(2y\) cannot be longer than the maximum \(1y\).*\[retention\.min_above_max\]/);
    expect(cli(['policies', 'add', '--name', 'x', '--scope', '合同', '--max', '1y', '--purpose', 'p', '--basis', 'b']).stderr).toMatch(/filters only/);
    expect(cli(['policies', 'add', '--name', 'x', '--scope', 'type:voice OR party:external', '--max', '1y', '--purpose', 'p', '--basis', 'b']).stderr).toMatch(/kind:, party: and dept: cannot be combined with OR/);
    expect(cli(['policies', 'add', '--name', 'voice-2y', '--max', '1y', '--purpose', 'p', '--basis', 'b']).status).toBe(2);
  });

  it('never lets a locked policy be shortened, disabled or re-scoped, and audits the refusal', () => {
    const shorter = cli(['policies', 'update', 'finra', '--min', '5y']);
    expect(shorter.status).toBe(2);
    expect(shorter.stderr).toMatch(/locked: the minimum of a locked policy can only be extended/);
    // A dry run of a refused change is refused the same way, not shown as if it could be saved.
    const dry = cli(['policies', 'update', 'finra', '--min', '5y', '--dry-run']);
    expect([dry.status, dry.stderr]).toEqual([2, expect.stringMatching(/locked: the minimum of a locked policy can only be extended/)]);
    // A regulatory preset's floor cannot be shortened at creation either (it would carry the regulation's name and basis).
    const below = cli(['policies', 'add', '--name', 'sec-short', '--preset', 'sec-17a-4', '--min', '1y']);
    expect([below.status, below.stderr]).toEqual([2, expect.stringMatching(/preset sec-17a-4 keeps records at least 6y.*\[retention\.below_preset\]/)]);
    expect(cli(['policies', 'add', '--name', 'mifid-short', '--preset', 'mifid-ii', '--min', '4y']).status).toBe(2);
    expect(cli(['policies', 'disable', 'finra']).stderr).toMatch(/cannot be disabled/);
    expect(cli(['policies', 'update', 'finra', '--scope', '']).stderr).toMatch(/scope of a locked policy/);
    // Removing its floor is a refused change too (not "needs a duration").
    expect(cli(['policies', 'update', 'finra', '--min', '']).stderr).toMatch(/locked: its minimum cannot be removed.*\[retention\.policy_locked\]/);
    expect(json<{ min: string; version: number }>(['policies', 'update', 'finra', '--min', '7y'])).toMatchObject({ min: '7y', version: 2 });
    const events = json<{ action: string }[]>(['audit', 'list', '--limit', '1000']).map((e) => e.action);
    expect(events).toEqual(expect.arrayContaining(['retention.policy_added', 'retention.policy_updated', 'retention.policy_change_refused']));
  });

  it('forecasts what each policy disposes and shows floor/ceiling conflicts', () => {
    const f = json<{ records: number; policies: { name: string; dueNow: { records: number }; within: Record<string, { records: number }> }[]; conflicts: { records: number } }>(['policies', 'forecast', '--now', NOW]);
    const voice = f.policies.find((p) => p.name === 'voice-2y')!;
    // v2018 and v2024 (2024-01-15 + 2y = 2026-01-15) are due; v2026 is due 2028.
    expect(voice.dueNow.records).toBe(2);
    expect(voice.within['365']!.records).toBe(2);
    expect(f.conflicts.records).toBe(0);
  });

  it('dry-runs a policy before saving: which records change fate', () => {
    const d = json<{ changedNow: number; newConflicts: number; newlyDue: { records: number }; examples: { id: string; before: { fate: string }; after: { fate: string } }[] }>(
      ['policies', 'add', '--name', 'pipl', '--preset', 'pipl-minimum-necessary', '--max', '3y', '--action', 'review', '--dry-run', '--now', NOW]);
    // A 3y ceiling on everything: the direct-chat texts of 2017 and 2019 were kept (finra's 7y floor, no
    // ceiling); now their ceiling has passed, and so has the floor (2024, 2026-01): they go to review.
    // The voice notes keep their shorter 2y ceiling; the 2025 text becomes due only in 2028.
    const changed = d.examples.map((e) => `${e.id}:${e.before.fate}->${e.after.fate}`).sort();
    expect(changed).toEqual(['t2017:keep->review', 't2019:keep->review']);
    expect(d.changedNow).toBe(2);
    expect(d.newlyDue.records).toBe(2);
    expect(json<{ policies: unknown[] }>(['policies', 'list']).policies).toHaveLength(2);
  });

  it('opens matters, places and releases holds, and a hold takes records out of the forecast', () => {
    json(['matters', 'add', 'case-7', '--description', 'supplier dispute']);
    const h = json<{ id: number; status: string; coveredAtPlacement: number }>(['holds', 'add', '--matter', 'case-7', '--scope', 'type:voice', '--before', '2019-01-01', '--reason', 'preserve the 2018 recordings']);
    expect(h).toMatchObject({ status: 'active', coveredAtPlacement: 1 });
    const f = json<{ policies: { name: string; dueNow: { records: number } }[]; held: { records: number } }>(['policies', 'forecast', '--now', NOW]);
    expect(f.policies.find((p) => p.name === 'voice-2y')!.dueNow.records).toBe(1);
    expect(f.held.records).toBe(1);
    const text = json<{ coveredAtPlacement: number }>(['holds', 'add', '--matter', 'case-7', '--scope', '合同', '--reason', 'contract documents']);
    expect(text.coveredAtPlacement).toBe(1);
    expect(json<{ covered: number }>(['holds', 'show', String(h.id)]).covered).toBe(1);
    // People read the hold's range in the zone it was placed in (Asia/Shanghai by default), not in UTC.
    expect(cli(['holds', 'show', String(h.id)]).stdout).toContain('time … – 2019-01-01 00:00:00 (Asia/Shanghai)');
    const noCriteria = cli(['holds', 'add', '--matter', 'case-7', '--reason', 'x']);
    expect(noCriteria.status).toBe(2);
    expect(noCriteria.stderr).toMatch(/needs at least one of/);
    const badDate = cli(['holds', 'add', '--matter', 'case-7', '--after', '2020-02-30', '--reason', 'x']);
    expect(badDate.status).toBe(2);
    expect(badDate.stderr).toMatch(/^wekeep: --after: "2020-02-30" is not a valid date \[holds\.bad_time\]/);
    const released = json<{ status: string; releasedBy: string; releaseReason: string }>(['holds', 'release', String(h.id), '--reason', 'court order lifted']);
    expect(released).toMatchObject({ status: 'released', releaseReason: 'court order lifted' });
    expect(cli(['holds', 'release', String(h.id), '--reason', 'again']).stderr).toMatch(/released already/);
    expect(json<{ holds: { id: number }[] }>(['holds', 'list', '--active']).holds).toHaveLength(1);
    const closed = json<{ status: string; activeHolds: number; releasedHolds: number }>(['matters', 'close', 'case-7', '--reason', 'settled']);
    expect(closed).toMatchObject({ status: 'closed', activeHolds: 0, releasedHolds: 2 });
    expect(cli(['holds', 'add', '--matter', 'case-7', '--custodian', 'lisi', '--reason', 'x']).stderr).toMatch(/closed/);
    json(['matters', 'add', 'case-8']);
    const typo = cli(['holds', 'add', '--matter', 'case-8', '--custodian', 'lsi', '--reason', 'custodian']);
    expect(typo.status).toBe(0); // a future custodian is legal
    expect(typo.stderr).toMatch(/warning: no person with the id "lsi" in the archive yet/);
    const exact = cli(['holds', 'add', '--matter', 'case-8', '--custodian', 'lisi', '--reason', 'custodian', '--json']);
    expect(exact.stderr).not.toMatch(/warning/);
    const covered = (JSON.parse(exact.stdout) as { coveredAtPlacement: number }).coveredAtPlacement;
    expect(covered).toBeGreaterThan(0);
    // A custodian id with other capitals covers the same records (like from:; WeCom userids ignore case).
    const capitals = cli(['holds', 'add', '--matter', 'case-8', '--custodian', 'LiSi', '--reason', 'custodian', '--json']);
    expect(capitals.stderr).not.toMatch(/warning/);
    expect(JSON.parse(capitals.stdout)).toMatchObject({ custodians: ['LiSi'], coveredAtPlacement: covered });
    // A mistyped filter is searched as text and an unknown conversation covers nothing yet: both said.
    const formTypo = cli(['holds', 'add', '--matter', 'case-8', '--scope', 'form:lisi 合同', '--conversation', 'no-such-room', '--reason', 'typos']);
    expect(formTypo.status).toBe(0);
    expect(formTypo.stderr).toMatch(/warning: "form:lisi" in --scope is not a filter/);
    expect(formTypo.stderr).toMatch(/warning: no conversation with the id "no-such-room"/);
    expect(cli(['holds', 'add', '--matter', 'case-8', '--scope', 'source:nowhere', '--reason', 'empty']).stderr).toMatch(/warning: the hold covers no archived record now/);
    const events = json<{ action: string }[]>(['audit', 'list', '--limit', '1000']).map((e) => e.action);
    expect(events).toEqual(expect.arrayContaining(['holds.matter_opened', 'holds.placed', 'holds.released', 'holds.matter_closed']));
    expect(cli(['audit', 'verify']).status).toBe(0);
  });
});
