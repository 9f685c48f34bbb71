import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/cli.js';
import { CSV_HEADER } from '../../../test/support/wechat-fixtures/csv.js';
import { detectFormat } from './detect.js';

const tmp = tempDir('detect');
afterAll(() => tmp.cleanup());

function touch(...parts: string[]): string {
  const p = join(tmp.path, ...parts);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, parts[parts.length - 1]!.endsWith('.csv') ? `\ufeff${CSV_HEADER.join(',')}\r\n` : '');
  return p;
}

describe('detectFormat', () => {
  it('tells each format from a file', () => {
    expect(detectFormat(touch('a', 'MSG0.db'))).toMatchObject({ format: 'wechat-pc3' });
    expect(detectFormat(touch('b', 'message_3.db'))).toMatchObject({ format: 'wechat-pc4' });
    expect(detectFormat(touch('c', 'EnMicroMsg.db'))).toMatchObject({ format: 'wechat-android' });
    expect(detectFormat(touch('d', 'MM.sqlite'))).toMatchObject({ format: 'wechat-ios' });
    expect(detectFormat(touch('e', '张三_utf8.csv'))).toMatchObject({ format: 'wechatmsg-csv', evidence: "张三_utf8.csv (CSV with WeChatMsg's header)" });
    const nd = join(tmp.path, 'f', 'x.txt');
    mkdirSync(join(tmp.path, 'f'));
    writeFileSync(nd, '{"source":"s"}\n');
    expect(detectFormat(nd)).toMatchObject({ format: 'ndjson' });
  });

  it('finds an export inside a folder and hands the reader its root', () => {
    touch('g', 'xwechat_files', 'wxid_a_1b2c', 'db_storage', 'message', 'message_0.db');
    expect(detectFormat(join(tmp.path, 'g'))).toEqual({
      format: 'wechat-pc4', evidence: 'xwechat_files/wxid_a_1b2c/db_storage (WeChat 4.x db_storage folder)', path: join(tmp.path, 'g', 'xwechat_files', 'wxid_a_1b2c'),
    });
    touch('h', 'wxid_b', 'Msg', 'Multi', 'MSG0.db');
    expect(detectFormat(join(tmp.path, 'h'))).toMatchObject({ format: 'wechat-pc3', path: join(tmp.path, 'h', 'wxid_b') });
    touch('i', '聊天记录', '张三', '张三_utf8.csv');
    expect(detectFormat(join(tmp.path, 'i'))).toMatchObject({ format: 'wechatmsg-csv', path: join(tmp.path, 'i') });
  });

  it('is a usage error when nothing, or two kinds of database export, are found', () => {
    mkdirSync(join(tmp.path, 'empty'));
    expect(() => detectFormat(join(tmp.path, 'empty'))).toThrow(expect.objectContaining({ exitCode: 2, code: 'import.format_unknown' }));
    touch('both', 'MM.sqlite');
    touch('both', 'EnMicroMsg.db');
    expect(() => detectFormat(join(tmp.path, 'both'))).toThrow(/holds more than one kind of export/);
    expect(() => detectFormat(join(tmp.path, 'nope'))).toThrow(/no such file or folder/);
    const plain = join(tmp.path, 'plain.csv');
    writeFileSync(plain, 'a,b\n1,2\n');
    expect(() => detectFormat(plain)).toThrow(/cannot tell the format from the file/);
  });
});
