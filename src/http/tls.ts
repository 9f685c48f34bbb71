import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { writeFileAtomic } from '../crypto/keyring.js';
import { usageError } from '../errors.js';

/**
 * How `wekeep serve` listens:
 * - on a loopback address: plain HTTP (unless a certificate is given);
 * - with --tls-cert/--tls-key: HTTPS with that certificate;
 * - with --behind-proxy ADDRS: plain HTTP, trusting X-Forwarded-* only from those addresses
 *   (the proxy terminates TLS; cookies are still marked Secure and HSTS is sent);
 * - otherwise: HTTPS with a self-signed certificate generated into <data>/tls/ (with a warning).
 * TLS 1.2 is the minimum.
 */

export type ListenMode =
  | { kind: 'http'; https: false }
  | { kind: 'https'; https: true; cert: Buffer; key: Buffer; selfSigned: boolean; certFile: string }
  | { kind: 'proxy'; https: true; trustedProxies: string[] };

export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/u.test(host);

export interface ListenOptions {
  host: string;
  dataDir: string;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  behindProxy?: string | undefined;
}

export async function chooseListenMode(o: ListenOptions): Promise<ListenMode> {
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw usageError('serve.tls_pair', '--tls-cert and --tls-key go together');
  if (o.tlsCert !== undefined && o.tlsKey !== undefined) {
    if (o.behindProxy !== undefined) throw usageError('serve.tls_and_proxy', 'use either --tls-cert/--tls-key or --behind-proxy');
    const read = (f: string, flag: string): Buffer => {
      try {
        return readFileSync(f);
      } catch {
        throw usageError('serve.tls_unreadable', `${flag}: cannot read ${f}`);
      }
    };
    return { kind: 'https', https: true, cert: read(o.tlsCert, '--tls-cert'), key: read(o.tlsKey, '--tls-key'), selfSigned: false, certFile: o.tlsCert };
  }
  if (o.behindProxy !== undefined) {
    const trustedProxies = o.behindProxy.split(',').map((s) => s.trim()).filter(Boolean);
    if (trustedProxies.length === 0) throw usageError('serve.proxy_addresses', '--behind-proxy needs the proxy addresses, e.g. --behind-proxy 10.0.0.5,10.0.0.6');
    for (const a of trustedProxies) {
      const [ip, bits] = a.split('/');
      if (!ip || isIP(ip) === 0 || (bits !== undefined && !/^\d{1,3}$/u.test(bits))) throw usageError('serve.proxy_addresses', `--behind-proxy: "${a}" is not an IP address or CIDR range`);
    }
    return { kind: 'proxy', https: true, trustedProxies };
  }
  if (isLoopback(o.host)) return { kind: 'http', https: false };
  return selfSigned(o.dataDir, o.host);
}

async function selfSigned(dataDir: string, host: string): Promise<ListenMode> {
  const dir = join(dataDir, 'tls');
  const certFile = join(dir, 'self-signed.crt');
  const keyFile = join(dir, 'self-signed.key');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const names = [...new Set([hostname(), 'localhost', ...(isIP(host) === 0 && host !== '0.0.0.0' && host !== '::' ? [host] : [])])];
    const ips = [...new Set(['127.0.0.1', ...(isIP(host) !== 0 && host !== '0.0.0.0' && host !== '::' ? [host] : [])])];
    const now = new Date();
    const pems = await generate([{ name: 'commonName', value: hostname() }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: now,
      notAfterDate: new Date(now.getTime() + 365 * 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [...names.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))] },
      ],
    });
    writeFileAtomic(keyFile, pems.private, 0o600);
    writeFileAtomic(certFile, pems.cert, 0o644);
  }
  return { kind: 'https', https: true, cert: readFileSync(certFile), key: readFileSync(keyFile), selfSigned: true, certFile };
}
