import { test } from 'node:test';
import { appendRaw, linkOptions, settle, startLink, twoNodes } from '/work/main/dist/test/integration/link-fixture.js';
test('x', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  console.log('ports', dc1.emulator.port, dc2.emulator.port);
  const a = dc1.client();
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  await link.start();
  await settle(link, a);
  for (const kind of ['unavailable', 'deadline', 'not-leader', 'cancelled', 'internal']) {
    dc2.emulator.faults.failNextAppends(2, kind);
    for (let i = 0; i < 3; i++) {
      try { await appendRaw(a, `f-${kind}-${i}`, [{}, {}, {}, {}]); } catch (e) { console.log('TEST WRITE FAILED', kind, i, e.message); }
    }
    try { await settle(link, a, 5000); } catch (e) { console.log('settle failed', kind, e.message); }
  }
});
