// Held lanes: during catch-up a lane with less than a full batch waits for more of its events (bigger
// appends), but never past MAX_HOLD_MS, never once hold() says no, and never through a stop's drain.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { LaneRouter, MAX_HOLD_MS } from '../../src/link/route/lane-router.js';
import type { WorkItem } from '../../src/link/route/work-item.js';

function item(stream: string, n: number): WorkItem {
  return {
    ticket: n,
    kind: 'append',
    eventKind: 'event',
    laneKey: stream,
    originStream: stream,
    destStream: stream,
    revision: BigInt(n),
    position: { commit: BigInt(n), prepare: BigInt(n) },
    id: `${stream}-${n}`,
    type: 'T',
    contentType: 'application/json',
    data: new Uint8Array(10),
    originalMetadata: new Uint8Array(0),
    metadata: new Uint8Array(0),
    createdMs: 0,
    unmarked: false,
    followsStream: false,
    bytes: 10,
  };
}

function router(opts: { hold: () => boolean; maxEvents?: number }) {
  const batches: string[][] = [];
  const lanes = new LaneRouter({
    concurrency: 4,
    limits: () => ({ events: opts.maxEvents ?? 10, bytes: 1 << 20 }),
    process: async (batch) => {
      batches.push(batch.map((i) => i.id));
    },
    onFailure: (err) => assert.fail(String(err)),
    hold: opts.hold,
    onBufferChange: () => undefined,
  });
  return { lanes, batches };
}

describe('LaneRouter held lanes', () => {
  it('holds partial lanes while hold() says so, then writes them as one batch each, fullest first', async () => {
    let holding = true;
    const { lanes, batches } = router({ hold: () => holding });
    for (let n = 0; n < 3; n++) lanes.enqueue(item('a', n));
    for (let n = 0; n < 5; n++) lanes.enqueue(item('b', n));
    await delay(5);
    assert.equal(batches.length, 0, 'nothing written while held');
    holding = false;
    lanes.enqueue(item('a', 3));
    await lanes.onIdle();
    assert.deepEqual(batches, [
      ['b-0', 'b-1', 'b-2', 'b-3', 'b-4'],
      ['a-0', 'a-1', 'a-2', 'a-3'],
    ]);
  });

  it('writes a full lane at once even while holding', async () => {
    const { lanes, batches } = router({ hold: () => true, maxEvents: 3 });
    for (let n = 0; n < 3; n++) lanes.enqueue(item('a', n));
    await delay(5);
    assert.deepEqual(batches, [['a-0', 'a-1', 'a-2']]);
    lanes.stop();
  });

  it('a lane that fills up while held is written at once', async () => {
    const { lanes, batches } = router({ hold: () => true, maxEvents: 3 });
    lanes.enqueue(item('a', 0));
    await delay(2);
    assert.equal(batches.length, 0);
    lanes.enqueue(item('a', 1));
    lanes.enqueue(item('a', 2));
    await delay(2);
    assert.deepEqual(batches, [['a-0', 'a-1', 'a-2']]);
    lanes.stop();
  });

  it('writes a held lane after MAX_HOLD_MS even though hold() still says so (a slow origin)', async () => {
    const { lanes, batches } = router({ hold: () => true });
    lanes.enqueue(item('a', 0));
    await delay(MAX_HOLD_MS / 5);
    assert.equal(batches.length, 0);
    await delay(MAX_HOLD_MS + 200);
    assert.deepEqual(batches, [['a-0']]);
    lanes.stop();
  });

  it("a stop's drain writes held lanes without waiting, whatever hold() says", async () => {
    const { lanes, batches } = router({ hold: () => true });
    lanes.enqueue(item('a', 0));
    lanes.enqueue(item('b', 0));
    const started = performance.now();
    await lanes.onIdle();
    assert.ok(performance.now() - started < MAX_HOLD_MS, 'the drain did not wait for the hold timer');
    assert.equal(batches.length, 2);
  });

  it('release() (going live) writes held lanes at once', async () => {
    let live = false;
    const { lanes, batches } = router({ hold: () => !live });
    lanes.enqueue(item('a', 0));
    await delay(2);
    assert.equal(batches.length, 0);
    live = true;
    lanes.release();
    await delay(2);
    assert.deepEqual(batches, [['a-0']]);
    lanes.stop();
  });
});
