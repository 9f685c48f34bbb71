import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson, tempDir } from './support/cli.js';

describe('wekeep init --demo', () => {
  const tmp = tempDir('demo');
  afterAll(() => tmp.cleanup());

  it('creates a store holding a searchable demo corpus in one command', () => {
    const data = join(tmp.path, 'data');
    const r = runCliJson<{ dataDir: string; demo: { imported: number; quarantined: number; attachments: { stored: number } } }>(['--data', data, 'init', '--demo', '400']);
    expect(r.demo.imported).toBe(400);
    expect(r.demo.quarantined).toBe(0);
    expect(r.demo.attachments.stored).toBeGreaterThan(0);
    const s = runCliJson<{ totals: { messages: number } }>(['--data', data, 'stats']);
    expect(s.totals.messages).toBe(400);
    expect(runCliJson<{ total: number }>(['--data', data, 'search', 'after:2000-01-01']).total).toBe(400);
    expect(runCli(['--data', data, 'audit', 'verify']).status).toBe(0);
  });
});
