// Transport faults as the client sees them: injected append errors map to the client's error classes exactly as
// the real server's would, nothing is written by a failed append, and the client recovers (reconnecting where the
// real client does) on the next call. Needs the emulator's test hooks, so it is skipped against ESDB_URL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  CancelledError,
  DeadlineExceededError,
  NO_STREAM,
  NotLeaderError,
  START,
  StreamNotFoundError,
  UnavailableError,
  UnknownError,
  jsonEvent,
  type AllStreamResolvedEvent,
  type EventData,
} from '@eventstore/db-client';
import type { InjectedAppendError } from '../../src/emulator/emulator-api.js';
import { SubscriptionRecorder } from '../helpers/conformance-subscription.js';
import {
  SERVER_VARIANTS,
  collect,
  emulatorOnlySkipReason,
  openTarget,
  rejection,
  uniqueStream,
  variantSkipReason,
} from '../helpers/conformance-target.js';

function events(n: number): EventData[] {
  return Array.from({ length: n }, (_, i) => jsonEvent({ id: randomUUID(), type: 'Fault', data: { i } }));
}

const expectedClass: Record<InjectedAppendError, new (...args: never[]) => Error> = {
  unavailable: UnavailableError,
  deadline: DeadlineExceededError,
  'not-leader': NotLeaderError,
  cancelled: CancelledError,
  internal: UnknownError,
};

