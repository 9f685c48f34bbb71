import type { Command } from 'commander';
import { ROLES } from '../domain/authorization.js';
import type * as users from '../services/users.js';
import { printJson, printLine, withContext } from './common.js';

/**
 * `wekeep users …`: account administration from the server's shell (the operator who holds the
 * keys). Every change is audited with the CLI actor. Setup links point at $WEKEEP_PUBLIC_URL
 * (default http://127.0.0.1:8080), the address users open the console at.
 */

export const publicUrl = (): string => process.env.WEKEEP_PUBLIC_URL || 'http://127.0.0.1:8080';

function printUser(u: users.UserView): void {
  const flags = [u.status, u.approval ? `APPROVAL PENDING (asked by ${u.approval.requestedBy})` : '', u.locked ? 'LOCKED' : '', u.mfa.totp ? 'totp' : 'no-mfa', u.mfa.required ? 'mfa-required' : ''].filter(Boolean).join(', ');
  printLine(`${u.username.padEnd(20)} ${u.role.padEnd(11)} ${(u.person ?? '-').padEnd(16)} ${flags}${u.lastLoginAt ? `  last sign-in ${u.lastLoginAt}` : ''}`);
}

/** The accounts service, loaded when a command runs. */
const service = (): Promise<typeof users> => import('../services/users.js');

async function printSetup(r: users.SetupLink, json: boolean | undefined): Promise<void> {
  const link = (await service()).setupLinkOf(publicUrl(), r.setupToken);
  if (json) return printJson({ user: r.user, setupLink: link, expiresAt: r.expiresAt });
  printUser(r.user);
  printLine(`One-time setup link (valid until ${r.expiresAt}); give it to ${r.user.username} over a trusted channel:`);
  printLine(`  ${link}`);
}

export function registerUsersCommands(program: Command): void {
  const group = program.command('users').description('manage console accounts (roles: ' + ROLES.join(', ') + ')');

  group
    .command('add')
    .description('create an account and print its one-time setup link (valid 24 h)')
    .requiredOption('--username <name>', 'login name (a–z, 0–9, ".", "_", "-")')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--person <id>', 'the archive person id this account is (required for employee)')
    .option('--require-mfa', 'require a second factor even for an employee')
    .option('--json', 'machine-readable output')
    .action(async (opts: { username: string; role: string; person?: string; requireMfa?: boolean; json?: boolean }, cmd: Command) => {
      const { addUser } = await service();
      await withContext(cmd, async (ctx) => printSetup(await addUser(ctx, { username: opts.username, role: opts.role, person: opts.person, requireMfa: opts.requireMfa }), opts.json));
    });

  group
    .command('list')
    .description('list accounts')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { listUserViews } = await service();
      await withContext(cmd, async (ctx) => {
        const list = await listUserViews(ctx);
        if (opts.json) return printJson({ users: list });
        if (list.length === 0) printLine('no accounts yet (wekeep users add …)');
        list.forEach(printUser);
      });
    });

  const simple = (name: string, description: string, pick: (s: typeof users) => (ctx: Parameters<typeof users.disableUser>[0], u: string) => Promise<users.UserView>): void => {
    group
      .command(`${name} <username>`)
      .description(description)
      .option('--json', 'machine-readable output')
      .action(async (username: string, opts: { json?: boolean }, cmd: Command) => {
        const fn = pick(await service());
        await withContext(cmd, async (ctx) => {
          const u = await fn(ctx, username);
          if (opts.json) return printJson({ user: u });
          printUser(u);
        });
      });
  };
  simple('disable', 'disable an account and end its sessions', (s) => s.disableUser);
  simple('enable', 'enable a disabled account', (s) => s.enableUser);
  simple('unlock', 'lift a sign-in lockout', (s) => s.unlockUser);
  simple('approve', "approve an account's access to archived content that an admin gave it in the console or API (it cannot sign in before)", (s) => s.approveUserAccess);

  group
    .command('reset <username>')
    .description('clear the password and second factors, end sessions, and print a new setup link')
    .option('--json', 'machine-readable output')
    .action(async (username: string, opts: { json?: boolean }, cmd: Command) => {
      const { resetUser } = await service();
      await withContext(cmd, async (ctx) => printSetup(await resetUser(ctx, username), opts.json));
    });

  group
    .command('set-role <username> <role>')
    .description('change the role of an account (its sessions end)')
    .option('--person <id>', 'link to this person (required when the new role is employee and none is linked)')
    .option('--json', 'machine-readable output')
    .action(async (username: string, role: string, opts: { person?: string; json?: boolean }, cmd: Command) => {
      const { setUserRole } = await service();
      await withContext(cmd, async (ctx) => {
        const u = await setUserRole(ctx, username, role, opts.person);
        if (opts.json) return printJson({ user: u });
        printUser(u);
      });
    });
}
