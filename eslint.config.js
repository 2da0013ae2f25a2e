import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The folders of src/, and the import patterns of all of them but the ones a folder may use. */
const folders = [
  'core',
  'ports',
  'services',
  'server',
  'cli',
  'app',
  'store',
  'queue',
  'blobs',
  'parsers',
  'embedders',
  'limits',
  'events',
  'tokenizers',
  'metrics',
  'runtime',
  'mcp',
];
const allBut = (...allowed) => folders.filter((f) => !allowed.includes(f)).map((f) => `**/${f}/**`);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      '.cache/**',
      'test-output/**',
      'node_modules/**',
      'bench/corpus/**',
      'bench/results/**',
      'bench/peers/node_modules/**',
      'bin/**',
      'packages/*/dist/**',
      // Generated from the OpenAPI document (scripts/write-openapi-types.js).
      'packages/client/src/openapi.ts',
    ],
  },
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
  // Arrows point inward: core ← ports ← services ← server, cli; adapters implement ports; only app/
  // (the composition root) knows every adapter. Each folder of src/ is covered by one rule below.
  {
    files: ['src/core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: allBut('core'), message: 'core imports nothing outside core.' },
            { group: ['node:*', 'better-sqlite3', 'sqlite-vec', 'pino'], message: 'core stays free of I/O.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/ports/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: allBut('core', 'ports'), message: 'ports import core only.' },
            { group: ['node:*', 'better-sqlite3', 'sqlite-vec', 'pino'], message: 'ports describe, they do no I/O.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/services/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: allBut('core', 'ports', 'services'),
              message: 'services use core and ports, never an adapter, the server, the CLI or the composition root.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/mcp/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // The SDK's own paths (`@modelcontextprotocol/sdk/server/…`) name folders too.
              group: [...allBut('core', 'ports', 'services', 'mcp'), '!@modelcontextprotocol/sdk/**'],
              message:
                'the MCP server uses core, ports and services; the API and the CLI hand it the rest through McpContext.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/server/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/app/**',
                '**/cli/**',
                '**/store/**',
                '**/queue/**',
                '**/blobs/**',
                '**/parsers/**',
                '**/embedders/**',
                '**/limits/**',
                '**/events/**',
                '**/tokenizers/**',
                '**/runtime/**',
              ],
              message:
                'the server gets what it needs through ServerContext, never from the composition root or an adapter.',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'src/store/**/*.ts',
      'src/queue/**/*.ts',
      'src/blobs/**/*.ts',
      'src/parsers/**/*.ts',
      'src/embedders/**/*.ts',
      'src/limits/**/*.ts',
      'src/events/**/*.ts',
      'src/tokenizers/**/*.ts',
      'src/metrics/**/*.ts',
      'src/runtime/**/*.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/app/**', '**/cli/**', '**/server/**', '**/services/**', '**/mcp/**'],
              message:
                'adapters implement ports: they never import services, the server, the MCP server, the CLI or the composition root.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/store/**',
                '**/queue/**',
                '**/blobs/**',
                '**/embedders/**',
                '**/limits/**',
                '**/events/**',
                '**/tokenizers/**',
                '**/parsers/**',
              ],
              message: 'the CLI reaches adapters only through the composition root.',
            },
          ],
        },
      ],
    },
  },
);
