import type { Command } from 'commander';

/** PLACEHOLDER: the `demo` command group is being written. */
export function registerDemoCommands(_program: Command): void {}
