/**
 * A real clamd for integration tests: Debian's `/usr/sbin/clamd` started on a temporary directory
 * with a tiny custom signature database that detects only the EICAR test file (the official
 * databases need a download and ~1 GB of RAM; this one loads in well under a second).
 *
 * Missing clamd: under CI (`CI=true`) that is a failure — `.ci/run` installs clamav-daemon, so a
 * missing server means a broken machine, never a silent skip. Locally, `clamdMissingReason()`
 * returns a message for `describe.skipIf` and `startClamd()` returns undefined.
 *
 * The EICAR string is assembled at run time from parts so that no file in this repository contains
 * it (scanners on developer machines and CI would otherwise quarantine our own sources).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The clamd binary (Debian's clamav-daemon); `WEKEEP_CLAMD_BIN` overrides it. */
export const CLAMD_BIN = process.env.WEKEEP_CLAMD_BIN ?? '/usr/sbin/clamd';
/** clamd's StreamMaxLength in the test config: small, so the size-limit test streams only ~10 MB. */
export const TEST_STREAM_MAX_BYTES = 10 * 1024 * 1024;
/** Names of the two test signatures (clamd reports them with the suffix `.UNOFFICIAL`). */
export const EICAR_HASH_SIGNATURE = 'Test.EICAR.HDB';
export const EICAR_BODY_SIGNATURE = 'Test.EICAR.NDB';
/** The published MD5 of the 68-byte EICAR test file: guards against a typo in the parts below. */
export const EICAR_MD5 = '44d88612fea8a8f36de82e1278abb02f';

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** The standard 68-byte EICAR anti-virus test file, built from parts (see the file comment). */
export function eicarTestFile(): Buffer {
  const prefix = ['X5O!P%@AP[4', '\\PZX54(P^)7CC)7}$'].join('');
  const marker = ['EICAR', 'STANDARD', 'ANTIVIRUS', 'TEST', 'FILE'].join('-');
  const eicar = Buffer.from(`${prefix}${marker}!$H+H*`, 'latin1');
  const md5 = createHash('md5').update(eicar).digest('hex');
  if (md5 !== EICAR_MD5) throw new Error(`eicarTestFile: built string has MD5 ${md5}, expected ${EICAR_MD5}`);
  return eicar;
}

/** The body marker of EICAR, which the .ndb signature looks for anywhere in a file. */
function eicarMarker(): Buffer {
  return Buffer.from(['EICAR', 'STANDARD', 'ANTIVIRUS', 'TEST', 'FILE'].join('-'), 'latin1');
}

