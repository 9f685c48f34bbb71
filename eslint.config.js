import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'web/dist/', 'coverage/', '.bench-tmp/', '.test-build-*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // Layering: domain/ is pure (no I/O, no infrastructure).
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:fs*', 'node:net', 'node:http*', 'kysely', 'better-sqlite3*', '../services/*', '../repositories/*', '../db/*', '../cli/*', '../http/*'] }],
    },
  },
  {
    // The CLI declares every command at start and loads a command's implementation only when it
    // runs (`await import()` in the action): `wekeep --help` and each command start fast.
    files: ['src/cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{
          group: ['../services/*', '!../services/limits.js', '../repositories/*', '../db/*', '../backup/*', '../http/*', '../jobs/*', '../demo/*', '../connectors/wecom/*', '../context.js', '../config.js'],
          allowTypeImports: true,
          message: 'load it with `await import()` in the command action (CONTRIBUTING.md); constants a declaration needs go in a module that loads nothing, like services/limits.ts',
        }],
      }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
