import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { FAULT_KINDS, runChaos } from '../chaos/chaos-harness.js';
import { chaosSummary } from '../chaos/chaos-summary.js';

// A short seeded chaos run (`npm run chaos` runs longer ones; CHAOS_MINUTES=3 the three minutes):
// faults of every kind over active/active, fan-in and a chain with writers on every origin;
// nothing lost, nothing doubled, every link exact, every fault recovered from.
test(
  'chaos: faults of every kind over active/active + fan-in + chain; nothing lost or doubled',
  { timeout: 540_000 },
  async (t) => {
    const seed = Number(process.env.CHAOS_SEED ?? 20261202);
    // Progress also goes to a file: when the runner cancels a file at its timeout, diagnostics are lost.
    mkdirSync('test-output', { recursive: true });
    const progress = 'test-output/chaos-mixed.log';
    appendFileSync(progress, `--- ${new Date().toISOString()} seed ${seed}\n`);
    const log = (line: string): void => {
      appendFileSync(progress, `${new Date().toISOString()} ${line}\n`);
      t.diagnostic(line);
    };
    // One fault at a time here (CHAOS_LANES=parallel for overlapping ones): with parallel lanes the test process
    // was twice seen not to exit after a passing run, cause not yet found; `npm run chaos` runs them in parallel.
    const lanes = process.env.CHAOS_LANES === 'parallel' ? 'parallel' : 'single';
    const report = await runChaos({ minutes: Number(process.env.CHAOS_MINUTES ?? 0.25), seed, log, lanes });
    for (const line of chaosSummary(report).split('\n')) t.diagnostic(line);
    for (const kind of FAULT_KINDS) assert.ok(report.faultsByKind[kind]!.count >= 1, `a ${kind} fault ran`);
    assert.equal(report.finalCatchUpExit.code, 0, 'the final --until-caught-up run exited 0');
    assert.equal(report.losses, 0, 'nothing lost');
    assert.equal(report.duplicates, 0, 'nothing doubled');
    assert.ok(
      report.verification.links.every((l) => l.exact),
      'streams written on one side are exact copies',
    );
    assert.ok(report.eventsVerified > 0 && report.written.ackedEvents > 0);
    if (lanes === 'parallel') assert.ok(report.overlap.faultsOverlapping > 0, 'faults on different parts overlapped');
    const stuck = report.faults.filter((f) => f.recoveryMs === null);
    assert.deepEqual(stuck, [], 'every fault was recovered from');
    assert.ok(report.ok);
  },
);
