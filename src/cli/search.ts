import type { Command } from 'commander';

/** PLACEHOLDER: the `search` command group is being written. */
export function registerSearchCommands(_program: Command): void {}