export interface ClamdServer {
  /** Absolute path of clamd's LocalSocket. */
  socketPath: string;
  /** `tcp://127.0.0.1:PORT`. */
  tcpAddress: string;
  /** clamd's StreamMaxLength in bytes. */
  streamMaxBytes: number;
  /** Stops clamd (SIGTERM, then SIGKILL after 10 s); the directory and config stay for `restart()`. */
  stop(): Promise<void>;
  /** Starts clamd again on the same socket path and port (stops it first if it is running). */
  restart(): Promise<void>;
  /** Stops clamd and removes the temporary directory (for afterAll). */
  dispose(): Promise<void>;
  /** Milliseconds the last (re)start took until PING answered on both sockets. */
  lastStartMs: number;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Undefined when clamd can be started; otherwise a message for `describe.skipIf`. Throws under
 * `CI=true`: there the missing server is a test failure.
 */
export function clamdMissingReason(): string | undefined {
  if (isExecutable(CLAMD_BIN)) return undefined;
  const message = `clamd not found at ${CLAMD_BIN}: install Debian's clamav-daemon (apt-get install -y clamav-daemon) or set WEKEEP_CLAMD_BIN`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: a missing clamd is a failure, not a skip)`);
  return message;
}

/** A TCP port that was free a moment ago (clamd binds it right after; a lost race is retried). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('freePort: no port assigned'))));
    });
  });
}

/**
 * A raw `zPING` independent of src/scan/clamd.ts, so that the client under test is not also the
 * thing that decides whether the server is up.
 */
function rawPing(options: { path: string } | { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(options);
    let reply = '';
    const timer = setTimeout(() => socket.destroy(), 1_000);
    socket.on('connect', () => socket.end('zPING\0'));
    socket.on('data', (data: Buffer) => {
      reply += data.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(reply === 'PONG\0');
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

// clamd children of this test process, killed if the process exits without `stop()` (a crashed
// test must not leave a daemon holding sockets behind).
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts clamd with the EICAR-only database on a temporary Unix socket and a free 127.0.0.1 port,
 * and waits until both answer PING (up to 20 s). Returns undefined when clamd is not installed
 * (locally); throws under CI. `streamMaxBytes` overrides StreamMaxLength.
 */
export async function startClamd(options: { streamMaxBytes?: number } = {}): Promise<ClamdServer | undefined> {
  if (clamdMissingReason() !== undefined) return undefined;
  const streamMaxBytes = options.streamMaxBytes ?? TEST_STREAM_MAX_BYTES;
  const dir = mkdtempSync(join(tmpdir(), 'wekeep-clamd-'));
  const dbDir = join(dir, 'db');
  mkdirSync(dbDir);
  mkdirSync(join(dir, 'tmp'));
  const eicar = eicarTestFile();
  // .hdb: MD5:size:name of the whole file. .ndb: name:target(0 = any):offset(* = anywhere):hex body.
  writeFileSync(join(dbDir, 'wekeep-test.hdb'), `${createHash('md5').update(eicar).digest('hex')}:${eicar.length}:${EICAR_HASH_SIGNATURE}\n`);
  writeFileSync(join(dbDir, 'wekeep-test.ndb'), `${EICAR_BODY_SIGNATURE}:0:*:${eicarMarker().toString('hex')}\n`);

  const socketPath = join(dir, 'clamd.sock');
  const logPath = join(dir, 'clamd.log');
  const configPath = join(dir, 'clamd.conf');
  const writeConfig = (port: number): void => {
    const lines = [
      `LocalSocket ${socketPath}`,
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      `DatabaseDirectory ${dbDir}`,
      `TemporaryDirectory ${join(dir, 'tmp')}`,
      'Foreground yes',
      `LogFile ${logPath}`,
      `PidFile ${join(dir, 'clamd.pid')}`,
      `StreamMaxLength ${streamMaxBytes}`,
      // The test DB has no bytecode signatures and the official DBs are not there; keep clamd quiet about it.
      'Bytecode no',
      // clamd drops privileges to `User`; as root, keep root so it can use our root-owned temp dir.
      ...(process.getuid?.() === 0 ? ['User root'] : []),
    ];
    writeFileSync(configPath, `${lines.join('\n')}\n`);
  };

  let port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const launch = async (): Promise<void> => {
    writeConfig(port);
    const started = Date.now();
    output = '';
    const proc = spawn(CLAMD_BIN, [`--config-file=${configPath}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    // Keep the pipes drained (a full pipe would block clamd) and the last output for error messages.
    const collect = (data: Buffer): void => {
      output = (output + data.toString('utf8')).slice(-8192);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    let exitStatus: string | undefined;
    exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        exitStatus = signal ?? `exit code ${code}`;
        running.delete(proc);
        resolve();
      });
    });
    proc.once('error', (error) => {
      exitStatus = `spawn error: ${error.message}`;
    });
    while (Date.now() - started < START_TIMEOUT_MS) {
      if (exitStatus !== undefined) {
        throw new Error(`clamd exited during startup (${exitStatus})\n${tail(output)}\n--- clamd.log ---\n${tail(readLog(logPath))}`);
      }
      if ((await rawPing({ path: socketPath })) && (await rawPing({ host: '127.0.0.1', port }))) {
        server.lastStartMs = Date.now() - started;
        return;
      }
      await sleep(50);
    }
    await stop();
    throw new Error(`clamd did not answer PING within ${START_TIMEOUT_MS} ms\n${tail(output)}\n--- clamd.log ---\n${tail(readLog(logPath))}`);
  };

  // Another process may take the port between freePort() and clamd's bind; retry on a new port.
  // On restart the port is kept (tests hold the address), so the retry there reuses it after a pause.
  const launchWithRetry = async (keepPort: boolean): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await launch();
        return;
      } catch (error) {
        if (attempt >= 3) throw error;
        if (keepPort) await sleep(500);
        else port = await freePort();
      }
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    // Nothing to stop: never started, failed to spawn (no pid), or already exited.
    if (proc === undefined || proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const killed = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
    if (!killed) {
      proc.kill('SIGKILL');
      await exited;
    }
    child = undefined;
  };

  const server: ClamdServer = {
    socketPath,
    get tcpAddress() {
      return `tcp://127.0.0.1:${port}`;
    },
    streamMaxBytes,
    lastStartMs: 0,
    stop,
    async restart() {
      await stop();
      await launchWithRetry(true);
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await launchWithRetry(false);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return server;
}
