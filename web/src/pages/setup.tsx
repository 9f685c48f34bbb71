import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, enc, isApiError } from '../api';
import { MfaEnroll } from '../components/mfa-enroll';
import { ErrorMessage, Loading, passwordRefusal } from '../components/ui';
import { useI18n } from '../i18n';
import { navigate } from '../router';
import { setSignedIn } from '../session';
import type { SessionUser } from '../types';

export const MIN_PASSWORD_LENGTH = 12;

/** First sign-in from the link `wekeep users add` printed: choose a password, then enroll MFA. */
export function SetupPage({ token }: { token: string }): ReactNode {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [localError, setLocalError] = useState<string | null>(null);
  const [step, setStep] = useState<'password' | 'enroll'>('password');

  const info = useQuery({
    queryKey: ['setup', token],
    queryFn: () => api.get<'GET /auth/setup/:token'>(`/auth/setup/${enc(token)}`),
    enabled: token !== '' && step === 'password',
    retry: false,
    staleTime: Infinity,
  });
  const finish = (user: SessionUser, csrf: string): void => {
    setSignedIn(qc, user, csrf);
    navigate('#/', { replace: true });
  };
  const submit = useMutation({
    mutationFn: () => api.post<'POST /auth/setup/:token'>(`/auth/setup/${enc(token)}`, { password }),
    onSuccess: (r) => {
      if (r.status === 'signed_in' && r.user) finish(r.user, r.csrfToken);
      else setStep('enroll');
    },
  });

  if (step === 'enroll') {
    return (
      <div className="auth-card auth-card-wide" data-testid="setup-page">
        <h1>{t('setup.title')}</h1>
        <MfaEnroll onDone={finish} />
      </div>
    );
  }

  return (
    <div className="auth-card" data-testid="setup-page">
      <h1>{t('setup.title')}</h1>
      {/* 404: unknown, used or expired; 400: not even the shape of a token (a link cut off when copied). */}
      {token === '' || (info.error && isApiError(info.error) && (info.error.status === 404 || info.error.status === 400)) ? (
        <p className="error" role="alert" data-testid="setup-invalid">
          {t('setup.invalidLink')}
        </p>
      ) : info.isPending ? (
        <Loading />
      ) : info.error ? (
        <ErrorMessage error={info.error} />
      ) : (
        <>
          <p>
            {t('setup.welcome', { user: info.data.username, role: t(`role.${info.data.role}`) })}
            {info.data.mfaRequired ? ` ${t('setup.mfaRequired')}` : ''}
          </p>
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              if (password.length < MIN_PASSWORD_LENGTH) return setLocalError(t('setup.tooShort', { n: MIN_PASSWORD_LENGTH }));
              if (password !== repeat) return setLocalError(t('setup.mismatch'));
              setLocalError(null);
              submit.mutate();
            }}
          >
            <input type="text" name="username" autoComplete="username" value={info.data.username} readOnly hidden />
            <label>
              {t('setup.password')}
              <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" minLength={MIN_PASSWORD_LENGTH} required autoFocus data-testid="setup-password" />
            </label>
            <label>
              {t('setup.repeat')}
              <input type="password" value={repeat} onChange={(e) => setRepeat(e.target.value)} autoComplete="new-password" required data-testid="setup-repeat" />
            </label>
            <p className="hint">{t('setup.rules', { n: MIN_PASSWORD_LENGTH })}</p>
            {localError ? (
              <p className="error" role="alert">
                {localError}
              </p>
            ) : null}
            {submit.error && isApiError(submit.error) && submit.error.status === 400 ? (
              <p className="error" role="alert" data-testid="setup-weak">
                {t('setup.rejected', { reason: passwordRefusal(t, submit.error.message) })}
              </p>
            ) : (
              <ErrorMessage error={submit.error} notFound={t('setup.invalidLink')} />
            )}
            <button type="submit" disabled={submit.isPending} data-testid="setup-submit">
              {t('setup.submit')}
            </button>
          </form>
        </>
      )}
    </div>
  );
}
