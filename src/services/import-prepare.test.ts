import { describe, expect, it } from 'vitest';
import { prepareRecordObject } from './import-prepare.js';

// A connector's record whose large attachment (handed over by path) cannot be read becomes a bad
// record naming the file, not a crash of the import.

const record = {
  source: 'wechat:wxid_owner0001', id: 'm1', time: '2026-03-01T10:00:00+08:00',
  conversation: { id: 'wxid_peer0001', type: 'direct' }, from: { id: 'wxid_peer0001' }, type: 'video',
};

describe('prepareRecordObject', () => {
  it('makes an unreadable on-disk attachment a bad record that names the file', () => {
    const out = prepareRecordObject(record, { line: 7, text: '{"row":1}', attachments: [{ name: 'big.mp4', path: '/nonexistent/wekeep/big.mp4' }], dedupKey: Buffer.alloc(32, 1) });
    expect(out).toEqual({ line: 7, reason: 'attachment big.mp4: cannot read /nonexistent/wekeep/big.mp4 (ENOENT)', content: '{"row":1}' });
  });

  it('hashes an in-memory attachment as before', () => {
    const out = prepareRecordObject(record, { line: 1, text: '', attachments: [{ name: 'a.bin', data: Buffer.from('abc') }], dedupKey: Buffer.alloc(32, 1) });
    expect('reason' in out).toBe(false);
    if ('reason' in out) return;
    expect(out.attachments[0]).toMatchObject({ name: 'a.bin', size: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' });
  });
});
