import type { Command } from 'commander';

/** PLACEHOLDER: the `init` command group is being written. */
export function registerInitCommand(_program: Command): void {}
