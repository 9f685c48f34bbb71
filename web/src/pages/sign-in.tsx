import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, isApiError } from '../api';
import { MfaEnroll } from '../components/mfa-enroll';
import { ErrorMessage, useCountdown } from '../components/ui';
import { useI18n } from '../i18n';
import { resetSession, setSignedIn } from '../session';
import type { MfaMethod, SessionInfo, SessionUser } from '../types';

/** Passkey (WebAuthn) sign-in endpoints. The button is hidden while the server answers 404 here. */
export const PASSKEY_OPTIONS_PATH = '/auth/mfa/passkey/options';
export const PASSKEY_VERIFY_PATH = '/auth/mfa/passkey';

type Step = 'password' | 'mfa' | 'enroll';

/** A 401/400 on a sign-in step is a wrong credential; 429 shows the wait; other errors as usual. */
function StepError({ error, wrong }: { error: unknown; wrong: string }): ReactNode {
  const { t } = useI18n();
  const retry = useCountdown(isApiError(error) ? error.retryAfter : undefined, error);
  if (!error) return null;
  if (isApiError(error) && error.status === 429) {
    return (
      <p className="error" role="alert" data-testid="signin-throttled">
        {retry > 0 ? t('error.throttledWait', { s: retry }) : t('error.throttledNow')}
      </p>
    );
  }
  if (isApiError(error) && (error.status === 401 || error.status === 400)) {
    return (
      <p className="error" role="alert" data-testid="signin-error">
        {wrong}
      </p>
    );
  }
  return <ErrorMessage error={error} />;
}

function PasswordStep({ onResult }: { onResult: (r: SessionInfo) => void }): ReactNode {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation({
    mutationFn: () => api.post<'POST /auth/login'>('/auth/login', { username: username.trim(), password }),
    onSuccess: onResult,
  });
  const wait = useCountdown(isApiError(login.error) ? login.error.retryAfter : undefined, login.error);
  return (
    <form
      className="form"
      data-testid="signin-form"
      onSubmit={(e) => {
        e.preventDefault();
        login.mutate();
      }}
    >
      <label>
        {t('signin.username')}
        <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required autoFocus data-testid="signin-username" />
      </label>
      <label>
        {t('signin.password')}
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required data-testid="signin-password" />
      </label>
      <StepError error={login.error} wrong={t('signin.invalid')} />
      <button type="submit" disabled={login.isPending || wait > 0} data-testid="signin-submit">
        {login.isPending ? t('signin.signingIn') : t('signin.submit')}
      </button>
      <p className="hint">{t('signin.forgot')}</p>
    </form>
  );
}

function PasskeyButton({ onSignedIn }: { onSignedIn: (user: SessionUser, csrf: string) => void }): ReactNode {
  const { t } = useI18n();
  // Probe: does the server offer passkey sign-in? 404 (not built yet) hides the button.
  const probe = useQuery({
    queryKey: ['passkey-probe'],
    queryFn: () => api.post<'POST /auth/mfa/passkey/options'>(PASSKEY_OPTIONS_PATH, {}, { quiet401: true }),
    retry: false,
    staleTime: Infinity,
  });
  const run = useMutation({
    mutationFn: async () => {
      const { startAuthentication } = await import('@simplewebauthn/browser');
      const opts = await api.post<'POST /auth/mfa/passkey/options'>(PASSKEY_OPTIONS_PATH, {}, { quiet401: true });
      const optionsJSON = (opts.options ?? opts) as Parameters<typeof startAuthentication>[0]['optionsJSON'];
      const response = await startAuthentication({ optionsJSON });
      return api.post<'POST /auth/mfa/passkey'>(PASSKEY_VERIFY_PATH, { response }, { quiet401: true });
    },
    onSuccess: (r) => {
      if (r.status === 'signed_in' && r.user) onSignedIn(r.user, r.csrfToken);
    },
  });
  if (probe.isPending || probe.isError) return null;
  return (
    <div className="passkey">
      <button type="button" className="secondary" onClick={() => run.mutate()} disabled={run.isPending} data-testid="signin-passkey">
        {t('signin.passkey')}
      </button>
      {run.error && !isApiError(run.error) ? <p className="error" role="alert">{t('signin.passkeyFailed')}</p> : <StepError error={run.error} wrong={t('signin.passkeyFailed')} />}
    </div>
  );
}

