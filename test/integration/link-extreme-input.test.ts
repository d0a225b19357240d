import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { rawEvent } from '../../src/client/raw-bytes.js';
import { conflictStreamName } from '../../src/link/bookkeeping.js';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { readAllEvents } from '../helpers/topology-inspect.js';
import { readStreamEvents } from '../helpers/stream-compare.js';
import { appendRaw, assertSame, jsonData, linkOptions, settle, startLink, twoNodes } from './link-fixture.js';

const enc = new TextEncoder();
/** The emulator's (and the real server's default) largest append. */
const MAX_APPEND = 1_048_576;

test('an event at the maximum append size: copied while it fits; past the limit with annotations, a conflict record says so', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const tag = randomUUID().slice(0, 8);
  const type = 'Big';
  // Exactly the limit on the origin (data + metadata + 2 x type length).
  const exact = new Uint8Array(MAX_APPEND - 2 * type.length).fill(0x61);
  // Leaves room for the link's annotations (origin node, stream, revision, created: well under 512 bytes).
  const roomy = new Uint8Array(MAX_APPEND - 2 * type.length - 512).fill(0x62);
  await appendRaw(a, `big-${tag}-roomy`, [{ type, data: roomy, binary: true }]);
  await appendRaw(a, `big-${tag}-exact`, [{ type, data: exact, binary: true }]);
  await appendRaw(a, `big-${tag}-after`, [{ type: 'Small' }]);
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  await link.start();
  await settle(link, a, 30_000);
  await assertSame(a, b, { includeStreamPrefixes: [`big-${tag}-roomy`, `big-${tag}-after`] });
  // The annotated copy of the exact-size event is over the limit: it follows the conflict policy (here
  // `stream`), so the link is not blocked and the event is not silently dropped.
  assert.deepEqual(await readStreamEvents(b, `big-${tag}-exact`), []);
  const records = (await readAllEvents(b)).filter((e) => e.streamId === conflictStreamName('dc1', 'dc2'));
  assert.equal(records.length, 1, 'one conflict record for the event that does not fit');
  assert.equal(link.status().conflicts, 1);
  assert.equal(link.status().state, 'running');
});

test('metadata near 1 MiB is copied byte for byte, annotated', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const tag = randomUUID().slice(0, 8);
  const metadata = JSON.stringify({ note: 'm'.repeat(MAX_APPEND - 4_096), nested: { k: [1, 2, 3] } });
  await appendRaw(a, `meta-${tag}`, [{ metadata, data: jsonData({ small: true }) }]);
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  await link.start();
  await settle(link, a, 30_000);
  await assertSame(a, dc2.client(), { includeStreamPrefixes: [`meta-${tag}`] });
});

test('stream names from every Unicode plane and with separators are copied under the same names', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const tag = randomUUID().slice(0, 8);
  const names = [
    `uni-${tag}-latin-é-ß`,
    `uni-${tag}-bmp-東京-δέλτα-עברית`,
    `uni-${tag}-smp-😀-𝄞`,
    `uni-${tag}-sip-𠀀-𪜀`,
    `uni-${tag}-tip-\u{30000}`,
    `uni-${tag}-ssp-\u{E0041}`,
    `uni-${tag}-pua-\u{F0000}-\u{10FFFD}`,
    `uni-${tag}-sep-a/b\\c:d.e|f g,h;i#j?k&l=m%n`,
    `uni-${tag}-ctl-tab\there-nl\nthere`,
    `uni-${tag}-dollar-$x-$$y`,
    `uni-${tag}-zero-width-\u200b-\ufeff`,
  ];
  for (const stream of names) await appendRaw(a, stream, [{}, {}]);
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  await link.start();
  await settle(link, a);
  for (const stream of names) {
    const copied = await readStreamEvents(dc2.client(), stream);
    assert.equal(copied.length, 2, `${JSON.stringify(stream)} copied`);
  }
  await assertSame(a, dc2.client(), { includeStreamPrefixes: [`uni-${tag}`] });
});

test('$-prefixed event types in user streams are copied; link events ($>) are not', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const tag = randomUUID().slice(0, 8);
  const stream = `types-${tag}`;
  await appendRaw(a, stream, [
    { type: '$custom' },
    { type: '$metadata' },
    { type: '$streamDeleted' },
    { type: '$$weird' },
    { type: 'normal' },
  ]);
  await appendRaw(a, `links-${tag}`, [{ type: '$>', data: enc.encode(`0@${stream}`), binary: true }]);
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  await link.start();
  await settle(link, a);
  const copied = await readStreamEvents(dc2.client(), stream);
  assert.deepEqual(
    copied.map((e) => e.type),
    ['$custom', '$metadata', '$streamDeleted', '$$weird', 'normal'],
  );
  await assertSame(a, dc2.client(), { includeStreamPrefixes: [stream] });
  // A link event points at an event of another stream: copying it would point at the destination's event
  // of that number, which may be another one. Skipped (counted), like the server's own projections output.
  assert.deepEqual(await readStreamEvents(dc2.client(), `links-${tag}`), []);
  assert.ok(link.status().eventsSkipped >= 1);
});

