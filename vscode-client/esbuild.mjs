// Bundles the extension (vscode stays external) and, with --tests, the unit tests.
//   node esbuild.mjs [--production] [--watch] [--tests]
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

/** @type {import('esbuild').BuildOptions} */
const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    external: ['vscode'],
};

const options = tests
    ? {
          ...common,
          entryPoints: readdirSync('src/test/unit')
              .filter((f) => f.endsWith('.test.ts'))
              .map((f) => `src/test/unit/${f}`),
          outdir: 'dist/test/unit',
      }
    : { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' };

if (watch) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
} else {
    await esbuild.build(options);
}
