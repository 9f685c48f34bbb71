import type { Command } from 'commander';

/** PLACEHOLDER: the `import` command group is being written. */
export function registerImportCommands(_program: Command): void {}
