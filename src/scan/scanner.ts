/**
 * The malware-scanning port. Driver: clamd over its INSTREAM socket protocol (clamd.ts).
 *
 * Scanning is fail-closed, and this port is shaped so that callers cannot get it wrong by accident:
 * a scan never throws for a scanner-side problem and never reports `clean` unless the engine said so.
 * Everything that is not a definite answer from the engine (unreachable, timed out, the engine's
 * size limit, an error reply, a reply we cannot parse) is `unavailable`, which callers treat as
 * "not yet scanned" (media waits as `pending-scan`), never as clean.
 */

/**
 * Why a scan produced no answer. `size_limit` is the one cause that retrying will not fix (the
 * content is larger than the engine accepts); the others are worth retrying later.
 */
export type ScanUnavailableCode = 'unreachable' | 'timeout' | 'size_limit' | 'engine_error' | 'protocol';

export type ScanVerdict =
  | { status: 'clean'; engine: string }
  | { status: 'infected'; signature: string; engine: string }
  | {
      status: 'unavailable';
      /** Human-readable and content-free: safe to log and to show to admins. */
      reason: string;
      /** Machine-readable cause; optional so that test doubles may omit it. */
      code?: ScanUnavailableCode;
    };

export interface MalwareScanner {
  /**
   * Scans the bytes. Resolves with a verdict for every scanner-side outcome; rejects only when the
   * data source itself fails (an iterable that throws), since that is the caller's problem, not
   * the scanner's. Empty chunks in the iterable are allowed and ignored.
   */
  scan(data: AsyncIterable<Buffer> | Buffer): Promise<ScanVerdict>;
  /** True when the engine answers its health check; never throws. */
  ping(): Promise<boolean>;
  /** The engine's version string (for the audit record), or undefined when it does not answer; never throws. */
  version(): Promise<string | undefined>;
}

/** The only positive answer: a content may be served only when this is true. */
export function isClean(verdict: ScanVerdict): verdict is Extract<ScanVerdict, { status: 'clean' }> {
  return verdict.status === 'clean';
}

export function scanUnavailable(code: ScanUnavailableCode, reason: string): ScanVerdict {
  return { status: 'unavailable', reason, code };
}
