import type { Context } from '../context.js';
import type { Permission } from '../domain/authorization.js';
import { usageError } from '../errors.js';

/**
 * Signing a WeKeep account in on the command line, for the steps that must be a named person's own
 * (the four-eyes disposition review): the same password, second factor, throttling, lockout and
 * audit events as the console's sign-in, through a short-lived session that is deleted afterwards.
 * Whoever runs the CLI holds the master key, but cannot act as two reviewers without two accounts'
 * credentials.
 *
 * The password comes from `WEKEEP_PASSWORD` or a prompt on the terminal (not echoed); the second
 * factor from `--code` or a prompt: a 6-digit TOTP code, or a recovery code.
 */

const CLI_ORIGIN = { address: 'cli', userAgent: 'wekeep-cli' };

/** Reads a line from the terminal without echoing it. */
async function askHidden(question: string, otherwise: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw usageError('cli.no_terminal', `${question.replace(/:\s*$/u, '')} is needed: run on a terminal, or ${otherwise}`);
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const c of chunk) {
        if (c === '\r' || c === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (c === '\u0003' || c === '\u0004') {
          finish();
          reject(usageError('cli.cancelled', 'cancelled'));
          return;
        }
        value = c === '\u007f' || c === '\b' ? value.slice(0, -1) : value + c;
      }
    };
    stdin.on('data', onData);
  });
}

export interface CliSignIn {
  username: string;
  /** The second factor, when given on the command line. */
  code?: string | undefined;
}

/**
 * Signs `who` in, checks that their role grants `permission`, runs `fn` as `user:<name>` and ends
 * the session. Wrong credentials fail like the console's sign-in (`auth.invalid_credentials`).
 */
export async function asSignedInUser<T>(ctx: Context, who: CliSignIn, permission: Permission, fn: (userCtx: Context) => Promise<T>): Promise<T> {
  const { actAsSignedIn } = await import('../services/auth.js');
  const password = process.env.WEKEEP_PASSWORD ?? (await askHidden(`Password of ${who.username}: `, 'set $WEKEEP_PASSWORD'));
  const secondFactor = async (): Promise<string> => who.code ?? (await askHidden('TOTP code or recovery code: ', 'give it with --code'));
  return actAsSignedIn(ctx, { username: who.username, password, secondFactor }, CLI_ORIGIN, permission, fn);
}
