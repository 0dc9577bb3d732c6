import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-fixtures/**'] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: { globals: { ...globals.node } },
        rules: {
            eqeqeq: 'error',
            curly: 'error',
            'no-console': ['error', { allow: ['error', 'warn'] }],
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
        },
    },
    {
        files: ['e2e/**', 'esbuild.mjs'],
        rules: { 'no-console': 'off' },
    },
);
