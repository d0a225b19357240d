import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { EventStoreDBClient } from '@eventstore/db-client';
import { useClassicAppendOnly } from '../../src/client/classic-append.js';
import { TrafficGenerator } from '../../src/demo/traffic-generator.js';
import { systemClock } from '../../src/shared/clock.js';
import { startEmulatorProcess, type EmulatorProcess } from '../bench/emulator-process.js';
import { spawnCli, writeTempConfig, type CliProcess } from '../helpers/daemon-process.js';
import { renderChart } from './soak-chart.js';

export interface SoakOptions {
  minutes: number;
  /** Events per second over both writing nodes. @defaultValue 2000 */
  rate: number;
  sampleEveryMs: number;
  outDir: string;
  log?: (line: string) => void;
  /** Ends the run early (Ctrl-C): the processes it started are stopped and the report covers what ran. */
  signal?: AbortSignal;
  /** Samples before this are left out of the growth figures. @defaultValue 20 % of the run, 1-10 minutes */
  warmUpSeconds?: number;
}

export interface SoakSample {
  /** Seconds since the traffic started. */
  t: number;
  rssMb: number;
  heapUsedMb: number;
  eventLoopP99Ms: number;
  handles: number;
  lagEventsMax: number;
  lagSecondsMax: number;
  eventsReplicated: number;
  eventsWritten: number;
}

export interface Growth {
  /** Linear fit over the samples after warm-up, as % of the first post-warm-up value per hour. */
  rssPctPerHour: number | null;
  heapPctPerHour: number | null;
  handlesFirst: number | null;
  handlesLast: number | null;
  handlesMax: number | null;
  lagSecondsP99: number | null;
}

export interface SoakReport {
  minutes: number;
  rate: number;
  startedAt: string;
  warmUpSeconds: number;
  samples: SoakSample[];
  growth: Growth;
  writeErrors: number;
  files: { json: string; csv: string; svg: string; daemonLog: string };
}

/** Prometheus text: the value of an unlabelled sample. */
function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

function slopePerHour(points: { t: number; v: number }[]): number | null {
  if (points.length < 3) return null;
  const n = points.length;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const mv = points.reduce((s, p) => s + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  if (den === 0 || points[0]!.v === 0) return null;
  return ((num / den) * 3600 * 100) / points[0]!.v;
}

export function growthOf(samples: readonly SoakSample[], warmUpSeconds: number): Growth {
  const after = samples.filter((s) => s.t >= warmUpSeconds);
  const lags = after.map((s) => s.lagSecondsMax).sort((a, b) => a - b);
  return {
    rssPctPerHour: slopePerHour(after.map((s) => ({ t: s.t, v: s.rssMb }))),
    heapPctPerHour: slopePerHour(after.map((s) => ({ t: s.t, v: s.heapUsedMb }))),
    handlesFirst: after[0]?.handles ?? null,
    handlesLast: after.at(-1)?.handles ?? null,
    handlesMax: after.length ? Math.max(...after.map((s) => s.handles)) : null,
    lagSecondsP99: lags.length ? lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))]! : null,
  };
}

