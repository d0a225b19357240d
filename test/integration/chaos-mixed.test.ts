import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { FAULT_KINDS, type ChaosReport } from '../chaos/chaos-harness.js';
import { chaosSummary } from '../chaos/chaos-summary.js';

const CLI = fileURLToPath(new URL('../chaos/chaos-cli.js', import.meta.url));

// The three-minute seeded chaos run, as a user runs it (`npm run chaos -- --minutes 3 --seed S`):
// faults of every kind in overlapping lanes over active/active, fan-in and a chain, with writers on every
// origin; nothing lost, nothing doubled, every link exact, every fault recovered from. CHAOS_MINUTES and
// CHAOS_SEED change the run. It runs in a child process, as `npm run chaos` does, and reads its JSON report.
test(
  'chaos: overlapping faults of every kind over active/active + fan-in + chain; nothing lost or doubled',
  { timeout: 600_000 },
  async (t) => {
    const seed = process.env.CHAOS_SEED ?? '20261202';
    const minutes = process.env.CHAOS_MINUTES ?? '3';
    // Progress goes to a file: when the runner cancels a file at its timeout, diagnostics are lost.
    mkdirSync('test-output', { recursive: true });
    const reportPath = `test-output/chaos-mixed-report-${process.pid}.json`;
    const progress = createWriteStream('test-output/chaos-mixed.log', { flags: 'a' });
    progress.write(`--- ${new Date().toISOString()} seed ${seed}, ${minutes} min\n`);
    const child = spawn(process.execPath, [CLI, '--minutes', minutes, '--seed', seed, '--report', reportPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(progress, { end: false });
    child.stderr.pipe(progress, { end: false });
    // A cancelled test (its timeout) must not leave the run's servers and daemon behind: SIGTERM lets the
    // harness stop them, SIGKILL follows.
    const onAbort = (): void => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    };
    t.signal.addEventListener('abort', onAbort, { once: true });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    t.signal.removeEventListener('abort', onAbort);
    progress.end();
    const text = await readFile(reportPath, 'utf8').catch(() => undefined);
    if (text === undefined)
      assert.fail(`npm run chaos exited ${code} without a report; see test-output/chaos-mixed.log`);
    const report = JSON.parse(text) as ChaosReport;
    await rm(reportPath, { force: true });
    for (const line of chaosSummary(report).split('\n')) t.diagnostic(line);

    for (const kind of FAULT_KINDS) assert.ok(report.faultsByKind[kind]!.count >= 1, `a ${kind} fault ran`);
    assert.ok(report.overlap.faultsOverlapping > 0, 'faults on different parts overlapped');
    assert.equal(report.finalCatchUpExit.code, 0, 'the final --until-caught-up run exited 0');
    assert.equal(report.losses, 0, 'nothing lost');
    assert.equal(report.duplicates, 0, 'nothing doubled');
    assert.ok(
      report.verification.links.every((l) => l.exact),
      'streams written on one side are exact copies',
    );
    assert.ok(report.eventsVerified > 0 && report.written.ackedEvents > 0);
    const stuck = report.faults.filter((f) => f.recoveryMs === null);
    assert.deepEqual(stuck, [], 'every fault was recovered from');
    assert.ok(report.ok);
    assert.equal(code, 0, 'npm run chaos exited 0');
  },
);
