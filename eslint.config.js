// Lint rules that catch defects, not layout: Prettier owns formatting (`.prettierrc.json`),
// so no formatting rule is enabled here and eslint-config-prettier is not needed.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const testFiles = ['test/**/*.ts', '**/*.test.ts'];

export default defineConfig(
  {
    // Build output, local data, and files written by `npm run gen:api` (a test compares them with a fresh generation).
    ignores: ['dist/', 'web/dist/', 'data/', 'test-artifacts/', 'bench/out/', '.tmp/', 'src/migrations/', '**/*.gen.ts'],
  },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked by the tsconfig that includes it; the two config files outside every tsconfig get a default one.
        projectService: { allowDefaultProject: ['eslint.config.js', 'web/vite.config.ts'], defaultProject: 'tsconfig.json' },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Picked from stylisticTypeChecked: the ones that make a real difference in reading or behaviour.
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/array-type': ['error', { default: 'array-simple' }],
      '@typescript-eslint/prefer-optional-chain': 'error',
      '@typescript-eslint/prefer-includes': 'error',
      '@typescript-eslint/prefer-find': 'error',
      '@typescript-eslint/prefer-string-starts-ends-with': 'error',
      '@typescript-eslint/consistent-generic-constructors': 'error',
      '@typescript-eslint/non-nullable-type-assertion-style': 'error',
      // `||` on strings is how an empty environment variable or field falls back to its default.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true } }],

      // Adjusted from strictTypeChecked:
      // With noUncheckedIndexedAccess, `xs[i]!` inside a bounds-checked loop is the idiom of the numeric code.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Numbers in messages, paths and keys are normal; everything else must be turned into a string on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // `(x) => void-call()` callbacks are everywhere (event handlers, loggers); returning void from them is harmless.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true }],
      // Port implementations are `async` without awaiting so that a throw becomes a rejection, as callers expect.
      '@typescript-eslint/require-await': 'off',
      // Types describe trusted shapes, but input from JSON, the database and the network is re-checked at run time
      // (and fields change across `await`): the rule calls those checks unnecessary.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Ports give callers a typed view of untyped storage (`Cache.get<T>`, job payloads) on purpose.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: testFiles,
    rules: {
      // Tests read untyped JSON response bodies and assert on them; the assertions are the type check.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-plus-operands': ['error', { allowAny: true }],
      // Stubs and no-op callbacks.
      '@typescript-eslint/no-empty-function': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
