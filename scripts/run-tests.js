// Runs the compiled node:test files under dist/test/<group> for the given groups (all groups by default).
// Node 20's `--test` does not expand globs, so the file list is built here.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const groups = process.argv.slice(2);
const roots = (groups.length ? groups : ['unit', 'integration', 'conformance']).map((g) => join('dist', 'test', g));

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const files = roots.flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}: run \`npm run build\` first`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// Per file as well as per test: the three-minute chaos run takes four to five minutes with its verification.
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