function MfaStep({ methods, onSignedIn, onRestart }: { methods: MfaMethod[]; onSignedIn: (user: SessionUser, csrf: string) => void; onRestart: () => void }): ReactNode {
  const { t } = useI18n();
  const [method, setMethod] = useState<'totp' | 'recovery'>(methods.includes('totp') || !methods.includes('recovery') ? 'totp' : 'recovery');
  const [code, setCode] = useState('');
  const verify = useMutation({
    mutationFn: () => api.post<`POST /auth/mfa/${typeof method}`>(`/auth/mfa/${method}`, { code: method === 'totp' ? code.replace(/\s/g, '') : code.trim() }, { quiet401: true }),
    onSuccess: (r) => {
      if (r.status === 'signed_in' && r.user) onSignedIn(r.user, r.csrfToken);
    },
  });
  const wait = useCountdown(isApiError(verify.error) ? verify.error.retryAfter : undefined, verify.error);
  return (
    <div className="mfa-step">
      <h2>{t('signin.mfaTitle')}</h2>
      <div className="segmented" role="group" aria-label={t('signin.mfaMethod')}>
        {methods.includes('totp') ? (
          <button type="button" className={method === 'totp' ? 'selected' : undefined} aria-pressed={method === 'totp'} onClick={() => setMethod('totp')} data-testid="signin-method-totp">
            {t('signin.methodTotp')}
          </button>
        ) : null}
        {methods.includes('recovery') ? (
          <button type="button" className={method === 'recovery' ? 'selected' : undefined} aria-pressed={method === 'recovery'} onClick={() => setMethod('recovery')} data-testid="signin-method-recovery">
            {t('signin.methodRecovery')}
          </button>
        ) : null}
      </div>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          verify.mutate();
        }}
      >
        {method === 'totp' ? (
          <label>
            {t('signin.totpCode')}
            <input key="totp" value={code} onChange={(e) => setCode(e.target.value)} inputMode="numeric" autoComplete="one-time-code" maxLength={7} required autoFocus data-testid="signin-totp" />
          </label>
        ) : (
          <label>
            {t('signin.recoveryCode')}
            <input key="recovery" value={code} onChange={(e) => setCode(e.target.value)} autoComplete="off" spellCheck={false} required autoFocus data-testid="signin-recovery" />
          </label>
        )}
        <StepError error={verify.error} wrong={t('signin.wrongCode')} />
        <button type="submit" disabled={verify.isPending || wait > 0} data-testid="signin-verify">
          {t('signin.verify')}
        </button>
      </form>
      {methods.includes('passkey') ? <PasskeyButton onSignedIn={onSignedIn} /> : null}
      <button type="button" className="link-button" onClick={onRestart}>
        {t('signin.restart')}
      </button>
    </div>
  );
}

export function SignInPage({ session }: { session: SessionInfo }): ReactNode {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [step, setStep] = useState<Step>(session.status === 'mfa_required' ? 'mfa' : session.status === 'enroll_mfa' ? 'enroll' : 'password');
  const [methods, setMethods] = useState<MfaMethod[]>(session.methods ?? ['totp', 'recovery']);
  const signedIn = (user: SessionUser, csrf: string): void => setSignedIn(qc, user, csrf);

  return (
    <div className="auth-card" data-testid="signin-page">
      <h1>{t('signin.title')}</h1>
      {step === 'password' ? (
        <PasswordStep
          onResult={(r) => {
            if (r.status === 'signed_in' && r.user) signedIn(r.user, r.csrfToken);
            else if (r.status === 'enroll_mfa') setStep('enroll');
            else {
              setMethods(r.methods ?? ['totp', 'recovery']);
              setStep('mfa');
            }
          }}
        />
      ) : step === 'mfa' ? (
        <MfaStep
          methods={methods}
          onSignedIn={signedIn}
          onRestart={() => {
            void api.post<'POST /auth/logout'>('/auth/logout').catch(() => undefined).finally(() => void resetSession(qc));
            setStep('password');
          }}
        />
      ) : (
        <MfaEnroll onDone={signedIn} />
      )}
    </div>
  );
}
