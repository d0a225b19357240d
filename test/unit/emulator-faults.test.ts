import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FaultState } from '../../src/emulator/faults.js';

function faults(now: () => number = Date.now): { state: FaultState; drops: () => number } {
  let drops = 0;
  const state = new FaultState(now, () => {
    drops++;
  });
  return { state, drops: () => drops };
}

describe('emulator fault state', () => {
  it('fails exactly the next n appends with the chosen error, then none', () => {
    const { state } = faults();
    state.failNextAppends(2, 'not-leader');
    assert.deepEqual(
      [state.takeAppendFailure(), state.takeAppendFailure(), state.takeAppendFailure()],
      ['not-leader', 'not-leader', undefined],
    );
    state.failNextAppends(1);
    assert.equal(state.takeAppendFailure(), 'unavailable');
  });

  it('is unavailable until the window ends on its clock', () => {
    let now = 1000;
    const { state } = faults(() => now);
    state.unavailableFor(500);
    assert.equal(state.isUnavailable(), true);
    now = 1499;
    assert.equal(state.isUnavailable(), true);
    now = 1500;
    assert.equal(state.isUnavailable(), false);
  });

  it('holds appends received during a hang until released; reset releases everything and clears faults', async () => {
    const { state, drops } = faults();
    const release = state.hangAppends();
    state.hangAppends();
    assert.equal(state.delaysAppends(), true);
    let passed = false;
    const held = state.delayAppend().then(() => {
      passed = true;
    });
    release();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(passed, false, 'the second hang still holds it');
    state.failNextAppends(3);
    state.setAppendLatency(10);
    state.reset();
    await held;
    assert.equal(passed, true);
    assert.equal(state.delaysAppends(), false);
    assert.equal(state.takeAppendFailure(), undefined);
    state.dropConnections();
    assert.equal(drops(), 1);
  });

  it('rejects nonsense arguments with a clear error', () => {
    const { state } = faults();
    assert.throws(() => state.setAppendLatency(-1), /setAppendLatency/);
    assert.throws(() => state.setAppendLatency(2 ** 40), /setAppendLatency/);
    assert.throws(() => state.unavailableFor(Number.NaN), /unavailableFor/);
    assert.throws(() => state.failNextAppends(1.5), /failNextAppends/);
  });
});
