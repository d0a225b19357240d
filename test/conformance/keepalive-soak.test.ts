// An $all subscription and the append channel stay healthy across many client keepalive pings. The client pings
// every 10 s by default; this test also runs a client pinging every second so a short soak sees many pings.
// CONFORMANCE_SOAK_MS lengthens (or shortens) the soak; the default keeps the file around 12 s.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { START, jsonEvent, streamNameFilter, type AllStreamResolvedEvent } from '@eventstore/db-client';
import { SubscriptionRecorder } from '../helpers/conformance-subscription.js';
import { SERVER_VARIANTS, openTarget, uniqueStream, variantSkipReason } from '../helpers/conformance-target.js';

const SOAK_MS = Number(process.env.CONFORMANCE_SOAK_MS ?? 11_000);
const variant = SERVER_VARIANTS[0]!;

function withOption(connectionString: string, option: string): string {
  return connectionString.includes('?') ? `${connectionString}&${option}` : `${connectionString}?${option}`;
}

describe('keepalive soak', { skip: variantSkipReason(variant) }, () => {
  test(`subscriptions and appends survive ${SOAK_MS} ms of keepalive pings`, async (t) => {
    const target = await openTarget(t, variant);
    const clients = [
      target.client(),
      target.client(withOption(target.connectionString, 'keepAliveInterval=1000&keepAliveTimeout=1000')),
    ];
    const stream = uniqueStream('soak');
    const subs = clients.map((client) => {
      const recorder = new SubscriptionRecorder<AllStreamResolvedEvent>();
      recorder.attach(client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: [stream] }) }));
      return recorder;
    });
    for (const sub of subs) await sub.waitFor((r) => r.caughtUp, 'caughtUp');
    const started = Date.now();
    let written = 0;
    while (Date.now() - started < SOAK_MS) {
      const client = clients[written % clients.length]!;
      await client.appendToStream(stream, jsonEvent({ type: 'Tick', data: { n: written } }));
      written++;
      await sleep(1_000);
    }
    for (const sub of subs) {
      await sub.waitFor((r) => r.events.length === written, `${written} events on every subscription`);
      assert.equal(sub.error, undefined);
      assert.equal(sub.ended, false, 'the subscription is still open');
      assert.deepEqual(
        sub.events.map((e) => e.event!.revision),
        Array.from({ length: written }, (_, i) => BigInt(i)),
      );
    }
  });
});
