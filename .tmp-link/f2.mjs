import { test } from 'node:test';
import { appendRaw, linkOptions, settle, startLink, twoNodes, assertSame } from '/work/main/dist/test/integration/link-fixture.js';
process.on('unhandledRejection', (e) => { console.log('UNHANDLED', e.message, e.stack); });
test('x', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  await link.start();
  await settle(link, a);
  for (const kind of ['unavailable', 'deadline', 'not-leader', 'cancelled', 'internal']) {
    dc2.emulator.faults.failNextAppends(2, kind);
    try { await appendRaw(a, 'f-'+kind, [{}, {}]); } catch (e) { console.log('TEST WRITE FAILED', kind, e.message); }
    try { await settle(link, a, 5000); } catch (e) { console.log('settle failed', kind, e.message); }
  }
  console.log(link.status());
});
