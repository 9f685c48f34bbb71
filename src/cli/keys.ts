import type { Command } from 'commander';

/** PLACEHOLDER: the `keys` command group is being written. */
export function registerKeysCommands(_program: Command): void {}
