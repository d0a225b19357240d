import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';

const BIN = fileURLToPath(new URL('../../../bin/esdb-linker.js', import.meta.url));

async function runUntilReady(
  t: TestContext,
  args: string[],
): Promise<{ stdout: () => string; url: string; signal: (s: NodeJS.Signals) => Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'emulator', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /esdb:\/\/\S+\?tls=(?:false|true\S*)/.exec(stdout);
      if (m && stdout.endsWith('\n')) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready: ${stdout}${stderr}`)));
  });
  return {
    stdout: () => stdout,
    url,
    signal: async (s) => {
      child.kill(s);
      return exited;
    },
  };
}

describe('esdb-linker emulator (CLI)', () => {
  it('prints one ready line with the real port, serves the client, and exits 0 on SIGTERM', async (t) => {
    const run = await runUntilReady(t, ['--port', '0']);
    assert.match(run.url, /^esdb:\/\/127\.0\.0\.1:(\d+)\?tls=false$/);
    const port = Number(/:(\d+)\?/.exec(run.url)?.[1]);
    assert.ok(port > 0 && port <= 65535);
    const client = EventStoreDBClient.connectionString(run.url);
    t.after(() => client.dispose());
    const result = await client.appendToStream('cli-check', [jsonEvent({ type: 'T', data: {} })]);
    assert.equal(result.nextExpectedRevision, 0n);
    assert.equal(await run.signal('SIGTERM'), 0);
    assert.equal(run.stdout().trimEnd().split('\n').length, 1, `exactly one stdout line: ${run.stdout()}`);
  });

  it('exits 0 on SIGINT', async (t) => {
    const run = await runUntilReady(t, ['--port', '0', '--host', '127.0.0.1']);
    assert.equal(await run.signal('SIGINT'), 0);
  });

  it('--cluster 3 prints one connection string naming three nodes; the client finds the leader', async (t) => {
    const run = await runUntilReady(t, ['--cluster', '3', '--port', '0', '--election-ms', '100']);
    const m = /^esdb:\/\/127\.0\.0\.1:(\d+),127\.0\.0\.1:(\d+),127\.0\.0\.1:(\d+)\?tls=false$/.exec(run.url);
    assert.ok(m, `three hosts in ${run.url}`);
    assert.equal(new Set(m.slice(1)).size, 3, 'three distinct ports');
    const client = EventStoreDBClient.connectionString(run.url);
    t.after(() => client.dispose());
    const result = await client.appendToStream('cli-cluster-check', [jsonEvent({ type: 'T', data: {} })], {
      requiresLeader: true,
    });
    assert.equal(result.nextExpectedRevision, 0n);
    // Every node serves the same log (a single-host string talks to that node alone).
    for (const port of m.slice(1)) {
      const node = EventStoreDBClient.connectionString(`esdb://127.0.0.1:${port}?tls=false`);
      t.after(() => node.dispose());
      let count = 0;
      for await (const e of node.readStream('cli-cluster-check')) if (e.event) count++;
      assert.equal(count, 1, `node ${port} has the event`);
    }
    assert.equal(await run.signal('SIGTERM'), 0);
    assert.equal(run.stdout().trimEnd().split('\n').length, 1, `exactly one stdout line: ${run.stdout()}`);
  });

  it('--cluster 3 --secure: one TLS string naming three nodes that both clients accept as printed', async (t) => {
    const run = await runUntilReady(t, ['--cluster', '3', '--secure', '--port', '0', '--election-ms', '100']);
    const m =
      /^esdb:\/\/admin:changeit@127\.0\.0\.1:(\d+),127\.0\.0\.1:(\d+),127\.0\.0\.1:(\d+)\?tls=true&tlsCAFile=(\/\S+\.crt)$/.exec(
        run.url,
      );
    assert.ok(m, `three TLS hosts in ${run.url}`);
    assert.equal(new Set(m.slice(1, 4)).size, 3, 'three distinct ports');
    const client = EventStoreDBClient.connectionString(run.url);
    t.after(() => client.dispose());
    const stream = `cli-secure-cluster-${process.pid}`;
    const result = await client.appendToStream(stream, [jsonEvent({ type: 'T', data: {} })], { requiresLeader: true });
    assert.equal(result.nextExpectedRevision, 0n);
    // One certificate serves every node, and every node knows the same users.
    for (const port of m.slice(1, 4)) {
      const node = EventStoreDBClient.connectionString(
        `esdb://ops:changeit@127.0.0.1:${port}?tls=true&tlsCAFile=${m[4]}`,
      );
      t.after(() => node.dispose());
      let count = 0;
      for await (const e of node.readStream(stream)) if (e.event) count++;
      assert.equal(count, 1, `node ${port} serves the event to ops over TLS`);
    }
    // The successor client in its own process (the two clients' generated classes cannot share one).
    const kurrent = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { KurrentDBClient } from '@kurrent/kurrentdb-client';
         const c = KurrentDBClient.connectionString(process.argv[1]);
         let n = 0; for await (const e of c.readStream(process.argv[2], { requiresLeader: true })) n++;
         await c.dispose(); process.stdout.write(String(n));`,
        run.url,
        stream,
      ],
      // From the repository, so the package resolves whatever the test runner's working directory.
      { encoding: 'utf8', timeout: 30_000, cwd: fileURLToPath(new URL('../../..', import.meta.url)) },
    );
    assert.equal(kurrent.stdout, '1', `kurrent client: ${kurrent.stderr}`);
    assert.equal(await run.signal('SIGTERM'), 0);
    assert.equal(run.stdout().trimEnd().split('\n').length, 1, `exactly one stdout line: ${run.stdout()}`);
  });

  for (const args of [
    ['--port', 'abc'],
    ['--port', '70000'],
    ['--port', '-1'],
    ['--bogus'],
    ['--host', ''],
    ['--cluster', '0'],
    ['--cluster', 'three'],
    ['--election-ms', '-5'],
  ]) {
    it(`rejects ${args.join(' ')} with exit code 2 and a clear message`, () => {
      const r = spawnSync(process.execPath, [BIN, 'emulator', ...args], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 2, `stdout: ${r.stdout} stderr: ${r.stderr}`);
      assert.match(r.stderr, args[0] === '--bogus' ? /unknown option '--bogus'/ : new RegExp(`${args[0]}`));
      assert.equal(r.stdout, '');
    });
  }
});