test('stream metadata ($$) that is not valid JSON is copied byte for byte and never blocks the link', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const tag = randomUUID().slice(0, 8);
  const stream = `badmeta-${tag}`;
  await appendRaw(a, stream, [{}]);
  await a.appendToStream(
    `$$${stream}`,
    rawEvent({
      id: randomUUID(),
      type: '$metadata',
      contentType: 'application/json',
      data: enc.encode('{"$maxCount": 10, not json'),
      metadata: new Uint8Array(),
    }),
  );
  await appendRaw(a, stream, [{}]);
  await appendRaw(a, `after-${tag}`, [{}]);
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  await link.start();
  await settle(link, a);
  const b = dc2.client();
  assert.equal((await readStreamEvents(b, stream)).length, 2);
  assert.equal((await readStreamEvents(b, `after-${tag}`)).length, 1);
  const meta = (await readAllEvents(b)).filter((e) => e.streamId === `$$${stream}`);
  assert.equal(meta.length, 1, 'the metadata event was copied');
  assert.equal(Buffer.from(meta[0]!.data).toString(), '{"$maxCount": 10, not json');
  assert.equal(link.status().state, 'running');
});

test('$maxAge streams whose events expire between read and write: copied, then they expire on the destination too', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  if (!dc2.emulator) return t.skip('needs the emulator');
  const a = dc1.client();
  const tag = randomUUID().slice(0, 8);
  const stream = `aging-${tag}`;
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { stallTimeoutMs: 1_000 }));
  await link.start();
  await settle(link, a);
  // The destination holds the appends until the events are past their age on the origin.
  const release = dc2.emulator.faults.hangAppends();
  await a.setStreamMetadata(stream, { maxAge: 1 });
  await appendRaw(a, stream, [{}, {}, {}]);
  await sleep(1_500);
  assert.deepEqual(await readStreamEvents(a, stream), [], 'expired on the origin');
  release();
  await appendRaw(a, `fresh-${tag}`, [{}]);
  await settle(link, a, 20_000);
  const b = dc2.client();
  // The destination stamps its own creation time on the copies, so they live there for $maxAge from
  // the moment they were written: visible at first, expired a second later, as on the origin.
  assert.equal((await readStreamEvents(b, stream)).length, 3, 'the three events were copied');
  await sleep(1_200);
  assert.deepEqual(await readStreamEvents(b, stream), [], 'expired on the destination as well');
  assert.equal((await readStreamEvents(b, `fresh-${tag}`)).length, 1, 'the link went on');
  assert.equal(link.status().conflicts, 0);
});

test('many streams of one event each (2,000 here, EXTREME_STREAMS=200000 for the full size): bounded buffer, exact copy', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const tag = randomUUID().slice(0, 8);
  // 200,000 takes minutes on two shared cores; EXTREME_STREAMS=200000 runs the size.
  const streams = Number(process.env.EXTREME_STREAMS ?? 2_000);
  for (let i = 0; i < streams; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, streams - i) }, (_, j) =>
        a.appendToStream(
          `one-${tag}-${i + j}`,
          rawEvent({ id: randomUUID(), type: 'One', contentType: 'application/json', data: jsonData({ i: i + j }) }),
        ),
      ),
    );
  }
  const maxEvents = 500;
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { buffer: { maxEvents, maxBytes: 8 * 1024 * 1024 } }));
  const heapBefore = process.memoryUsage().heapUsed;
  let maxBuffered = 0;
  const watch = setInterval(() => (maxBuffered = Math.max(maxBuffered, link.status().buffer.events)), 20);
  t.after(() => clearInterval(watch));
  await link.start();
  await settle(link, a, 120_000);
  clearInterval(watch);
  t.diagnostic(
    `${streams} streams; buffer peak ${maxBuffered} events; heap ${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(1)} MB more`,
  );
  assert.ok(maxBuffered <= maxEvents + 256, `the buffer held at most ${maxBuffered} events`);
  const result = await compareNodes(a, dc2.client(), { includeStreamPrefixes: [`one-${tag}-`] });
  assert.deepEqual(result.differences, []);
  assert.equal(result.streamsCompared, streams);
});

test('an origin $all that is 95% system events: skipped server-side, the link keeps up and reports progress', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const tag = randomUUID().slice(0, 8);
  for (let i = 0; i < 100; i++) {
    const system = Array.from({ length: 19 }, () => ({ type: 'SysNoise' }));
    await appendRaw(a, `$sys-${tag}-${i % 7}`, system);
    await appendRaw(a, `user-${tag}-${i % 10}`, [{}]);
  }
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  await link.start();
  await settle(link, a, 30_000);
  await assertSame(a, dc2.client(), { includeStreamPrefixes: [`user-${tag}-`] });
  assert.equal(link.status().eventsReplicated, 100);
  assert.equal(link.status().stalled, false);
  // The watermark reached the end of $all, system events included (a restart does not re-read them).
  const end = (await readAllEvents(a)).at(-1)!.position;
  const checkpoint = link.status().checkpoint!;
  assert.ok(BigInt(checkpoint.commit) >= end.commit, `checkpoint ${checkpoint.commit} covers ${end.commit}`);
});
