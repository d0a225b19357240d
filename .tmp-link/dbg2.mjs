import { test } from 'node:test';
import { appendRaw, jsonData, linkOptions, settle, startLink, twoNodes, assertSame } from '/work/main/dist/test/integration/link-fixture.js';
test('x', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client(); const b = dc2.client();
  await appendRaw(a, 'orders-1', [{data: jsonData({n:1})}]);
  const link = startLink(t, dc1, dc2, linkOptions('dc1','dc2'));
  await link.start();
  await settle(link, a);
  console.log('settled');
  await assertSame(a, b);
  console.log('same');
  t.after(() => { setTimeout(() => { console.log(process._getActiveHandles().map(h => h.constructor.name), process._getActiveRequests().length); }, 3000).unref(); });
});
