import { startNodes } from '/work/main/dist/test/helpers/nodes.js';
import { appendRaw, jsonData, linkOptions, endOf } from '/work/main/dist/test/integration/link-fixture.js';
import { LinkerService } from '/work/main/dist/src/link/linker-service.js';
import { silentLogger } from '/work/main/dist/src/observability/logger.js';
const mode = process.argv[2];
const [dc1, dc2] = await startNodes(['dc1','dc2']);
const a = dc1.client();
await appendRaw(a, 'orders-1', [{data: jsonData({n:1})}]);
if (mode === 'end') console.log(await endOf(a));
if (mode !== 'nolink') {
const link = new LinkerService({options: linkOptions('dc1','dc2'), origin:{name:'dc1', client: dc1.client()}, destination:{name:'dc2', client: dc2.client()}, logger: silentLogger()});
await link.start();
await new Promise(r => setTimeout(r, 500));
await link.stop();
console.log('link stopped');
}
const t0 = Date.now();
await dc1.stop(); console.log('dc1 stopped', Date.now()-t0);
await dc2.stop(); console.log('dc2 stopped', Date.now()-t0);
