import { startNodes } from '/work/main/dist/test/helpers/nodes.js';
import { BACKWARDS, END } from '@eventstore/db-client';
import { appendRaw, jsonData } from '/work/main/dist/test/integration/link-fixture.js';
const [dc1] = await startNodes(['dc1']);
const a = dc1.client();
await appendRaw(a, 'orders-1', [{data: jsonData({n:1})},{data: jsonData({n:1})}]);
for await (const e of a.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 5 })) { if (process.argv[2]==='break') break; }
console.log('read');
const t0 = Date.now();
await dc1.stop(); console.log('dc1 stopped', Date.now()-t0);
