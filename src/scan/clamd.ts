/**
 * The clamd driver of the malware-scanning port: a small node:net client for clamd's socket
 * protocol (ClamAV's `clamd(8)` "COMMANDS" section), over TCP or a Unix socket.
 *
 * One connection per command, `z`-prefixed (NUL-terminated) commands:
 * - `zINSTREAM\0`, then chunks `<uint32 big-endian length><bytes>`, then a zero-length chunk; clamd
 *   replies `stream: OK`, `stream: <Signature> FOUND` or `<message> ERROR` (e.g.
 *   `INSTREAM size limit exceeded. ERROR` past its StreamMaxLength) and closes the connection.
 * - `zPING\0` → `PONG`; `zVERSION\0` → `ClamAV 1.4.6/<db version>/<db date>`.
 *
 * Fail-closed: every problem on the scanner side (cannot connect, timeout, connection lost, error
 * reply, reply we do not recognise) becomes an `unavailable` verdict; `clean` is reported only for
 * the exact `stream: OK` reply. Logging is left to callers; reasons built here never contain
 * scanned content or file names.
 */
import { createConnection, type Socket } from 'node:net';
import { setImmediate as nextLoopTurn } from 'node:timers/promises';
import { usageError } from '../errors.js';
import { scanUnavailable, type MalwareScanner, type ScanUnavailableCode, type ScanVerdict } from './scanner.js';

/** clamd's well-known TCP port (used when a `tcp://` address omits it). */
export const DEFAULT_CLAMD_PORT = 3310;
/** Chunk size for INSTREAM: large enough to keep syscalls few, small enough to keep memory flat. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
/** Longest wait on clamd for any one step of a scan (connect, accepting a chunk, the verdict). */
export const DEFAULT_SCAN_TIMEOUT_MS = 60_000;
/** PING and VERSION are health checks: they should answer fast or count as down. */
const HEALTH_TIMEOUT_CAP_MS = 5_000;
/** How long a VERSION answer is reused as the `engine` of verdicts (signature DBs reload while clamd runs). */
const ENGINE_VERSION_TTL_MS = 10 * 60_000;
/** Replies are one short line; anything longer is not clamd talking. */
const MAX_REPLY_BYTES = 4096;
/** Linux `sun_path` holds 108 bytes including the terminating NUL. */
const MAX_UNIX_PATH_BYTES = 107;
/** An INSTREAM chunk length is a uint32, and clamd buffers each chunk; keep chunks modest. */
const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
const INSTREAM_TERMINATOR = Buffer.alloc(4);

export type ClamdAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

const ADDRESS_FORMS = 'tcp://HOST:PORT, unix:/ABSOLUTE/PATH or /ABSOLUTE/PATH';

function badAddress(value: string, why: string) {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return usageError('scan.bad_clamd_address', `--clamd ${JSON.stringify(shown)}: ${why} (expected ${ADDRESS_FORMS})`, { value: shown });
}

function checkedUnixPath(value: string, path: string): ClamdAddress {
  if (!path.startsWith('/')) throw badAddress(value, 'a unix socket path must be absolute');
  if (path.includes('\0')) throw badAddress(value, 'the path contains a NUL byte');
  if (Buffer.byteLength(path) > MAX_UNIX_PATH_BYTES) throw badAddress(value, `a unix socket path is limited to ${MAX_UNIX_PATH_BYTES} bytes`);
  return { kind: 'unix', path };
}

// Host: a bracketed IPv6 literal, or a name/IPv4 without colons, slashes or whitespace.
const TCP_ADDRESS = /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]@?#]+)(?::(\d{1,5}))?\/?$/;

/**
 * Parses a `--clamd` value: `tcp://HOST[:PORT]` (port defaults to 3310; IPv6 as `[::1]`),
 * `unix:/path`, `unix:///path` or a bare absolute `/path` to clamd's LocalSocket.
 * Throws a usage error (`scan.bad_clamd_address`, exit code 2) that names the accepted forms.
 */
