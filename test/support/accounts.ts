import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { completeSetup, confirmTotpEnrollment, startAnonymousSession, startTotpEnrollment } from '../../src/services/auth.js';
import { addUser } from '../../src/services/users.js';
import { STRONG_PASSWORD, totpCode } from './http.js';

const ORIGIN = { address: '192.0.2.30', userAgent: 'test' };

export interface EnrolledAccount {
  username: string;
  password: string;
  secret: string;
  recoveryCodes: string[];
}

/**
 * Creates an account in an existing data dir and takes it through the real setup (password, TOTP
 * enrollment), as the console would. The enrollment uses the previous step's code, so a code of the
 * current step is still new for the next sign-in.
 */
export async function enrollAccount(dataDir: string, input: { username: string; role: string; person?: string }): Promise<EnrolledAccount> {
  const ctx = await createContext(loadConfig({ data: dataDir }, {}));
  try {
    const { setupToken } = await addUser(ctx, input);
    const anonymous = await startAnonymousSession(ctx, ORIGIN);
    const setup = await completeSetup(ctx, anonymous.session, setupToken, STRONG_PASSWORD, ORIGIN);
    const { secret } = await startTotpEnrollment(ctx, setup.session);
    const confirmed = await confirmTotpEnrollment(ctx, setup.session, totpCode(secret, Date.now() - 30_000), ORIGIN);
    return { username: input.username, password: STRONG_PASSWORD, secret, recoveryCodes: confirmed.result.recoveryCodes };
  } finally {
    await ctx.close();
  }
}
