import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'bench/corpus/**', 'bench/results/**', 'bench/peers/node_modules/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      curly: 'error',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js'], languageOptions: { globals: globals.node } },
  { files: ['src/**/*.ts'], rules: { 'no-console': 'error' } },
  // Test doubles implement async ports with bodies that need no await; end-to-end tests read JSON
  // answers whose shape is what they assert, so untyped access there is the point, not a risk.
  {
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  // Arrows point inward: the domain knows nothing of adapters, the CLI or the composition root.
  {
    files: ['src/core/**/*.ts', 'src/ports/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/store/**', '**/queue/**', '**/blobs/**', '**/parsers/**', '**/embedders/**', '**/events/**', '**/tokenizers/**', '**/app/**', '**/cli/**', '**/ingest/**'], message: 'core and ports import nothing outside core.' },
        { group: ['node:*', 'better-sqlite3', 'sqlite-vec', 'pino'], message: 'core stays free of I/O.' },
      ] }],
    },
  },
  {
    files: ['src/store/**/*.ts', 'src/queue/**/*.ts', 'src/blobs/**/*.ts', 'src/parsers/**/*.ts', 'src/embedders/**/*.ts', 'src/events/**/*.ts', 'src/tokenizers/**/*.ts', 'src/ingest/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/app/**', '**/cli/**'], message: 'adapters and services never import the composition root or the CLI.' },
      ] }],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/store/**', '**/queue/**', '**/blobs/**', '**/embedders/**', '**/events/**', '**/tokenizers/**'], message: 'the CLI reaches adapters only through the composition root.' },
      ] }],
    },
  },
);
