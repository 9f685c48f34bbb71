import type { Command } from 'commander';

/** PLACEHOLDER: the `stats` command group is being written. */
export function registerStatsCommand(_program: Command): void {}
