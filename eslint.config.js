// ESLint (flat config) for every TypeScript part: the service, jobs, scripts, infra and tests. Formatting is
// Prettier's (eslint-config-prettier turns off the rules it owns); `npm run lint` runs both.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'var/**', 'node_modules/**', 'models/**', 'coverage/**', 'training/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module' },
    rules: {
      // Unused names are mistakes, except a deliberately ignored argument or rest sibling (`_`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'always'],
      // Prettier breaks code at 120; comments are held to the same width. Messages, HTML and shell text stay on
      // one line where a reader greps for them.
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
      'no-console': 'error',
      'prefer-const': 'error',
    },
  },
  {
    // Tests and their helpers read whatever the mocks and servers return; scripts print to the terminal.
    files: ['test/**', '**/*.spec.ts', 'scripts/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-console': 'off' },
  },
  {
    // Policy rules read resource properties as Pulumi hands them over: untyped JSON of any resource type.
    files: ['infra/policy/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