/**
 * Steady traffic through the demo topology (active/active dc1 <-> dc2 with shared streams, fan-in of both
 * into reporting) with the daemon in its own process; its RSS, heap, event-loop delay, open handles (its
 * Prometheus metrics) and the links' lag (its status API) are sampled on an interval.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  useClassicAppendOnly();
  const servers: EmulatorProcess[] = await Promise.all([0, 1, 2].map(() => startEmulatorProcess()));
  const [dc1, dc2, reporting] = servers as [EmulatorProcess, EmulatorProcess, EmulatorProcess];
  const config = await writeTempConfig({
    nodes: [
      { name: 'dc1', connectionString: dc1.connectionString },
      { name: 'dc2', connectionString: dc2.connectionString },
      { name: 'reporting', connectionString: reporting.connectionString },
    ],
    topology: [
      { type: 'active-active', nodes: ['dc1', 'dc2'], conflicts: 'stream' },
      { type: 'fan-in', origins: ['dc1', 'dc2'], destination: 'reporting', streamPrefix: '{origin}.' },
    ],
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'info', format: 'json' },
    shutdownGraceMs: 5_000,
  });
  const clients = [dc1, dc2].map((s) => EventStoreDBClient.connectionString(s.connectionString));
  let daemon: CliProcess | undefined;
  const stop = new AbortController();
  let writeErrors = 0;
  const samples: SoakSample[] = [];
  try {
    daemon = spawnCli(['run', '--config', config.path]);
    const listening = await daemon.waitForLog(
      (l) => typeof l.url === 'string' && String(l.msg).startsWith('HTTP server listening'),
      30_000,
      'the HTTP server',
    );
    const base = String(listening.url);
    const traffic = new TrafficGenerator({
      sides: [
        { node: 'dc1', client: clients[0]!, streams: Array.from({ length: 20 }, (_, i) => `order-dc1-${i}`) },
        { node: 'dc2', client: clients[1]!, streams: Array.from({ length: 20 }, (_, i) => `payment-dc2-${i}`) },
      ],
      sharedStreams: Array.from({ length: 5 }, (_, i) => `cart-${i}`),
      rate: options.rate,
      sharedEvery: 50,
      clock: systemClock,
      onError: () => {
        writeErrors++;
      },
    });
    const started = Date.now();
    const running = traffic.run(stop.signal);
    log(`soak: ${options.rate} events/s for ${options.minutes} min, sampling every ${options.sampleEveryMs / 1000} s`);
    const end = started + options.minutes * 60_000;
    while (Date.now() < end && !options.signal?.aborted) {
      await delay(Math.min(options.sampleEveryMs, Math.max(0, end - Date.now())), undefined, {
        signal: options.signal,
      }).catch(() => undefined);
      if (options.signal?.aborted) break;
      const sample = await takeSample(base, (Date.now() - started) / 1000, traffic.counts());
      if (sample) {
        samples.push(sample);
        log(
          `${sample.t.toFixed(0)} s: rss ${sample.rssMb.toFixed(1)} MB, heap ${sample.heapUsedMb.toFixed(1)} MB, loop p99 ${sample.eventLoopP99Ms.toFixed(1)} ms, handles ${sample.handles}, lag ${sample.lagEventsMax} events / ${sample.lagSecondsMax.toFixed(2)} s, replicated ${sample.eventsReplicated}`,
        );
      }
    }
    stop.abort();
    await running;
  } finally {
    stop.abort();
    daemon?.kill('SIGTERM');
    await daemon?.exited;
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await Promise.allSettled(servers.map((s) => s.stop()));
    await config.remove();
  }
  const warmUpSeconds = options.warmUpSeconds ?? Math.min(600, Math.max(60, options.minutes * 60 * 0.2));
  const growth = growthOf(samples, warmUpSeconds);
  await mkdir(options.outDir, { recursive: true });
  const files = {
    json: join(options.outDir, 'soak-report.json'),
    csv: join(options.outDir, 'soak-samples.csv'),
    svg: join(options.outDir, 'soak-chart.svg'),
    daemonLog: join(options.outDir, 'daemon.log'),
  };
  // The daemon's own log (JSON lines) beside the samples: why a link fell behind is in its warnings.
  await writeFile(files.daemonLog, daemon?.stdout() ?? '');
  const report: SoakReport = {
    minutes: options.minutes,
    rate: options.rate,
    startedAt: new Date().toISOString(),
    warmUpSeconds,
    samples,
    growth,
    writeErrors,
    files,
  };
  const columns = Object.keys(samples[0] ?? { t: 0 }) as (keyof SoakSample)[];
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(
    files.csv,
    [columns.join(','), ...samples.map((s) => columns.map((c) => s[c]).join(','))].join('\n') + '\n',
  );
  const series = (label: string, unit: string, pick: (s: SoakSample) => number) => ({
    label,
    unit,
    points: samples.map((s) => ({ t: s.t, v: pick(s) })),
  });
  await writeFile(
    files.svg,
    renderChart(`esdb-linker soak: ${options.rate} events/s, ${options.minutes} min (demo topology)`, [
      [series('RSS', 'MB', (s) => s.rssMb), series('heap used', 'MB', (s) => s.heapUsedMb)],
      [series('open handles', 'count', (s) => s.handles)],
      [series('event-loop delay p99', 'ms', (s) => s.eventLoopP99Ms)],
      [series('max link lag', 's', (s) => s.lagSecondsMax)],
    ]),
  );
  return report;
}

async function takeSample(base: string, t: number, counts: Record<string, number>): Promise<SoakSample | undefined> {
  try {
    const [metricsText, status] = await Promise.all([
      fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.text()),
      fetch(`${base}/api/status`, { signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.json() as Promise<{ links: { lagEvents: number; lagSeconds: number; eventsReplicated: number }[] }>,
      ),
    ]);
    const p = 'esdb_linker_';
    return {
      t,
      rssMb: metric(metricsText, `${p}process_resident_memory_bytes`) / 1024 / 1024,
      heapUsedMb: metric(metricsText, `${p}nodejs_heap_size_used_bytes`) / 1024 / 1024,
      eventLoopP99Ms: metric(metricsText, `${p}nodejs_eventloop_lag_p99_seconds`) * 1000,
      handles: metric(metricsText, `${p}nodejs_active_handles_total`),
      lagEventsMax: Math.max(0, ...status.links.map((l) => l.lagEvents)),
      lagSecondsMax: Math.max(0, ...status.links.map((l) => l.lagSeconds)),
      eventsReplicated: status.links.reduce((n, l) => n + l.eventsReplicated, 0),
      eventsWritten: Object.values(counts).reduce((n, c) => n + c, 0),
    };
  } catch {
    return undefined;
  }
}
