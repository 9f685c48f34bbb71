import type { Command } from 'commander';

/** PLACEHOLDER: the `audit` command group is being written. */
export function registerAuditCommands(_program: Command): void {}