for (const variant of SERVER_VARIANTS) {
  const skip = emulatorOnlySkipReason('fault injection') ?? variantSkipReason(variant);
  describe(`faults (${variant.name})`, { skip }, () => {
    for (const kind of Object.keys(expectedClass) as InjectedAppendError[]) {
      test(`an injected '${kind}' append failure reaches the caller as ${expectedClass[kind].name}, then appends work again`, async (t) => {
        const target = await openTarget(t, variant);
        const client = target.client();
        const stream = uniqueStream('fault');
        // Warm the channel (and the BatchAppend stream when advertised) so the failure hits an established call.
        await client.appendToStream(uniqueStream('warm'), events(1));
        target.emulator!.faults.failNextAppends(1, kind);
        const err = await rejection(
          client.appendToStream(stream, events(2), { expectedRevision: NO_STREAM }),
          'the append',
        );
        assert.ok(err instanceof expectedClass[kind], `expected ${expectedClass[kind].name}, got ${String(err)}`);
        if (err instanceof NotLeaderError) {
          assert.equal(typeof err.leader.address, 'string');
          assert.ok(err.leader.port > 0);
        }
        await assert.rejects(
          collect(client.readStream(stream)),
          StreamNotFoundError,
          'the failed append wrote nothing',
        );
        const retry = await client.appendToStream(stream, events(2), { expectedRevision: NO_STREAM });
        assert.equal(retry.nextExpectedRevision, 1n);
      });
    }

    test('dropConnections ends open subscriptions with an error the client can recover from', async (t) => {
      const target = await openTarget(t, variant);
      const client = target.client();
      const stream = uniqueStream('drop');
      await client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM });
      const sub = new SubscriptionRecorder<AllStreamResolvedEvent>();
      sub.attach(client.subscribeToAll({ fromPosition: START }));
      await sub.waitFor((r) => r.caughtUp, 'caughtUp');
      target.emulator!.faults.dropConnections();
      await sub.waitFor((r) => r.error !== undefined || r.ended, 'the subscription to end').catch(() => undefined);
      assert.ok(sub.error !== undefined || sub.ended, 'the dropped subscription ended');
      if (sub.error !== undefined) {
        assert.ok(
          sub.error instanceof UnavailableError || sub.error instanceof CancelledError,
          `expected UnavailableError or CancelledError, got ${String(sub.error)}`,
        );
      }
      // The same client reconnects on its next call.
      let appended = false;
      for (let attempt = 0; attempt < 5 && !appended; attempt++) {
        try {
          await client.appendToStream(stream, events(1), { expectedRevision: 0n });
          appended = true;
        } catch (err) {
          if (!(err instanceof UnavailableError || err instanceof CancelledError)) throw err;
        }
      }
      assert.ok(appended, 'an append succeeds after the drop');
      assert.equal((await collect(client.readStream(stream))).length, 2);
    });

    test('unavailableFor answers UNAVAILABLE to every call until it expires, and reset() ends it early', async (t) => {
      const target = await openTarget(t, variant);
      const client = target.client();
      const stream = uniqueStream('unavail');
      await client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM });
      target.emulator!.faults.unavailableFor(60_000);
      await assert.rejects(collect(client.readStream(stream)), UnavailableError);
      // The reconnected channel asks ServerFeatures first; the client passes that failure on unconverted (a raw
      // grpc-js error), so check the status code rather than the class.
      const appendErr = await rejection(client.appendToStream(stream, events(1)), 'an append while unavailable');
      assert.equal((appendErr as { code?: unknown }).code, 14, `expected UNAVAILABLE (14), got ${String(appendErr)}`);
      target.emulator!.faults.reset();
      assert.equal((await collect(client.readStream(stream))).length, 1);
    });

    test('dropping connections fails every append in flight; retrying with the same ids is safe', async (t) => {
      const target = await openTarget(t, variant);
      const client = target.client();
      await client.appendToStream(uniqueStream('warm'), events(1));
      const release = target.emulator!.faults.hangAppends();
      const batches = Array.from({ length: 3 }, () => ({ stream: uniqueStream('inflight'), events: events(2) }));
      const inFlight = batches.map((b) => client.appendToStream(b.stream, b.events, { expectedRevision: NO_STREAM }));
      // Let every append reach the server (where it is held) before the connections go.
      await new Promise((resolve) => setTimeout(resolve, 100));
      target.emulator!.faults.dropConnections();
      const settled = await Promise.allSettled(inFlight);
      release();
      for (const r of settled) {
        assert.equal(r.status, 'rejected');
        assert.ok(
          r.reason instanceof UnavailableError || r.reason instanceof CancelledError,
          `expected UnavailableError or CancelledError, got ${String(r.reason)}`,
        );
      }
      // The outcome of an append cut off in flight is unknown (a real server may have committed it). Re-sending the
      // same events with the same expectation is idempotent either way.
      for (const b of batches) {
        let result: Awaited<ReturnType<typeof client.appendToStream>> | undefined;
        for (let attempt = 0; attempt < 5 && result === undefined; attempt++) {
          try {
            result = await client.appendToStream(b.stream, b.events, { expectedRevision: NO_STREAM });
          } catch (err) {
            if (!(err instanceof UnavailableError || err instanceof CancelledError)) throw err;
          }
        }
        assert.equal(result?.nextExpectedRevision, 1n);
        assert.deepEqual(
          (await collect(client.readStream(b.stream))).map((e) => e.event!.id),
          b.events.map((e) => e.id),
        );
      }
    });

    test('an append whose deadline passes while the server holds it fails with DeadlineExceededError', async (t) => {
      const target = await openTarget(t, variant);
      const client = target.client();
      const stream = uniqueStream('deadline');
      await client.appendToStream(uniqueStream('warm'), events(1));
      const release = target.emulator!.faults.hangAppends();
      const late = events(1);
      const pending = rejection(
        client.appendToStream(stream, late, { expectedRevision: NO_STREAM, deadline: 200 }),
        'an append past its deadline',
      );
      await new Promise((resolve) => setTimeout(resolve, 400));
      release();
      const err = await pending;
      assert.ok(err instanceof DeadlineExceededError, `expected DeadlineExceededError, got ${String(err)}`);
      // Whether the late append was applied is unknown to the caller; the retry with the same id settles it.
      const retry = await client.appendToStream(stream, late, { expectedRevision: NO_STREAM });
      assert.equal(retry.nextExpectedRevision, 0n);
      assert.equal((await collect(client.readStream(stream))).length, 1);
    });

    test('hangAppends holds appends until released, then they complete in order', async (t) => {
      const target = await openTarget(t, variant);
      const client = target.client();
      const stream = uniqueStream('hang');
      await client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM });
      const release = target.emulator!.faults.hangAppends();
      let done = false;
      const pending = client.appendToStream(stream, events(1), { expectedRevision: 0n }).then((r) => {
        done = true;
        return r;
      });
      // A read is answered while the append is held, and the held append has not been applied.
      assert.equal((await collect(client.readStream(stream))).length, 1);
      assert.equal(done, false);
      release();
      assert.equal((await pending).nextExpectedRevision, 1n);
    });
  });
}
