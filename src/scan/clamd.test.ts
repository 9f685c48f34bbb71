import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError } from '../errors.js';
import { createClamdScanner, formatClamdAddress, parseClamdAddress, parseInstreamReply } from './clamd.js';
import { isClean, type ScanVerdict } from './scanner.js';

describe('parseClamdAddress', () => {
  it.each([
    ['tcp://127.0.0.1:3310', { kind: 'tcp', host: '127.0.0.1', port: 3310 }],
    ['tcp://clamd.internal:1234/', { kind: 'tcp', host: 'clamd.internal', port: 1234 }],
    ['tcp://localhost', { kind: 'tcp', host: 'localhost', port: 3310 }],
    ['TCP://[::1]:3311', { kind: 'tcp', host: '::1', port: 3311 }],
    ['unix:/run/clamav/clamd.ctl', { kind: 'unix', path: '/run/clamav/clamd.ctl' }],
    ['unix:///run/clamav/clamd.ctl', { kind: 'unix', path: '/run/clamav/clamd.ctl' }],
    ['/tmp/clamd.sock', { kind: 'unix', path: '/tmp/clamd.sock' }],
    ['  /tmp/clamd.sock\n', { kind: 'unix', path: '/tmp/clamd.sock' }],
  ])('%s', (input, expected) => {
    expect(parseClamdAddress(input)).toEqual(expected);
  });

  it.each([
    ['', /empty address/],
    ['127.0.0.1:3310', /did you mean tcp:\/\/127\.0\.0\.1:3310/],
    ['tcp://127.0.0.1:0', /port must be between 1 and 65535/],
    ['tcp://127.0.0.1:70000', /port must be between 1 and 65535/],
    ['tcp://127.0.0.1:33x', /not a valid tcp/],
    ['tcp://user@host:3310', /not a valid tcp/],
    ['tcp://host:3310/path', /not a valid tcp/],
    ['tcp://', /not a valid tcp/],
    ['unix:clamd.sock', /must be absolute/],
    ['clamd.sock', /unknown address form/],
    ['http://127.0.0.1:3310', /unknown address form/],
    [`/tmp/${'x'.repeat(120)}`, /limited to 107 bytes/],
  ])('rejects %j with a usage error', (input, message) => {
    let caught: unknown;
    try {
      parseClamdAddress(input);
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught)).toBe(true);
    if (!isAppError(caught)) return;
    expect(caught.code).toBe('scan.bad_clamd_address');
    expect(caught.exitCode).toBe(2);
    expect(caught.message).toMatch(message);
    // The message names the forms that would have worked.
    expect(caught.message).toContain('tcp://HOST:PORT');
  });

  it('formats addresses canonically (round trip)', () => {
    for (const text of ['tcp://127.0.0.1:3310', 'tcp://[::1]:3310', 'unix:/run/clamd.sock']) {
      expect(formatClamdAddress(parseClamdAddress(text))).toBe(text);
    }
    expect(formatClamdAddress(parseClamdAddress('/run/clamd.sock'))).toBe('unix:/run/clamd.sock');
  });

  it('createClamdScanner rejects a bad address and bad options at creation', () => {
    expect(() => createClamdScanner({ address: 'localhost:3310' })).toThrow(/did you mean/);
    expect(() => createClamdScanner({ address: '/tmp/x.sock', chunkSize: 0 })).toThrow(/chunkSize/);
    expect(() => createClamdScanner({ address: '/tmp/x.sock', timeoutMs: 1.5 })).toThrow(/timeoutMs/);
  });
});