export function parseClamdAddress(value: string): ClamdAddress {
  const trimmed = value.trim();
  if (trimmed === '') throw badAddress(value, 'empty address');
  if (trimmed.startsWith('/')) return checkedUnixPath(value, trimmed);
  if (/^unix:/i.test(trimmed)) {
    const rest = trimmed.slice('unix:'.length);
    // `unix:///run/clamd.sock` (URL style, empty authority) and `unix:/run/clamd.sock` both mean /run/clamd.sock.
    return checkedUnixPath(value, rest.startsWith('//') ? rest.slice(2) : rest);
  }
  if (/^tcp:/i.test(trimmed)) {
    const match = TCP_ADDRESS.exec(`tcp:${trimmed.slice(4)}`);
    if (!match) throw badAddress(value, 'not a valid tcp://HOST:PORT address');
    const rawHost = match[1] ?? '';
    const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
    const port = match[2] === undefined ? DEFAULT_CLAMD_PORT : Number(match[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw badAddress(value, 'the port must be between 1 and 65535');
    return { kind: 'tcp', host, port };
  }
  if (/^[^\s/:]+:\d+$/.test(trimmed)) throw badAddress(value, `missing scheme; did you mean tcp://${trimmed}?`);
  throw badAddress(value, 'unknown address form');
}

/** The canonical text form of an address (safe to log and to show on the health page). */
export function formatClamdAddress(address: ClamdAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `tcp://${host}:${address.port}`;
}

/** Keeps a clamd message printable and short before it goes into a reason. */
function sanitize(text: string, max = 120): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const printable = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}

/** The lines of a clamd reply: `z` commands end each with NUL, others with a newline. */
function replyLines(reply: string): string[] {
  return reply
    .split(/[\0\n]/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

const FOUND_LINE = /^stream: (.+) FOUND$/;
const ERROR_LINE = /^(.*) ?ERROR$/;

/**
 * Turns clamd's INSTREAM reply into a verdict. `clean` only for replies made entirely of
 * `stream: OK` lines; any `FOUND` line wins over everything else (with `AllMatchScans` clamd may
 * report several signatures: they are all kept, comma-separated); anything else is `unavailable`.
 */
export function parseInstreamReply(reply: string, engine: string): ScanVerdict {
  const lines = replyLines(reply);
  const signatures = lines.flatMap((line) => {
    const found = FOUND_LINE.exec(line)?.[1]?.trim();
    return found ? [found] : [];
  });
  if (signatures.length > 0) return { status: 'infected', signature: signatures.join(', '), engine };
  if (lines.length > 0 && lines.every((line) => line === 'stream: OK')) return { status: 'clean', engine };
  const error = lines.map((line) => ERROR_LINE.exec(line)).find((m) => m !== null);
  if (error) {
    const message = sanitize(error[1] ?? '');
    if (/size limit/i.test(message)) {
      return scanUnavailable('size_limit', `content exceeds clamd's StreamMaxLength (clamd: ${message})`);
    }
    return scanUnavailable('engine_error', `clamd reported an error: ${message || 'ERROR'}`);
  }
  if (lines.length === 0) return scanUnavailable('protocol', 'clamd closed the connection without a verdict');
  return scanUnavailable('protocol', `unrecognised reply from clamd: ${JSON.stringify(sanitize(lines.join(' | '), 80))}`);
}

/** The text of a `zPING`/`zVERSION` reply (first line), or undefined when there is none. */
function firstLine(reply: string): string | undefined {
  return replyLines(reply)[0];
}

export interface ClamdScannerOptions {
  /** `tcp://HOST:PORT`, `unix:/path`, `/path`, or an already parsed address. */
  address: string | ClamdAddress;
  /**
   * Longest wait on clamd for any one step, in ms (connecting, clamd accepting the next chunk, the
   * verdict after the last chunk); time spent waiting on the caller's data source does not count.
   * Default 60 s (clamd's own scan-time limit is 120 s). PING and VERSION use at most 5 s.
   */
  timeoutMs?: number;
  /** INSTREAM chunk size in bytes (default 64 KiB). */
  chunkSize?: number;
  /**
   * Optional client-side limit, normally clamd's StreamMaxLength: a larger content is reported as
   * `unavailable` (`size_limit`) as soon as it passes the limit instead of being streamed to clamd
   * only for clamd to refuse it. Without it, clamd's own refusal gives the same verdict.
   */
  maxStreamBytes?: number;
}

export interface ClamdScanner extends MalwareScanner {
  /** Canonical form of the configured address (for health pages and logs). */
  readonly address: string;
}

type Exchange =
  | { kind: 'reply'; text: string }
  | {
      kind: 'failed';
      code: ScanUnavailableCode;
      reason: string;
      /** Set when the connection ended while we were still streaming, without a reply we could read. */
      droppedAfterBytes?: number;
    };

interface ExchangeOptions {
  address: ClamdAddress;
  timeoutMs: number;
  chunkSize: number;
  maxStreamBytes: number | undefined;
}

function connectTo(address: ClamdAddress): Socket {
  return address.kind === 'unix' ? createConnection({ path: address.path }) : createConnection({ host: address.host, port: address.port });
}

/** The errno-style code of a socket error (ECONNREFUSED, ENOENT, EPIPE, …): short and content-free. */
function errorCode(error: unknown): string {
  if (error instanceof Error) return 'code' in error && typeof error.code === 'string' ? error.code : sanitize(error.message, 60);
  return 'unknown error';
}

/** Resolves when the socket can take more data, or when it is gone (the caller then checks why). */
function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/**
 * One command on one connection: connect, send the command (and for INSTREAM the body), read the
 * reply until clamd closes the connection. Resolves with the reply or the reason there is none;
 * rejects only with the data source's own error. The socket is destroyed on every path.
 */
function exchange(command: 'PING' | 'VERSION' | 'INSTREAM', body: AsyncIterable<Buffer> | Iterable<Buffer> | undefined, options: ExchangeOptions): Promise<Exchange> {
  const where = formatClamdAddress(options.address);
  return new Promise<Exchange>((resolve, reject) => {
    const socket = connectTo(options.address);
    const received: Buffer[] = [];
    let receivedBytes = 0;
    let connected = false;
    let failure: Exchange | undefined;
    let source: { error: unknown } | undefined;
    let timer: NodeJS.Timeout | undefined;
    let bytesSent = 0;
    let streaming = false;

    const fail = (code: ScanUnavailableCode, reason: string): void => {
      failure ??= { kind: 'failed', code, reason };
      socket.destroy();
    };
    // The timer runs only while we wait on clamd; waiting on the caller's data source is not clamd's fault.
    const waitOnClamd = (step: string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => fail('timeout', `clamd at ${where} did not respond within ${options.timeoutMs} ms (${step})`), options.timeoutMs);
    };
    const stopWaiting = (): void => clearTimeout(timer);
    // Once clamd starts replying (e.g. the size-limit error mid-stream) there is no point sending more.
    const finishedSending = (): boolean => socket.destroyed || receivedBytes > 0 || failure !== undefined;

    const streamBody = async (chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void> => {
      streaming = true;
      for await (const piece of chunks) {
        // A zero-length chunk is INSTREAM's terminator: sending one for an empty piece would end the
        // stream early and make clamd scan a prefix. Empty pieces are simply skipped.
        for (let offset = 0; offset < piece.length; offset += options.chunkSize) {
          if (finishedSending()) return;
          const slice = piece.subarray(offset, offset + options.chunkSize);
          if (options.maxStreamBytes !== undefined && bytesSent + slice.length > options.maxStreamBytes) {
            fail('size_limit', `content exceeds the scan size limit of ${options.maxStreamBytes} bytes (clamd StreamMaxLength)`);
            return;
          }
          const header = Buffer.allocUnsafe(4);
          header.writeUInt32BE(slice.length, 0);
          socket.cork();
          socket.write(header);
          const accepted = socket.write(slice);
          socket.uncork();
          bytesSent += slice.length;
          if (!accepted) {
            // Backpressure: clamd reads slower than we produce; wait instead of buffering the file in memory.
            waitOnClamd('accepting data');
            await drainedOrClosed(socket);
            stopWaiting();
          } else {
            // Let the event loop run between chunks even when the socket keeps up: a big Buffer would
            // otherwise be written in one synchronous burst that blocks the process, and clamd's early
            // reply (the size-limit error) would sit unread while we keep writing into a closing socket.
            await nextLoopTurn();
          }
        }
      }
      if (finishedSending()) return;
      streaming = false;
      socket.write(INSTREAM_TERMINATOR);
      waitOnClamd('waiting for the verdict');
    };

    socket.on('connect', () => {
      connected = true;
      socket.write(`z${command}\0`);
      if (body === undefined) {
        waitOnClamd('waiting for the reply');
        return;
      }
      stopWaiting();
      streamBody(body).catch((error: unknown) => {
        source = { error };
        socket.destroy();
      });
    });
    socket.on('data', (data: Buffer) => {
      receivedBytes += data.length;
      if (receivedBytes > MAX_REPLY_BYTES) {
        fail('protocol', `reply from ${where} is longer than ${MAX_REPLY_BYTES} bytes: not clamd?`);
        return;
      }
      received.push(data);
      waitOnClamd('reading the reply');
    });
    socket.on('error', (error: unknown) => {
      const code = errorCode(error);
      if (!connected) fail('unreachable', `cannot connect to clamd at ${where} (${code})`);
      // A write error after clamd has replied (EPIPE/ECONNRESET once it refused an oversized stream)
      // changes nothing: the reply is the answer.
      else if (receivedBytes === 0) {
        failure ??= {
          kind: 'failed',
          code: 'unreachable',
          reason: `connection to clamd at ${where} lost before a verdict (${code})`,
          ...(streaming ? { droppedAfterBytes: bytesSent } : {}),
        };
      }
    });
    // 'close' follows every ending (clamd closing after its reply, an error, our own destroy()), so
    // this is the single place the exchange settles.
    socket.on('close', () => {
      stopWaiting();
      if (source) reject(source.error);
      else if (failure) resolve(failure);
      else if (receivedBytes > 0) resolve({ kind: 'reply', text: Buffer.concat(received).toString('utf8') });
      else {
        resolve({
          kind: 'failed',
          code: 'protocol',
          reason: `clamd at ${where} closed the connection without a reply`,
          ...(streaming ? { droppedAfterBytes: bytesSent } : {}),
        });
      }
    });
    waitOnClamd('connecting');
  });
}

function positiveInteger(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) throw usageError('scan.bad_option', `clamd scanner: ${name} must be an integer between 1 and ${max}, got ${value}`);
  return value;
}

/**
 * Creates a clamd-backed scanner. Throws a usage error at once for a bad address or option, so
 * that misconfiguration shows at startup, not at the first attachment.
 */
export function createClamdScanner(options: ClamdScannerOptions): ClamdScanner {
  const address = typeof options.address === 'string' ? parseClamdAddress(options.address) : options.address;
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, DEFAULT_SCAN_TIMEOUT_MS, 24 * 3600_000);
  const chunkSize = positiveInteger('chunkSize', options.chunkSize, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE);
  const maxStreamBytes = options.maxStreamBytes === undefined ? undefined : positiveInteger('maxStreamBytes', options.maxStreamBytes, 0, Number.MAX_SAFE_INTEGER);
  const scanOptions: ExchangeOptions = { address, timeoutMs, chunkSize, maxStreamBytes };
  const healthOptions: ExchangeOptions = { ...scanOptions, timeoutMs: Math.min(timeoutMs, HEALTH_TIMEOUT_CAP_MS) };

  const answersPing = async (): Promise<boolean> => {
    const result = await exchange('PING', undefined, healthOptions);
    return result.kind === 'reply' && firstLine(result.text) === 'PONG';
  };

  const fetchVersion = async (): Promise<string | undefined> => {
    const result = await exchange('VERSION', undefined, healthOptions);
    if (result.kind !== 'reply') return undefined;
    const line = firstLine(result.text);
    // Anything else (e.g. "UNKNOWN COMMAND") is not a version.
    return line !== undefined && /^ClamAV /.test(line) ? sanitize(line) : undefined;
  };

  // Verdicts carry the engine version for the audit record; asking for it on every scan would
  // double the connections, so it is reused for a while (in-flight lookups are shared).
  let engine: { version: string; at: number } | undefined;
  let engineLookup: Promise<void> | undefined;
  const currentEngine = async (): Promise<string> => {
    if (engine === undefined || Date.now() - engine.at > ENGINE_VERSION_TTL_MS) {
      engineLookup ??= fetchVersion()
        .then((version) => {
          if (version !== undefined) engine = { version, at: Date.now() };
        })
        .finally(() => {
          engineLookup = undefined;
        });
      await engineLookup;
    }
    return engine?.version ?? 'ClamAV (version unknown)';
  };

  return {
    address: formatClamdAddress(address),
    async scan(data) {
      const body = Buffer.isBuffer(data) ? [data] : data;
      const engineVersion = await currentEngine();
      const result = await exchange('INSTREAM', body, scanOptions);
      if (result.kind === 'reply') return parseInstreamReply(result.text, engineVersion);
      if (result.droppedAfterBytes === undefined) return scanUnavailable(result.code, result.reason);
      // clamd ended the connection while we were still streaming. It does that on purpose right
      // after replying `INSTREAM size limit exceeded. ERROR`, but on a Unix socket our next write
      // then fails with EPIPE and Node destroys the socket before the reply, already in our receive
      // buffer, is read (measured: ~5 % of oversized scans). Whether clamd is still up tells the two
      // cases apart: a live clamd dropped the stream deliberately, a dead one crashed or stopped.
      if (await answersPing()) {
        return scanUnavailable(
          'size_limit',
          `clamd dropped the stream after ${result.droppedAfterBytes} bytes without a readable verdict while still answering PING: the content most likely exceeds its StreamMaxLength`,
        );
      }
      return scanUnavailable(result.code, `${result.reason}; clamd no longer answers PING`);
    },
    ping: answersPing,
    version: fetchVersion,
  };
}
