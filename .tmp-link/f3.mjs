import { startNodes } from '/work/main/dist/test/helpers/nodes.js';
import { appendRaw } from '/work/main/dist/test/integration/link-fixture.js';
const [dc1, dc2] = await startNodes(['dc1','dc2']);
const a = dc1.client();
await appendRaw(a, 'x', [{}]);
dc2.emulator.faults.failNextAppends(2, 'not-leader');
try { await appendRaw(a, 'y', [{}]); console.log('dc1 write ok'); } catch (e) { console.log('dc1 write failed', e.message); }
const b = dc2.client();
try { await appendRaw(b, 'y', [{}]); console.log('dc2 write ok'); } catch (e) { console.log('dc2 write failed', e.message); }
console.log(dc1.emulator.port, dc2.emulator.port);
await dc1.stop(); await dc2.stop();
