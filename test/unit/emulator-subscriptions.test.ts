import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { MessageSink } from '../../src/emulator/services/response-writer.js';
import { EventStore } from '../../src/emulator/store/event-store.js';
import { noJournal } from '../../src/emulator/store/journal.js';
import type { ProposedEvent } from '../../src/emulator/store/types.js';
import { runAllSubscription } from '../../src/emulator/subscriptions/all-subscription.js';
import { buildFilter, type EventFilter } from '../../src/emulator/subscriptions/event-filter.js';
import { runStreamSubscription } from '../../src/emulator/subscriptions/stream-subscription.js';
import { isRpcError } from '../../src/emulator/services/request-parsing.js';

/** Records what a subscription sends: 'event', 'caught_up' or `checkpoint@<position>`. */
class ListSink implements MessageSink {
  readonly messages: string[] = [];
  write(message: unknown): Promise<void> {
    if (Buffer.isBuffer(message)) this.messages.push('event');
    else if (typeof message === 'object' && message !== null && 'checkpoint' in message) {
      const cp = (message as { checkpoint: { commit_position: string } }).checkpoint;
      this.messages.push(`checkpoint@${cp.commit_position}`);
    } else this.messages.push(Object.keys(message as object)[0] ?? '?');
    return Promise.resolve();
  }
  count(kind: string): number {
    return this.messages.filter((m) => m === kind).length;
  }
}

function ev(type = 'T'): ProposedEvent {
  return {
    eventId: randomUUID(),
    eventType: type,
    contentType: 'application/json',
    data: Buffer.from('{}'),
    metadata: Buffer.alloc(0),
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(condition(), 'condition reached');
}

function prefixFilter(prefix: string, max: number, multiplier = 1): EventFilter {
  const filter = buildFilter({
    filter: 'stream_identifier',
    stream_identifier: { regex: '', prefix: [prefix] },
    window: 'max',
    max,
    checkpointIntervalMultiplier: multiplier,
  });
  assert.ok(!isRpcError(filter));
  return filter;
}

const encoding = { resolveLinks: false, uuidForm: 'string' as const, now: Date.now };

describe('emulator $all subscription', () => {
  it('checkpoints every interval of considered events in catch-up and live, once on going live, never twice', async () => {
    const store = new EventStore({ journal: noJournal, now: Date.now });
    for (let i = 0; i < 35; i++) store.append(i % 2 === 0 ? 'keep-a' : 'other-a', { kind: 'any' }, [ev()]);
    const sink = new ListSink();
    const abort = new AbortController();
    const done = runAllSubscription(
      store,
      { ...encoding, from: 'start', filter: prefixFilter('keep-', 5, 2) },
      sink,
      abort.signal,
    );
    await until(() => sink.messages.includes('caught_up'));
    const pos = (i: number): number => store.log.at(i)?.position ?? -1;
    assert.deepEqual(
      sink.messages.filter((m) => m !== 'event'),
      [`checkpoint@${pos(9)}`, `checkpoint@${pos(19)}`, `checkpoint@${pos(29)}`, `checkpoint@${pos(34)}`, 'caught_up'],
    );
    assert.equal(sink.count('event'), 18, 'only matching events are sent');

    for (let i = 0; i < 12; i++) store.append('other-b', { kind: 'any' }, [ev()]);
    await until(() => sink.count('checkpoint@' + pos(44)) === 1);
    assert.deepEqual(sink.messages.slice(-1), [`checkpoint@${pos(44)}`], 'live checkpoint after 10 more considered');
    assert.equal(sink.count('caught_up'), 1);
    abort.abort();
    await done;
  });

  it('from the end it goes live without a checkpoint, and from a position it is exclusive and gapless', async () => {
    const store = new EventStore({ journal: noJournal, now: Date.now });
    for (let i = 0; i < 5; i++) store.append('s', { kind: 'any' }, [ev()]);
    const fromEnd = new ListSink();
    const abortEnd = new AbortController();
    const endRun = runAllSubscription(
      store,
      { ...encoding, from: 'end', filter: prefixFilter('s', 32) },
      fromEnd,
      abortEnd.signal,
    );
    await until(() => fromEnd.messages.includes('caught_up'));
    assert.deepEqual(fromEnd.messages, ['caught_up']);

    const fromPos = new ListSink();
    const abortPos = new AbortController();
    const posRun = runAllSubscription(
      store,
      { ...encoding, from: store.log.at(2)?.position ?? 0, filter: undefined },
      fromPos,
      abortPos.signal,
    );
    // Appends racing with the catch-up must each arrive exactly once, in order.
    for (let i = 0; i < 50; i++) {
      store.append('s', { kind: 'any' }, [ev()]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => fromPos.count('event') === 52);
    assert.equal(fromPos.count('caught_up'), 1);
    assert.ok(!fromPos.messages.some((m) => m.startsWith('checkpoint')), 'no checkpoints without a filter');
    await until(() => fromEnd.count('event') === 50);
    assert.deepEqual(
      fromEnd.messages.filter((m) => m.startsWith('checkpoint')),
      [`checkpoint@${store.log.at(36)?.position}`],
      'one live checkpoint after 32 considered events',
    );
    abortEnd.abort();
    abortPos.abort();
    await Promise.all([endRun, posRun]);
  });
});

describe('emulator stream subscription', () => {
  it('starts after the given revision and ends with StreamDeleted on a tombstone', async () => {
    const store = new EventStore({ journal: noJournal, now: Date.now });
    store.append('t', { kind: 'no_stream' }, [ev(), ev(), ev()]);
    const sink = new ListSink();
    const abort = new AbortController();
    const run = runStreamSubscription(store, { ...encoding, streamId: 't', from: 1n }, sink, abort.signal);
    await until(() => sink.messages.includes('caught_up'));
    assert.deepEqual(sink.messages, ['event', 'caught_up']);
    store.append('other', { kind: 'any' }, [ev()]);
    store.append('t', { kind: 'any' }, [ev()]);
    await until(() => sink.count('event') === 2);
    store.tombstone('t', { kind: 'any' });
    await assert.rejects(
      run,
      (err: unknown) => isRpcError(err) && err.metadata?.get('exception')[0] === 'stream-deleted',
    );
    assert.deepEqual(sink.messages, ['event', 'caught_up', 'event'], 'the tombstone record itself is not delivered');
  });
});
