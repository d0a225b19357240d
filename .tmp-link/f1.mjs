import { test } from 'node:test';
import { appendRaw, linkOptions, settle, startLink, twoNodes, assertSame } from '/work/main/dist/test/integration/link-fixture.js';
test('x', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  await link.start();
  await settle(link, a);
  dc2.emulator.faults.failNextAppends(2, 'unavailable');
  await appendRaw(a, 'f-1', [{}, {}]);
  try { await settle(link, a, 5000); } catch (e) { console.log('settle failed', link.status()); throw e; }
  console.log(link.status());
});
