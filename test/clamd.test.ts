/**
 * The clamd driver against a real clamd (Debian's clamav-daemon) with the EICAR-only test database
 * (test/support/clamd.ts), over both its Unix socket and TCP. Covers what the media pipeline relies
 * on: infected is reported with the signature name, clean only when clamd says so, and every
 * failure (size limit, clamd stopped) is `unavailable`, never clean, until clamd is back.
 */
import { createHash } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClamdScanner } from '../src/scan/clamd.js';
import { isClean, type ScanVerdict } from '../src/scan/scanner.js';
import { clamdMissingReason, eicarTestFile, EICAR_BODY_SIGNATURE, EICAR_HASH_SIGNATURE, EICAR_MD5, startClamd, type ClamdServer } from './support/clamd.js';
import { prng } from './support/prng.js';

/**
 * A minimal single-entry ZIP (local header, data, central directory, end record) with a
 * deflate-compressed entry: the archive's bytes do not contain the EICAR text, so only clamd's
 * archive unpacking can find it.
 */
function zipWithOneFile(name: string, content: Buffer): Buffer {
  const fileName = Buffer.from(name, 'utf8');
  const compressed = deflateRawSync(content);
  const checksum = crc32(content);
  const DEFLATE = 8;
  const VERSION = 20; // 2.0: deflate
  const DOS_TIME = 0; // 00:00:00
  const DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1; // 2026-01-01

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(VERSION, 4);
  local.writeUInt16LE(0, 6); // flags
  local.writeUInt16LE(DEFLATE, 8);
  local.writeUInt16LE(DOS_TIME, 10);
  local.writeUInt16LE(DOS_DATE, 12);
  local.writeUInt32LE(checksum, 14);
  local.writeUInt32LE(compressed.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  local.writeUInt16LE(0, 28); // extra length

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(VERSION, 4); // made by
  central.writeUInt16LE(VERSION, 6); // needed
  central.writeUInt16LE(0, 8);
  central.writeUInt16LE(DEFLATE, 10);
  central.writeUInt16LE(DOS_TIME, 12);
  central.writeUInt16LE(DOS_DATE, 14);
  central.writeUInt32LE(checksum, 16);
  central.writeUInt32LE(compressed.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  // extra, comment, disk number, internal and external attributes: all zero
  central.writeUInt32LE(0, 42); // offset of the local header

  const centralOffset = local.length + fileName.length + compressed.length;
  const centralSize = central.length + fileName.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8); // entries on this disk
  end.writeUInt16LE(1, 10); // entries in total
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, compressed, central, fileName, end]);
}

/** Deterministic pseudo-random bytes (incompressible, no accidental signature). */
function randomBytes(size: number, seed: number): Buffer {
  const next = prng(seed);
  const bytes = Buffer.alloc(Math.ceil(size / 4) * 4);
  for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE(Math.floor(next() * 0x1_0000_0000), i);
  return bytes.subarray(0, size);
}

/** `data` as an async stream of uneven pieces, like a download or a blob read. */
async function* inPieces(data: Buffer, pieceSize: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += pieceSize) yield data.subarray(offset, offset + pieceSize);
}

/** clamd reports signatures from an unofficial (custom) database with the suffix `.UNOFFICIAL`. */
const reported = (...names: string[]): RegExp => new RegExp(`^(${names.map((n) => n.replaceAll('.', '\\.')).join('|')})\\.UNOFFICIAL$`);
/** Either test signature: which one clamd reports first for a bare EICAR file is its business. */
const SIGNATURE = reported(EICAR_HASH_SIGNATURE, EICAR_BODY_SIGNATURE);
const ENGINE = /^ClamAV \d+\.\d+/;

function expectInfected(verdict: ScanVerdict, signature: RegExp = SIGNATURE): void {
  expect(verdict.status, JSON.stringify(verdict)).toBe('infected');
  if (verdict.status !== 'infected') return;
  expect(verdict.signature).toMatch(signature);
  expect(verdict.engine).toMatch(ENGINE);
}

const missing = clamdMissingReason();
if (missing !== undefined) console.warn(`skipping the real-clamd tests: ${missing}`);