describe('parseInstreamReply', () => {
  const engine = 'ClamAV 1.4.6';
  it.each<[string, ScanVerdict]>([
    ['stream: OK\0', { status: 'clean', engine }],
    ['stream: OK\n', { status: 'clean', engine }],
    ['stream: Test.EICAR.NDB.UNOFFICIAL FOUND\0', { status: 'infected', signature: 'Test.EICAR.NDB.UNOFFICIAL', engine }],
    // AllMatchScans: several signatures, all kept.
    ['stream: Sig.A FOUND\0stream: Sig.B FOUND\0', { status: 'infected', signature: 'Sig.A, Sig.B', engine }],
    // A FOUND anywhere wins over an OK (fail towards quarantine).
    ['stream: OK\0stream: Sig.A FOUND\0', { status: 'infected', signature: 'Sig.A', engine }],
  ])('%j', (reply, expected) => {
    expect(parseInstreamReply(reply, engine)).toEqual(expected);
  });

  it('reports the size limit as unavailable, saying so', () => {
    const verdict = parseInstreamReply('INSTREAM size limit exceeded. ERROR\0', engine);
    expect(verdict).toMatchObject({ status: 'unavailable', code: 'size_limit' });
    expect(verdict.status === 'unavailable' && verdict.reason).toMatch(/StreamMaxLength/);
  });

  it.each([
    ['stream: Can\'t allocate memory ERROR\0', 'engine_error'],
    ['UNKNOWN COMMAND\0', 'protocol'],
    ['COMMAND READ TIMED OUT\0', 'protocol'],
    ['', 'protocol'],
    ['\0\0', 'protocol'],
    ['stream: O', 'protocol'],
    ['stream: OKAY\0', 'protocol'],
    ['stream: OK\0garbage', 'protocol'],
    ['HTTP/1.1 400 Bad Request\r\n\r\n', 'protocol'],
  ])('%j is unavailable (%s), never clean', (reply, code) => {
    const verdict = parseInstreamReply(reply, engine);
    expect(verdict).toMatchObject({ status: 'unavailable', code });
    expect(isClean(verdict)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// The client against scripted fake servers (the edge cases a real clamd will not produce on demand).

interface FakeConnection {
  command: string;
  /** INSTREAM chunks as received (lengths and bytes), without the terminator. */
  chunks: Buffer[];
  terminated: boolean;
}

type Behaviour = (conn: FakeConnection, socket: Socket, phase: 'command' | 'chunk' | 'end') => void;

/** A fake clamd speaking the real framing; `behave` decides what to answer and when. */
async function fakeClamd(behave: Behaviour, on: 'tcp' | 'unix' = 'tcp'): Promise<{ address: string; connections: FakeConnection[]; server: Server }> {
  const connections: FakeConnection[] = [];
  const server = createServer((socket) => {
    const conn: FakeConnection = { command: '', chunks: [], terminated: false };
    connections.push(conn);
    let buffer = Buffer.alloc(0);
    let haveCommand = false;
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      if (!haveCommand) {
        const nul = buffer.indexOf(0);
        if (nul < 0) return;
        conn.command = buffer.subarray(0, nul).toString('latin1');
        buffer = buffer.subarray(nul + 1);
        haveCommand = true;
        behave(conn, socket, 'command');
      }
      if (conn.command !== 'zINSTREAM') return;
      while (!conn.terminated && buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (length === 0) {
          conn.terminated = true;
          buffer = buffer.subarray(4);
          behave(conn, socket, 'end');
          return;
        }
        if (buffer.length < 4 + length) return;
        conn.chunks.push(Buffer.from(buffer.subarray(4, 4 + length)));
        buffer = buffer.subarray(4 + length);
        behave(conn, socket, 'chunk');
      }
    });
  });
  servers.push(server);
  if (on === 'unix') {
    const dir = mkdtempSync(join(tmpdir(), 'wekeep-scan-'));
    server.on('close', () => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'clamd.sock');
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return { address: `unix:${path}`, connections, server };
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return { address: `tcp://127.0.0.1:${address.port}`, connections, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Answers PING/VERSION like clamd and INSTREAM with `verdict` once the stream ends. */
const honest =
  (verdict = 'stream: OK'): Behaviour =>
  (conn, socket, phase) => {
    if (phase === 'command' && conn.command === 'zPING') socket.end('PONG\0');
    if (phase === 'command' && conn.command === 'zVERSION') socket.end('ClamAV 9.9.9/1/Thu Jan  1 00:00:00 1970\0');
    if (phase === 'end') socket.end(`${verdict}\0`);
  };

async function* chunksOf(sizes: number[], fill = 0x61): AsyncGenerator<Buffer> {
  for (const size of sizes) yield Buffer.alloc(size, fill);
}

describe('createClamdScanner (against fake servers)', () => {
  it('frames INSTREAM correctly: chunks of at most chunkSize, empty pieces skipped, bytes intact', async () => {
    const fake = await fakeClamd(honest());
    const scanner = createClamdScanner({ address: fake.address, chunkSize: 1000 });
    const pieces = [Buffer.from('a'.repeat(2500)), Buffer.alloc(0), Buffer.from('b'.repeat(10)), Buffer.alloc(0)];
    const verdict = await scanner.scan((async function* () {
      yield* pieces;
    })());
    expect(verdict).toEqual({ status: 'clean', engine: 'ClamAV 9.9.9/1/Thu Jan  1 00:00:00 1970' });
    const scan = fake.connections.find((c) => c.command === 'zINSTREAM');
    expect(scan?.terminated).toBe(true);
    expect(scan?.chunks.map((c) => c.length)).toEqual([1000, 1000, 500, 10]);
    expect(Buffer.concat(scan?.chunks ?? []).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('reports infected with the signature and reuses the engine version across scans', async () => {
    const fake = await fakeClamd(honest('stream: Fake.Sig FOUND'));
    const scanner = createClamdScanner({ address: fake.address });
    const first = await scanner.scan(Buffer.from('x'));
    const second = await scanner.scan(Buffer.from('y'));
    expect(first).toEqual({ status: 'infected', signature: 'Fake.Sig', engine: 'ClamAV 9.9.9/1/Thu Jan  1 00:00:00 1970' });
    expect(second).toEqual(first);
    expect(fake.connections.filter((c) => c.command === 'zVERSION')).toHaveLength(1);
  });

  it('an empty content is still scanned (terminator only)', async () => {
    const fake = await fakeClamd(honest());
    const verdict = await createClamdScanner({ address: fake.address }).scan(Buffer.alloc(0));
    expect(verdict.status).toBe('clean');
    expect(fake.connections.find((c) => c.command === 'zINSTREAM')?.chunks).toEqual([]);
  });

  it('ping and version', async () => {
    const fake = await fakeClamd(honest());
    const scanner = createClamdScanner({ address: fake.address });
    expect(await scanner.ping()).toBe(true);
    expect(await scanner.version()).toBe('ClamAV 9.9.9/1/Thu Jan  1 00:00:00 1970');
  });

  it('ping is false and version undefined when the server answers something else', async () => {
    const fake = await fakeClamd((_conn, socket, phase) => {
      if (phase === 'command') socket.end('UNKNOWN COMMAND\0');
    });
    const scanner = createClamdScanner({ address: fake.address });
    expect(await scanner.ping()).toBe(false);
    expect(await scanner.version()).toBeUndefined();
  });

  it('times out (unavailable, not clean) when clamd never answers', async () => {
    const fake = await fakeClamd(() => undefined);
    const scanner = createClamdScanner({ address: fake.address, timeoutMs: 200 });
    const started = Date.now();
    const verdict = await scanner.scan(Buffer.from('hello'));
    expect(verdict).toMatchObject({ status: 'unavailable', code: 'timeout' });
    expect(verdict.status === 'unavailable' && verdict.reason).toMatch(/did not respond within 200 ms/);
    // VERSION (capped at the same 200 ms) and the scan itself: two timeouts at most.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await scanner.ping()).toBe(false);
  });

  it('connection refused and a missing socket file are unavailable (unreachable)', async () => {
    const fake = await fakeClamd(honest());
    const address = fake.address;
    await new Promise((resolve) => fake.server.close(resolve));
    const refused = await createClamdScanner({ address }).scan(Buffer.from('x'));
    expect(refused).toMatchObject({ status: 'unavailable', code: 'unreachable' });
    expect(refused.status === 'unavailable' && refused.reason).toMatch(/ECONNREFUSED/);

    const dir = mkdtempSync(join(tmpdir(), 'wekeep-scan-'));
    try {
      const missing = createClamdScanner({ address: join(dir, 'absent.sock') });
      expect(await missing.scan(Buffer.from('x'))).toMatchObject({ status: 'unavailable', code: 'unreachable' });
      expect(await missing.ping()).toBe(false);
      expect(await missing.version()).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a connection closed without a reply is unavailable', async () => {
    const fake = await fakeClamd((conn, socket, phase) => {
      if (conn.command === 'zVERSION') socket.end('ClamAV 9.9.9\0');
      else if (phase === 'end') socket.end();
    });
    expect(await createClamdScanner({ address: fake.address }).scan(Buffer.from('x'))).toMatchObject({ status: 'unavailable', code: 'protocol' });
  });

  it('a reply that is too long is unavailable (not clamd)', async () => {
    const fake = await fakeClamd((conn, socket, phase) => {
      if (conn.command === 'zVERSION') socket.end('ClamAV 9.9.9\0');
      else if (phase === 'end') socket.end(`stream: OK\0${'x'.repeat(10_000)}`);
    });
    expect(await createClamdScanner({ address: fake.address }).scan(Buffer.from('x'))).toMatchObject({ status: 'unavailable', code: 'protocol' });
  });

  it('stops streaming when clamd refuses mid-stream and reports its size-limit error', async () => {
    const fake = await fakeClamd((conn, socket, phase) => {
      honest()(conn, socket, phase);
      // Like clamd past StreamMaxLength: reply, then drop the connection while the client still writes.
      if (phase === 'chunk' && conn.chunks.length === 16) {
        socket.write('INSTREAM size limit exceeded. ERROR\0');
        socket.destroy();
      }
    });
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      for (;;) {
        pulled++;
        yield Buffer.alloc(64 * 1024, 1);
      }
    }
    const verdict = await createClamdScanner({ address: fake.address }).scan(endless());
    expect(verdict).toMatchObject({ status: 'unavailable', code: 'size_limit' });
    expect(verdict.status === 'unavailable' && verdict.reason).toMatch(/StreamMaxLength/);
    expect(pulled).toBeLessThan(5_000);
  });

  it('a stream dropped without a readable reply: size limit if clamd still answers PING, unreachable if not', async () => {
    const dropAfter16 =
      (afterDrop: () => void): Behaviour =>
      (conn, socket, phase) => {
        honest()(conn, socket, phase);
        if (phase === 'chunk' && conn.chunks.length === 16) {
          socket.destroy();
          afterDrop();
        }
      };
    const alive = await fakeClamd(dropAfter16(() => undefined));
    const dropped = await createClamdScanner({ address: alive.address }).scan(chunksOf(Array.from({ length: 1000 }, () => 64 * 1024)));
    expect(dropped).toMatchObject({ status: 'unavailable', code: 'size_limit' });
    expect(dropped.status === 'unavailable' && dropped.reason).toMatch(/StreamMaxLength/);

    // The listener closes with the connection: the next PING is refused, like a crashed clamd.
    const crashing: Awaited<ReturnType<typeof fakeClamd>> = await fakeClamd(dropAfter16(() => crashing.server.close()));
    const crashed = await createClamdScanner({ address: crashing.address }).scan(chunksOf(Array.from({ length: 1000 }, () => 64 * 1024)));
    expect(crashed).toMatchObject({ status: 'unavailable', code: 'unreachable' });
    expect(crashed.status === 'unavailable' && crashed.reason).toMatch(/no longer answers PING/);
  });

  it('maxStreamBytes refuses an oversized content without streaming it all', async () => {
    const fake = await fakeClamd(honest());
    const scanner = createClamdScanner({ address: fake.address, maxStreamBytes: 100_000, chunkSize: 10_000 });
    const verdict = await scanner.scan(chunksOf(Array.from({ length: 100 }, () => 10_000)));
    expect(verdict).toMatchObject({ status: 'unavailable', code: 'size_limit' });
    expect(await scanner.scan(Buffer.alloc(100_000))).toMatchObject({ status: 'clean' });
  });

  it('propagates the data source error (the caller’s problem, not a verdict) and closes the connection', async () => {
    const closed: Promise<void>[] = [];
    const fake = await fakeClamd(honest());
    fake.server.on('connection', (socket: Socket) => closed.push(new Promise((resolve) => socket.on('close', () => resolve()))));
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('part one');
      throw new Error('blob read failed');
    }
    await expect(createClamdScanner({ address: fake.address }).scan(failing())).rejects.toThrow('blob read failed');
    await Promise.all(closed);
  });

  it('respects backpressure: does not pull the source while clamd is not reading', async () => {
    let paused: Socket | undefined;
    const fake = await fakeClamd((conn, socket, phase) => {
      if (conn.command === 'zVERSION') socket.end('ClamAV 9.9.9\0');
      if (phase === 'command' && conn.command === 'zINSTREAM') {
        socket.pause();
        paused = socket;
      }
      if (phase === 'end') socket.end('stream: OK\0');
      // A Unix socket: its buffers have a fixed size, unlike loopback TCP's auto-tuned ones (up to
      // tcp_rmem's 32 MB here), so what "bounded" means does not depend on the kernel's mood.
    }, 'unix');
    const total = 64 * 1024 * 1024;
    let pulledBytes = 0;
    async function* big(): AsyncGenerator<Buffer> {
      while (pulledBytes < total) {
        pulledBytes += 64 * 1024;
        yield Buffer.alloc(64 * 1024, 2);
      }
    }
    const scanning = createClamdScanner({ address: fake.address }).scan(big());
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Socket buffers plus Node's high-water mark (measured: 256 KiB), not the 64 MB source.
    expect(pulledBytes).toBeLessThan(4 * 1024 * 1024);
    paused?.resume();
    expect(await scanning).toMatchObject({ status: 'clean' });
    expect(pulledBytes).toBe(total);
  });
});
