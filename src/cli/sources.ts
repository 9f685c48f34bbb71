import type { Command } from 'commander';

/** PLACEHOLDER: the `sources` command group is being written. */
export function registerSourcesCommands(_program: Command): void {}
