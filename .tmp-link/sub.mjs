import { startNodes } from '/work/main/dist/test/helpers/nodes.js';
import { jsonEvent, START, streamNameFilter } from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
const [dc1] = await startNodes(['dc1']);
const a = dc1.client();
const N = 20000, S = 200;
await Promise.all(Array.from({length: S}, async (_, s) => {
  for (let i = 0; i < N / S; i += 50) await a.appendToStream(`b-${s}`, Array.from({length: 50}, (_, k) => jsonEvent({id: randomUUID(), type: 'T', data: {s, i: i + k, pad: 'x'.repeat(200)}})));
}));
for (const mode of ['nofilter', 'filter']) {
  const c = dc1.client();
  const t0 = Date.now(); let n = 0, cps = 0;
  await new Promise((resolve) => {
    const sub = c.subscribeToAll({ fromPosition: START, filter: mode === 'filter' ? streamNameFilter({ regex: '^(?:[^$]|\\$\\$[^$])', checkpointInterval: 1, checkpointReached: () => { cps++; } }) : undefined });
    sub.on('data', () => n++);
    sub.on('caughtUp', () => { resolve(); void sub.unsubscribe(); });
  });
  console.log(mode, n, 'events', cps, 'checkpoints in', Date.now() - t0, 'ms');
}
await dc1.stop();
