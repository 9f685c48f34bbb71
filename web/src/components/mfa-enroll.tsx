import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { api, isApiError } from '../api';
import { useI18n } from '../i18n';
import { defaultPasskeyName, registerPasskey, useWebAuthnAvailable } from '../passkeys';
import type { PasskeyRegistered, SessionUser, TotpConfirmed } from '../types';
import { ErrorMessage, Loading, RecoveryCodes } from './ui';

/**
 * TOTP enrollment: QR code and secret, confirm a code, then the recovery codes shown once.
 * `onDone` runs after the user confirmed they saved the codes.
 */
export function MfaEnroll({ onDone }: { onDone: (user: SessionUser, csrfToken: string) => void }): ReactNode {
  const { t } = useI18n();
  const [code, setCode] = useState('');
  const [done, setDone] = useState<TotpConfirmed | null>(null);
  const started = useRef(false);
  const webauthn = useWebAuthnAvailable();
  const passkey = useMutation({
    mutationFn: () => registerPasskey(defaultPasskeyName()),
    onSuccess: (r: PasskeyRegistered) => {
      if (r.recoveryCodes && r.recoveryCodes.length > 0) setDone({ ...r, recoveryCodes: r.recoveryCodes });
      else onDone(r.user, r.csrfToken);
    },
  });

  const enroll = useMutation({ mutationFn: () => api.post<'POST /auth/totp/enroll'>('/auth/totp/enroll') });
  const confirm = useMutation({
    mutationFn: (c: string) => api.post<'POST /auth/totp/confirm'>('/auth/totp/confirm', { code: c }),
    onSuccess: (r) => setDone(r),
  });

  useEffect(() => {
    // Once per mount (StrictMode runs effects twice in development).
    if (started.current) return;
    started.current = true;
    enroll.mutate();
  }, [enroll]);

  if (done) return <RecoveryCodes codes={done.recoveryCodes} onDone={() => onDone(done.user, done.csrfToken)} />;

  return (
    <section className="enroll" aria-labelledby="enroll-title">
      <h2 id="enroll-title">{t('enroll.title')}</h2>
      <p className="hint">{t('enroll.explain')}</p>
      {enroll.isPending ? <Loading /> : null}
      <ErrorMessage error={enroll.error} />
      {enroll.data ? (
        <div className="enroll-grid">
          <img className="qr" src={`data:image/svg+xml;utf8,${encodeURIComponent(enroll.data.qrSvg)}`} alt={t('enroll.qrAlt')} width={200} height={200} data-testid="totp-qr" />
          <div>
            <p>{t('enroll.secretLabel')}</p>
            <code className="secret" data-testid="totp-secret">
              {enroll.data.secret}
            </code>
            <form
              className="form"
              onSubmit={(e) => {
                e.preventDefault();
                confirm.mutate(code.replace(/\s/g, ''));
              }}
            >
              <label>
                {t('enroll.code')}
                <input value={code} onChange={(e) => setCode(e.target.value)} inputMode="numeric" autoComplete="one-time-code" pattern="[0-9 ]{6,7}" maxLength={7} required data-testid="totp-confirm-code" />
              </label>
              {confirm.error && isApiError(confirm.error) && (confirm.error.status === 400 || confirm.error.status === 401) ? <p className="error" role="alert">{t('enroll.wrongCode')}</p> : <ErrorMessage error={confirm.error} />}
              <button type="submit" disabled={confirm.isPending} data-testid="totp-confirm">
                {t('enroll.confirm')}
              </button>
            </form>
          </div>
        </div>
      ) : null}
      {webauthn ? (
        <div className="passkey-alternative">
          <p className="hint">{t('enroll.passkeyInstead')}</p>
          <button type="button" className="secondary" onClick={() => passkey.mutate()} disabled={passkey.isPending} data-testid="enroll-passkey">
            {t('enroll.passkeyButton')}
          </button>
          {passkey.error ? <p className="error" role="alert">{t('signin.passkeyFailed')}</p> : null}
        </div>
      ) : null}
    </section>
  );
}