describe.skipIf(missing !== undefined)(`the clamd scanner against a real clamd${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
  let clamd: ClamdServer;

  beforeAll(async () => {
    const started = await startClamd();
    if (started === undefined) throw new Error('startClamd returned undefined although clamd is installed');
    clamd = started;
    console.log(`clamd answered PING ${clamd.lastStartMs} ms after spawn`);
  });

  afterAll(async () => {
    await clamd?.dispose();
  });

  it('builds the EICAR test file from parts (the repository never contains it)', () => {
    const eicar = eicarTestFile();
    expect(eicar.length).toBe(68);
    expect(createHash('md5').update(eicar).digest('hex')).toBe(EICAR_MD5);
  });

  describe.each(['unix', 'tcp'] as const)('over %s', (transport) => {
    const scanner = () => createClamdScanner({ address: transport === 'unix' ? clamd.socketPath : clamd.tcpAddress });

    it('answers PING and VERSION', async () => {
      const s = scanner();
      expect(await s.ping()).toBe(true);
      expect(await s.version()).toMatch(ENGINE);
    });

    it('EICAR → infected, with the signature name and the engine version', async () => {
      expectInfected(await scanner().scan(eicarTestFile()));
    });

    it('EICAR inside a deflated zip → infected (clamd unpacks archives)', async () => {
      const zip = zipWithOneFile('readme.txt', Buffer.concat([eicarTestFile(), Buffer.from('\r\n')]));
      // The body marker is not visible in the compressed bytes: only unpacking can find it.
      expect(zip.includes(Buffer.from('ANTIVIRUS'))).toBe(false);
      expectInfected(await scanner().scan(zip));
    });

    it('EICAR split across stream pieces and INSTREAM chunks, 5 MB into a stream → infected', async () => {
      const data = Buffer.concat([randomBytes(5 * 1024 * 1024 + 3, 7), eicarTestFile(), randomBytes(1000, 8)]);
      // Pieces of 7919 bytes and 4 KiB chunks put boundaries inside the signature.
      const verdict = await createClamdScanner({ address: transport === 'unix' ? clamd.socketPath : clamd.tcpAddress, chunkSize: 4096 }).scan(inPieces(data, 7919));
      // Only the body signature can match: the MD5 signature is for the bare 68-byte file.
      expectInfected(verdict, reported(EICAR_BODY_SIGNATURE));
    });

    it('a clean 5 MB content → clean (as a Buffer and as a stream)', async () => {
      const data = randomBytes(5 * 1024 * 1024, 42);
      const s = scanner();
      const fromBuffer = await s.scan(data);
      expect(fromBuffer.status, JSON.stringify(fromBuffer)).toBe('clean');
      expect(isClean(fromBuffer) && fromBuffer.engine).toMatch(ENGINE);
      expect((await s.scan(inPieces(data, 100_000))).status).toBe('clean');
    });

    it('a stream larger than StreamMaxLength → unavailable with a size reason, never clean', async () => {
      const tooBig = randomBytes(clamd.streamMaxBytes + 1024 * 1024, 9);
      for (const data of [tooBig, inPieces(tooBig, 256 * 1024)]) {
        const verdict = await scanner().scan(data);
        expect(verdict.status, JSON.stringify(verdict)).toBe('unavailable');
        if (verdict.status !== 'unavailable') continue;
        expect(verdict.code).toBe('size_limit');
        expect(verdict.reason).toMatch(/StreamMaxLength/);
      }
    });
  });

  it('fail-closed: clamd stopped → unavailable (both sockets), ping false; restarted → clean again', async () => {
    const unix = createClamdScanner({ address: clamd.socketPath, timeoutMs: 5_000 });
    const tcp = createClamdScanner({ address: clamd.tcpAddress, timeoutMs: 5_000 });
    const sample = randomBytes(64 * 1024, 3);
    expect((await unix.scan(sample)).status).toBe('clean');

    const stopping = Date.now();
    await clamd.stop();
    console.log(`clamd stopped ${Date.now() - stopping} ms after SIGTERM`);
    for (const s of [unix, tcp]) {
      const verdict = await s.scan(sample);
      expect(verdict).toMatchObject({ status: 'unavailable', code: 'unreachable' });
      expect(await s.scan(eicarTestFile())).toMatchObject({ status: 'unavailable' });
      expect(await s.ping()).toBe(false);
      expect(await s.version()).toBeUndefined();
    }

    await clamd.restart();
    console.log(`clamd restarted in ${clamd.lastStartMs} ms`);
    for (const s of [unix, tcp]) {
      expect(await s.ping()).toBe(true);
      expect((await s.scan(sample)).status).toBe('clean');
      expectInfected(await s.scan(eicarTestFile()));
    }
  });
});
