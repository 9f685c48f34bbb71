import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createKeyring, KEYRING_FILE, loadKeyring, rotateMasterKey, formatMasterKey } from './keyring.js';

let dir: string;
let master: Buffer;
const src = (): { keyFile: string; masterKeyHex: string } => ({ keyFile: join(dir, 'master.key'), masterKeyHex: master.toString('hex') });
const fileOf = (): { entries: Record<string, string>; destroyed: { name: string }[] } => JSON.parse(readFileSync(join(dir, KEYRING_FILE), 'utf8')) as never;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wekeep-keyring-'));
  master = randomBytes(32);
  createKeyring(dir, master);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('keyring: batch bucket keys and destruction', () => {
  it('creates thousands of keys in one write and returns the same keys afterwards', () => {
    const k = loadKeyring(dir, src());
    const names = Array.from({ length: 3000 }, (_, i) => `backup-bucket:1:${i}:2026-03:g1`);
    const { keys, destroyed } = k.ensureKeys(names);
    expect(keys.size).toBe(3000);
    expect(destroyed.size).toBe(0);
    expect(Object.keys(fileOf().entries)).toHaveLength(3000 + 4);
    const again = loadKeyring(dir, src()).ensureKeys(names);
    for (const n of names) expect(again.keys.get(n)!.equals(keys.get(n)!)).toBe(true);
  });

  it('refuses names outside the bucket namespaces', () => {
    const k = loadKeyring(dir, src());
    expect(() => k.ensureKeys(['db'])).toThrow(AppError);
    expect(() => k.destroyKeys(['audit'], 1)).toThrow(AppError);
  });

  it('two processes (two loaded keyrings) never lose each other\'s keys, and a destroyed key stays destroyed', () => {
    const a = loadKeyring(dir, src());
    const b = loadKeyring(dir, src());
    const ka = a.ensureKeys(['backup-bucket:1:1:2026-01:g1']).keys.get('backup-bucket:1:1:2026-01:g1')!;
    b.ensureKeys(['backup-bucket:1:2:2026-01:g1']);
    b.bucketKey('hr');
    expect(Object.keys(fileOf().entries)).toEqual(expect.arrayContaining(['backup-bucket:1:1:2026-01:g1', 'backup-bucket:1:2:2026-01:g1', 'bucket:hr']));
    // b learns a's key from disk instead of making up another one
    expect(b.namedKey('backup-bucket:1:1:2026-01:g1')!.equals(ka)).toBe(true);

    expect(b.destroyKeys(['backup-bucket:1:1:2026-01:g1', 'backup-bucket:9:9:2026-01:g1'], 42)).toEqual(['backup-bucket:1:1:2026-01:g1']);
    // a still holds the key in memory; its next write must not bring it back
    a.ensureKeys(['backup-bucket:1:3:2026-01:g1']);
    const f = fileOf();
    expect(f.entries['backup-bucket:1:1:2026-01:g1']).toBeUndefined();
    expect(f.destroyed.map((d) => d.name)).toEqual(['backup-bucket:1:1:2026-01:g1', 'backup-bucket:9:9:2026-01:g1']);
    // a name on the destroyed list is never created again, even one that never had a key
    const r = a.ensureKeys(['backup-bucket:1:1:2026-01:g1', 'backup-bucket:9:9:2026-01:g1', 'backup-bucket:1:3:2026-01:g1']);
    expect([...r.destroyed].sort()).toEqual(['backup-bucket:1:1:2026-01:g1', 'backup-bucket:9:9:2026-01:g1']);
    expect(r.keys.has('backup-bucket:1:3:2026-01:g1')).toBe(true);
    expect(a.isDestroyed('backup-bucket:1:1:2026-01:g1')).toBe(true);
    expect(loadKeyring(dir, src()).namedKey('backup-bucket:1:1:2026-01:g1')).toBeUndefined();
    expect(() => loadKeyring(dir, src()).bucketKey('default')).not.toThrow();
  });

  it('takes over a lock left by a dead process, and leaves no lock behind', () => {
    writeFileSync(join(dir, `${KEYRING_FILE}.lock`), '999999999');
    const k = loadKeyring(dir, src());
    k.ensureKeys(['backup-bucket:1:1:2026-02:g1']);
    expect(existsSync(join(dir, `${KEYRING_FILE}.lock`))).toBe(false);
  });

  it('a master-key rotation keeps keys created by another instance meanwhile', () => {
    writeFileSync(join(dir, 'master.key'), formatMasterKey(master));
    const fromFile = { keyFile: join(dir, 'master.key') };
    const other = loadKeyring(dir, fromFile);
    other.ensureKeys(['backup-bucket:5:5:2026-05:g1']);
    rotateMasterKey(dir, fromFile);
    const after = loadKeyring(dir, fromFile);
    expect(after.namedKey('backup-bucket:5:5:2026-05:g1')!.equals(other.namedKey('backup-bucket:5:5:2026-05:g1')!)).toBe(true);
    // the stale instance cannot write with the old master key
    expect(() => other.ensureKeys(['backup-bucket:6:6:2026-06:g1'])).toThrow(/rotated/);
  });
});
