import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AccessDeniedError, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';

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
      const m = /emulator ready: (esdb:\/\/\S+)/.exec(stdout);
      if (m?.[1] && stdout.endsWith('\n')) resolve(m[1]);
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

  it('--secure prints a TLS connection string usable as printed, takes --user, and reuses its CA from --data', async (t) => {
    const data = mkdtempSync(join(tmpdir(), 'esdb-linker-secure-cli-'));
    t.after(() => rmSync(data, { recursive: true, force: true }));
    const args = ['--secure', '--port', '0', '--data', data, '--user', 'alice:wonder:readers,writers'];
    const first = await runUntilReady(t, args);
    const m = /^esdb:\/\/admin:changeit@127\.0\.0\.1:(\d+)\?tls=true&tlsCAFile=(\S+)$/.exec(first.url);
    assert.ok(m, `secure connection string: ${first.url}`);
    const caFile = m[2]!;
    assert.ok(isAbsolute(caFile), 'the CA path is absolute');
    assert.ok(caFile.startsWith(data), 'the CA lives in the data directory');
    const ca = readFileSync(caFile, 'utf8');
    const stream = `cli-secure-${Date.now()}`;
    const admin = EventStoreDBClient.connectionString(first.url);
    await admin.appendToStream(stream, [jsonEvent({ type: 'T', data: {} })]);
    const alice = EventStoreDBClient.connectionString(first.url.replace('admin:changeit@', 'alice:wonder@'));
    await alice.appendToStream(stream, [jsonEvent({ type: 'T', data: {} })]);
    await assert.rejects(
      (async () => {
        for await (const _ of alice.readAll({ maxCount: 1 })) void _;
      })(),
      AccessDeniedError,
    );
    await Promise.all([admin.dispose(), alice.dispose()]);
    assert.equal(await first.signal('SIGTERM'), 0);

    const second = await runUntilReady(t, args);
    assert.ok(second.url.endsWith(`tlsCAFile=${caFile}`), 'the same CA file again');
    assert.equal(readFileSync(caFile, 'utf8'), ca, 'the CA is reused, so configured clients keep working');
    const again = EventStoreDBClient.connectionString(second.url);
    t.after(() => again.dispose());
    let n = 0;
    for await (const _ of again.readStream(stream)) n++;
    assert.equal(n, 2);
    assert.equal(await second.signal('SIGTERM'), 0);
  });

  it('--secure with --cert, --key and --ca serves your own certificates', async (t) => {
    const made = mkdtempSync(join(tmpdir(), 'esdb-linker-own-certs-'));
    t.after(() => rmSync(made, { recursive: true, force: true }));
    // A first run makes a development set; the second takes its files as the user's own.
    const maker = await runUntilReady(t, ['--secure', '--port', '0', '--data', made]);
    assert.equal(await maker.signal('SIGTERM'), 0);
    const certs = join(made, 'certs');
    const own = await runUntilReady(t, [
      '--secure',
      '--port',
      '0',
      '--cert',
      join(certs, 'node.crt'),
      '--key',
      join(certs, 'node.key'),
      '--ca',
      join(certs, 'ca.crt'),
    ]);
    assert.ok(own.url.endsWith(`tlsCAFile=${join(certs, 'ca.crt')}`), own.url);
    const client = EventStoreDBClient.connectionString(own.url);
    t.after(() => client.dispose());
    const result = await client.appendToStream(`cli-own-${Date.now()}`, [jsonEvent({ type: 'T', data: {} })]);
    assert.equal(result.nextExpectedRevision, 0n);
    assert.equal(await own.signal('SIGTERM'), 0);
  });

  for (const [args, message] of [
    [['--user', 'bob:pw'], /need --secure/],
    [['--secure', '--cert', 'x.crt'], /certificate, its key and the CA/],
  ] as const) {
    it(`refuses ${args.join(' ')} with exit code 1 and a clear message`, () => {
      const r = spawnSync(process.execPath, [BIN, 'emulator', '--port', '0', ...args], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(r.status, 1, `stdout: ${r.stdout} stderr: ${r.stderr}`);
      assert.match(r.stderr, message);
    });
  }

  it('rejects a malformed --user with exit code 2, without echoing the password', () => {
    const r = spawnSync(process.execPath, [BIN, 'emulator', '--secure', '--user', 'bob'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 2, `stdout: ${r.stdout} stderr: ${r.stderr}`);
    assert.match(r.stderr, /NAME:PASSWORD/);
  });
});
