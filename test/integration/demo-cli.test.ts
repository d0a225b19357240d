// `esdb-linker demo` as a user runs it: a child process with embedded nodes, the real daemon, the status
// page and progress; it stops by itself with --duration and cleanly on SIGINT.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import type { DaemonStatus } from '../../src/observability/status-types.js';
import { BIN } from '../helpers/daemon-process.js';
import { runTool } from '../helpers/run-tool.js';

const STATUS_URL = /status API +(http:\/\/127\.0\.0\.1:\d+\/api\/status)/;

describe('esdb-linker demo', () => {
  test('--duration 8: prints where to look and progress, serves the status API, verifies and exits 0', async () => {
    let statusUrl: string | undefined;
    let status: Promise<DaemonStatus> | undefined;
    let seen = '';
    const result = await runTool(['demo', '--duration', '8', '--rate', '40'], {
      timeoutMs: 90_000,
      onStdout: (chunk) => {
        seen += chunk;
        // Ask the running daemon once its first progress block shows the links running.
        if (!statusUrl && /\[ *\d+ s\] written/.test(seen)) {
          statusUrl = STATUS_URL.exec(seen)?.[1];
          if (statusUrl) status = fetch(statusUrl).then(async (r) => (await r.json()) as DaemonStatus);
        }
      },
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /status page +http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(result.stdout, /metrics +http:\/\/127\.0\.0\.1:\d+\/metrics/);
    assert.match(result.stdout, /node dc1 +esdb:\/\/127\.0\.0\.1:\d+\?tls=false/);
    assert.match(result.stdout, /esdb-linker verify --origin/);
    assert.match(result.stdout, /dc1-to-reporting +\S+ +copied +\d+/);
    assert.match(result.stdout, /stopped: daemon drained, emulators closed/);

    assert.ok(status, `no progress with a status URL in:\n${result.stdout}`);
    const live = await status;
    assert.deepEqual(live.links.map((l) => l.name).sort(), [
      'dc1-to-dc2',
      'dc1-to-reporting',
      'dc2-to-dc1',
      'dc2-to-reporting',
    ]);

    // Copies that have no reason to differ are compared once the links drained.
    const copied = /dc1-to-reporting +\S+ +copied +(\d+)/g;
    const counts = [...result.stdout.matchAll(copied)].map((m) => Number(m[1]));
    assert.ok(counts.at(-1)! > 0, 'the fan-in link copied events');
    // The fan-in takes only what each DC wrote itself: each side's selection equals its prefix in reporting.
    assert.match(result.stdout, /verify dc1 vs reporting \(dc1\.\*, events written on dc1\): equal/);
    assert.match(result.stdout, /verify dc2 vs reporting \(dc2\.\*, events written on dc2\): equal/);
    assert.match(result.stdout, /verify dc1 vs dc2 \(except cart-\*\): equal/);
    assert.match(
      result.stdout,
      /esdb-linker verify --origin "\S+" --destination "\S+" --stream-prefix dc1\. --local-only/,
    );

    // Each event exactly once: as many events in reporting as the traffic wrote, split by the DC that wrote them.
    const written = [...result.stdout.matchAll(/written: dc1 (\d+), dc2 (\d+)/g)].at(-1);
    assert.ok(written, 'the traffic counts are printed');
    const [dc1Written, dc2Written] = [Number(written[1]), Number(written[2])];
    const once =
      /reporting: each event exactly once: (\d+) events = (\d+) written \(dc1\.\* (\d+), dc2\.\* (\d+)\)/.exec(
        result.stdout,
      );
    assert.ok(once, `no exactly-once line in:\n${result.stdout}`);
    assert.equal(Number(once[1]), dc1Written + dc2Written);
    assert.equal(Number(once[3]), dc1Written);
    assert.equal(Number(once[4]), dc2Written);
    assert.doesNotMatch(result.stdout, /NOT each event once|difference\(s\)|could not/);
  });

  test('SIGINT stops traffic, drains and exits 0', async () => {
    const child = spawn(process.execPath, [BIN, 'demo', '--rate', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Safety net against a hung child, not a timing assertion.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (/\[ *\d+ s\] written/.test(out) && !child.killed) child.kill('SIGINT');
    });
    const code = await closed;
    clearTimeout(guard);
    assert.equal(code, 0, out + err);
    assert.match(out, /stopping \(signal received\)/);
    assert.match(out, /stopped: daemon drained, emulators closed/);
  });
});
