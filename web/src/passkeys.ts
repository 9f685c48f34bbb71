import { useQuery } from '@tanstack/react-query';
import { api } from './api';
import type { PasskeyRegistered } from './types';

/**
 * Passkeys (WebAuthn) through @simplewebauthn/browser, loaded only when used. Registration works
 * while enrolling MFA (session state enroll_mfa) and when signed in (adds a passkey).
 */

export async function registerPasskey(name: string | undefined): Promise<PasskeyRegistered> {
  const { startRegistration } = await import('@simplewebauthn/browser');
  const opts = await api.post<'POST /auth/passkey/register/options'>('/auth/passkey/register/options');
  const optionsJSON = (opts.options ?? opts) as Parameters<typeof startRegistration>[0]['optionsJSON'];
  const response = await startRegistration({ optionsJSON });
  return api.post<'POST /auth/passkey/register'>('/auth/passkey/register', { response, name });
}

/** Whether this browser can use passkeys at all (a secure context with WebAuthn). */
export function useWebAuthnAvailable(): boolean {
  const q = useQuery({
    queryKey: ['webauthn-available'],
    queryFn: async () => (await import('@simplewebauthn/browser')).browserSupportsWebAuthn(),
    staleTime: Infinity,
    retry: false,
  });
  return q.data === true;
}

/** A name for a new passkey from the browser's platform ("Linux x86_64" → "Chrome · Linux"). */
export function defaultPasskeyName(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//u.test(ua) ? 'Edge' : /Chrome\//u.test(ua) ? 'Chrome' : /Firefox\//u.test(ua) ? 'Firefox' : /Safari\//u.test(ua) ? 'Safari' : 'Browser';
  const os = /Windows/u.test(ua) ? 'Windows' : /Mac OS X|Macintosh/u.test(ua) ? 'macOS' : /Android/u.test(ua) ? 'Android' : /iPhone|iPad/u.test(ua) ? 'iOS' : /Linux/u.test(ua) ? 'Linux' : '';
  return os ? `${browser} · ${os}` : browser;
}
