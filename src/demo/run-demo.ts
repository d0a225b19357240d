import { EventStoreDBClient } from '@eventstore/db-client';
import { Daemon } from '../daemon/daemon.js';
import { startEmulator } from '../emulator/index.js';
import type { Emulator } from '../emulator/emulator-api.js';
import { createLogger } from '../observability/logger.js';
import type { Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import { redactText } from '../shared/redact.js';
import type { ResolvedConfig } from '../config/config-types.js';
import { compareNodes, type CompareOptions } from '../verify/compare-nodes.js';
import { linkCompareOptions } from '../verify/link-selection.js';
import { checkExactlyOnce } from './exactly-once-check.js';
import { DEMO_NODES, buildDemoConfig } from './demo-config.js';
import { ProgressPrinter, formatProgress } from './progress-view.js';
import { TrafficGenerator } from './traffic-generator.js';

export interface DemoOptions {
  /** Stop by itself after this many seconds; undefined = until the signal. */
  durationSeconds: number | undefined;
  /** Events per second written over dc1 and dc2. */
  rate: number;
  /** HTTP port of the status page (0 = a free port). */
  httpPort: number;
  /** Level of the daemon's own log lines (stderr). */
  logLevel: string;
  out: NodeJS.WritableStream;
  /** Refresh one block in place (terminal) rather than print periodic lines. */
  tty: boolean;
  /** Aborted by SIGINT/SIGTERM: stops everything cleanly. */
  signal: AbortSignal;
  clock: Clock;
  version: string;
}

export type DemoState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

const REFRESH_TTY_MS = 500;
const REFRESH_PLAIN_MS = 2_000;
/** After traffic stops, how long the links get to copy the last events before the final check. */
const SETTLE_MS = 5_000;

/**
 * `esdb-linker demo`: three embedded emulators, traffic on dc1 and dc2, and the real daemon running an
 * active/active pair plus a fan-in into `reporting`, with the status page. Resolves with the exit code.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { out, clock } = options;
  const say = (line = '') => out.write(`${line}\n`);
  let state: DemoState = 'starting';
  const emulators: Emulator[] = [];
  const clients: EventStoreDBClient[] = [];
  let daemon: Daemon | undefined;
  const trafficStop = new AbortController();
  let traffic: Promise<void> | undefined;
  try {
    while (emulators.length < DEMO_NODES.length) {
      emulators.push(await startEmulator({ host: '127.0.0.1', port: 0 }));
      options.signal.throwIfAborted();
    }
    const nodes = DEMO_NODES.map((name, i) => ({ name, connectionString: emulators[i]!.connectionString }));
    const config = buildDemoConfig(nodes, { host: '127.0.0.1', port: options.httpPort });
    daemon = new Daemon({
      config,
      logger: createLogger({ level: options.logLevel, destination: 2 }),
      clock,
      version: options.version,
    });
    await daemon.start();
    options.signal.throwIfAborted();
    state = 'running';

    const url = daemon.httpUrl ?? '(no HTTP server)';
    say('esdb-linker demo: three embedded EventStoreDB-compatible nodes, the real daemon between them');
    say();
    for (const n of nodes) say(`  node ${n.name.padEnd(9)} ${n.connectionString}`);
    say(
      `  links: ${config.links.map((l) => `${l.origin} -> ${l.destination}${l.streamPrefix ? ` (as ${l.streamPrefix}*)` : ''}`).join(', ')}`,
    );
    say();
    say(`  status page  ${url}/`);
    say(`  status API   ${url}/api/status`);
    say(`  metrics      ${url}/metrics`);
    say();
    say('  while it runs, compare the nodes from another terminal:');
    say(
      `    esdb-linker verify --origin "${nodes[0]!.connectionString}" --destination "${nodes[2]!.connectionString}" --stream-prefix dc1. --local-only`,
    );
    say(
      `    esdb-linker verify --origin "${nodes[0]!.connectionString}" --destination "${nodes[1]!.connectionString}"`,
    );
    say('  (reporting takes each event once, from the DC that wrote it: hence --local-only; events still in flight');
    say('   show up as differences; cart-* streams are written on both sides: conflicts)');
    say();
    say(
      `writing ${options.rate} events/s (order-* on dc1, payment-* on dc2, now and then cart-1 on both)` +
        `${options.durationSeconds === undefined ? '; Ctrl-C stops' : `; stopping after ${options.durationSeconds} s`}`,
    );
    say();

    const dc1 = EventStoreDBClient.connectionString(nodes[0]!.connectionString);
    const dc2 = EventStoreDBClient.connectionString(nodes[1]!.connectionString);
    clients.push(dc1, dc2);
    let lastTrafficError = '';
    const generator = new TrafficGenerator({
      sides: [
        { node: 'dc1', client: dc1, streams: ['order-1', 'order-2', 'order-3'] },
        { node: 'dc2', client: dc2, streams: ['payment-1', 'payment-2', 'payment-3'] },
      ],
      sharedStreams: ['cart-1'],
      sharedEvery: 25,
      rate: options.rate,
      clock,
      onError: (node, message) => {
        lastTrafficError = `${node}: ${redactText(message)}`;
      },
    });
    traffic = generator.run(trafficStop.signal);

    const printer = new ProgressPrinter(out, options.tty, REFRESH_PLAIN_MS);
    const startedAt = clock.now();
    const deadline = options.durationSeconds === undefined ? Infinity : startedAt + options.durationSeconds * 1000;
    const show = () => {
      const lines = formatProgress(daemon!.status(), generator.counts(), (clock.now() - startedAt) / 1000);
      if (lastTrafficError) lines.push(`  last write error: ${lastTrafficError}`);
      printer.print(lines, clock.now());
    };
    while (!options.signal.aborted && clock.now() < deadline) {
      const wait = Math.min(options.tty ? REFRESH_TTY_MS : REFRESH_PLAIN_MS / 4, Math.max(0, deadline - clock.now()));
      await clock.sleep(wait, options.signal).catch(() => undefined);
      show();
    }

    state = 'stopping';
    say();
    say(
      options.signal.aborted
        ? 'stopping (signal received): traffic first, then the links drain'
        : 'time is up: stopping traffic, the links drain',
    );
    trafficStop.abort();
    await traffic;
    await settle(daemon, clock);
    printer.detach();
    printer.print(formatProgress(daemon.status(), generator.counts(), (clock.now() - startedAt) / 1000), Infinity);
    await finalCheck(daemon, config, generator.counts(), say);
    return 0;
  } catch (err) {
    if (options.signal.aborted && state === 'starting') {
      say('interrupted while starting');
      return 0;
    }
    state = 'failed';
    process.stderr.write(`esdb-linker demo: ${redactText(errorMessage(err))}\n`);
    return 1;
  } finally {
    trafficStop.abort();
    await traffic?.catch(() => undefined);
    await daemon?.stop();
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await Promise.allSettled(emulators.map((e) => e.stop()));
    if (state !== 'failed') {
      state = 'stopped';
      say('stopped: daemon drained, emulators closed');
    }
  }
}

/** Waits (bounded) until every link has copied what it read, so the final numbers and check are meaningful. */
async function settle(daemon: Daemon, clock: Clock): Promise<void> {
  const until = clock.now() + SETTLE_MS;
  while (clock.now() < until) {
    const links = daemon.status().links;
    if (links.every((l) => l.lagEvents === 0 && l.caughtUp)) return;
    await clock.sleep(200);
  }
}

/**
 * Compares what should be identical after the links drained: each DC and its fan-in copy in `reporting`
 * (the events the fan-in link selects, written on that DC, byte for byte), dc1 and dc2 apart from the
 * conflicting cart-* streams, and that `reporting` holds each event once, under its writer's prefix.
 */
async function finalCheck(
  daemon: Daemon,
  config: ResolvedConfig,
  counts: Record<string, number>,
  say: (line?: string) => void,
): Promise<void> {
  say();
  const fanIn = config.links.filter((l) => l.destination === 'reporting');
  const checks: { label: string; origin: string; destination: string; options: CompareOptions }[] = [
    ...fanIn.map((l) => ({
      label: `${l.origin} vs reporting (${l.streamPrefix}*, events written on ${l.origin})`,
      origin: l.origin,
      destination: l.destination,
      options: linkCompareOptions(l),
    })),
    {
      label: 'dc1 vs dc2 (except cart-*)',
      origin: 'dc1',
      destination: 'dc2',
      options: { excludeStreamPrefixes: ['cart-'] },
    },
  ];
  for (const check of checks) {
    try {
      const result = await compareNodes(daemon.nodeClient(check.origin), daemon.nodeClient(check.destination), {
        ...check.options,
        maxDifferences: 3,
      });
      const summary = `${result.streamsCompared} streams, ${result.eventsCompared} events`;
      if (result.equal) say(`verify ${check.label}: equal (${summary})`);
      else {
        say(`verify ${check.label}: ${result.differences.length} difference(s) (${summary})`);
        for (const d of result.differences) say(`    ${d.stream}: ${d.kind}: ${d.detail}`);
      }
    } catch (err) {
      say(`verify ${check.label}: could not compare: ${redactText(errorMessage(err))}`);
    }
  }
  await sayExactlyOnce(
    daemon,
    fanIn.map((l) => l.streamPrefix),
    counts,
    say,
  );
  const conflicts = daemon.status().links.reduce((n, l) => n + l.conflicts, 0);
  if (conflicts > 0) {
    say(
      `${conflicts} conflict(s) recorded in $conflicts-from-dc1-to-dc2 / $conflicts-from-dc2-to-dc1 (cart-1 was written on both sides)`,
    );
  }
}

async function sayExactlyOnce(
  daemon: Daemon,
  prefixes: string[],
  counts: Record<string, number>,
  say: (line?: string) => void,
): Promise<void> {
  try {
    const once = await checkExactlyOnce(daemon.nodeClient('reporting'), prefixes);
    const written = Object.values(counts).reduce((a, b) => a + b, 0);
    const split = prefixes.map((p) => `${p}* ${once.perPrefix[p] ?? 0}`).join(', ');
    if (once.duplicates.length === 0 && once.misplaced.length === 0 && once.total === written) {
      say(`reporting: each event exactly once: ${once.total} events = ${written} written (${split})`);
    } else {
      say(
        `reporting: NOT each event once: ${once.total} events, ${written} written (${split}); ` +
          `${once.duplicates.length} duplicate(s) ${once.duplicates.slice(0, 3).join(' ')}, ` +
          `${once.misplaced.length} under the wrong prefix ${once.misplaced.slice(0, 3).join(' ')}`,
      );
    }
  } catch (err) {
    say(`reporting: could not count events: ${redactText(errorMessage(err))}`);
  }
}
