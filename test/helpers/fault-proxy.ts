import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { SeededRandom } from './seeded-random.js';

/**
 * A TCP proxy that puts network faults between a client and any server (an emulator, a real node, anything
 * on loopback), switchable while connections are open:
 *
 * - `wedge()`: the connections open now never pass another byte (but stay open); new ones work.
 * - `blackhole()`: bytes in both directions are held, sockets stay open, new connections are accepted but not
 *   forwarded (a partition, or a server that accepts and never answers). `heal()` delivers what was held,
 *   as TCP would once a partition ends.
 * - `reset()`: RST every open connection now; `refuse(true)`: RST every new one (a server that is down).
 * - `setLatency(ms, jitterMs)`, `setBandwidth(bytesPerSecond)`: a slow link; order is always kept.
 * - `corrupt({ dropRate, flipRate })`: each chunk may lose a slice of its bytes or get one byte flipped, in
 *   both directions (a broken middlebox). Seeded, so a run can be repeated.
 * - `setTarget(port)`: where new connections go (a restarted server on another port behind a fixed address).
 *
 * `stop()` closes the listener and destroys every socket it opened or accepted.
 */
export interface FaultProxyOptions {
  /** The server's port (host 127.0.0.1 unless `targetHost`). */
  targetPort: number;
  targetHost?: string;
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  seed?: number;
}

export interface CorruptOptions {
  /** Share of chunks that lose a slice of their bytes. */
  dropRate?: number;
  /** Share of chunks with one byte changed. */
  flipRate?: number;
}

export interface FaultProxyStats {
  accepted: number;
  open: number;
  reset: number;
  refused: number;
  bytesForwarded: number;
  chunksDropped: number;
  chunksFlipped: number;
}

/** Above this many held bytes a direction stops reading its source (so a long partition holds memory bounded). */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const LOW_WATER_BYTES = 1024 * 1024;
/** Bandwidth is applied per slice of this size, so a big chunk does not arrive all at once. */
const SLICE_BYTES = 16 * 1024;

interface Held {
  bytes: Buffer;
  /** Earliest delivery time (ms since epoch). */
  at: number;
}

/** One direction of one connection: a queue of held chunks and a pump that delivers them in order. */
class Direction {
  private readonly queue: Held[] = [];
  private queuedBytes = 0;
  private lastAt = 0;
  private nextFreeAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private waitingDrain = false;
  private sourceEnded = false;

  constructor(
    private readonly proxy: FaultProxy,
    private readonly source: Socket,
    private readonly sink: () => Socket | undefined,
    private readonly signal: AbortSignal,
    private readonly isHeld: () => boolean,
  ) {
    source.on('data', (chunk: Buffer) => this.push(chunk));
    source.on('end', () => {
      this.sourceEnded = true;
      this.pump();
    });
  }

  get held(): number {
    return this.queuedBytes;
  }

  private push(chunk: Buffer): void {
    if (this.signal.aborted) return;
    const bytes = this.proxy.mangle(chunk);
    if (bytes.length === 0) return;
    const now = Date.now();
    const { latencyMs, jitterMs, bytesPerSecond } = this.proxy.conditions;
    for (let offset = 0; offset < bytes.length; offset += SLICE_BYTES) {
      const slice = bytes.subarray(offset, offset + SLICE_BYTES);
      let at = Math.max(now + latencyMs + (jitterMs > 0 ? this.proxy.random.int(jitterMs + 1) : 0), this.lastAt);
      if (bytesPerSecond > 0) {
        at = Math.max(at, this.nextFreeAt);
        this.nextFreeAt = at + (slice.length * 1000) / bytesPerSecond;
      }
      this.lastAt = at;
      this.queue.push({ bytes: slice, at });
      this.queuedBytes += slice.length;
    }
    if (this.queuedBytes > HIGH_WATER_BYTES) this.source.pause();
    this.pump();
  }

  /** Delivers every chunk that is due; reschedules itself for the next one. */
  pump(): void {
    if (this.signal.aborted || this.waitingDrain || this.isHeld()) return;
    const sink = this.sink();
    if (!sink || sink.connecting || sink.destroyed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const wait = head.at - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait);
        return;
      }
      this.queue.shift();
      this.queuedBytes -= head.bytes.length;
      this.proxy.countForwarded(head.bytes.length);
      if (!sink.write(head.bytes)) {
        this.waitingDrain = true;
        sink.once('drain', () => {
          this.waitingDrain = false;
          this.pump();
        });
        return;
      }
    }
    if (this.queuedBytes < LOW_WATER_BYTES && this.source.isPaused()) this.source.resume();
    if (this.sourceEnded && !sink.writableEnded) sink.end();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

class ProxiedConnection {
  upstream: Socket | undefined;
  /** Held forever (until destroyed), whatever the proxy's mode. */
  wedged = false;
  private readonly closed = new AbortController();
  private readonly toServer: Direction;
  /** Created with the upstream socket, whose bytes it carries to the client. */
  private toClient: Direction | undefined;

  constructor(
    private readonly proxy: FaultProxy,
    readonly client: Socket,
  ) {
    client.setNoDelay(true);
    this.toServer = new Direction(
      proxy,
      client,
      () => this.upstream,
      this.closed.signal,
      () => this.isHeld(),
    );
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
  }

  /** Opens the server side (deferred while blackholed: the client's connect succeeded, nothing answers). */
  connectUpstream(): void {
    if (this.upstream || this.closed.signal.aborted) return;
    const { host, port } = this.proxy.target;
    const upstream = connect({ host, port });
    upstream.setNoDelay(true);
    this.upstream = upstream;
    this.toClient = new Direction(
      this.proxy,
      upstream,
      () => this.client,
      this.closed.signal,
      () => this.isHeld(),
    );
    upstream.on('connect', () => this.pump());
    upstream.on('error', () => this.destroy());
    upstream.on('close', () => this.destroy());
  }

  private isHeld(): boolean {
    return this.wedged || this.proxy.blackholed;
  }

  get held(): number {
    return this.toServer.held + (this.toClient?.held ?? 0);
  }

  pump(): void {
    this.toServer.pump();
    this.toClient?.pump();
  }

  /** RST both sides. */
  reset(): void {
    this.closed.abort();
    this.client.resetAndDestroy();
    if (this.upstream && !this.upstream.connecting) this.upstream.resetAndDestroy();
    else this.upstream?.destroy();
    this.finish();
  }

  destroy(): void {
    if (!this.closed.signal.aborted) this.closed.abort();
    this.client.destroy();
    this.upstream?.destroy();
    this.finish();
  }

  private finish(): void {
    this.toServer.stop();
    this.toClient?.stop();
    this.proxy.forget(this);
  }
}

export class FaultProxy {
  readonly random: SeededRandom;
  readonly conditions = { latencyMs: 0, jitterMs: 0, bytesPerSecond: 0 };
  blackholed = false;
  private refusing = false;
  private corruption: Required<CorruptOptions> = { dropRate: 0, flipRate: 0 };
  private readonly connections = new Set<ProxiedConnection>();
  private readonly counters = { accepted: 0, reset: 0, refused: 0, bytesForwarded: 0, dropped: 0, flipped: 0 };
  private targetHost: string;
  private targetPort: number;
  private stopped = false;
  private listenPort = 0;

  private constructor(
    private readonly server: Server,
    options: FaultProxyOptions,
  ) {
    this.targetHost = options.targetHost ?? '127.0.0.1';
    this.targetPort = options.targetPort;
    this.random = new SeededRandom(options.seed ?? 1);
    server.on('connection', (socket) => this.accept(socket));
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer({ noDelay: true });
    const proxy = new FaultProxy(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        proxy.listenPort = (server.address() as AddressInfo).port;
        resolve();
      });
    });
    return proxy;
  }

  /** The listening port (kept after `stop()`, for error messages). */
  get port(): number {
    return this.listenPort;
  }

  get target(): { host: string; port: number } {
    return { host: this.targetHost, port: this.targetPort };
  }

  /** An insecure esdb:// connection string through the proxy, with optional extra query settings. */
  connectionString(query: Record<string, string | number> = {}): string {
    const params = new URLSearchParams({
      tls: 'false',
      ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, `${v}`])),
    });
    return `esdb://127.0.0.1:${this.port}?${params.toString()}`;
  }

  get stats(): FaultProxyStats {
    return {
      accepted: this.counters.accepted,
      open: this.connections.size,
      reset: this.counters.reset,
      refused: this.counters.refused,
      bytesForwarded: this.counters.bytesForwarded,
      chunksDropped: this.counters.dropped,
      chunksFlipped: this.counters.flipped,
    };
  }

  /** Bytes held in the proxy (partition, latency, bandwidth) not yet delivered. */
  get heldBytes(): number {
    let n = 0;
    for (const c of this.connections) n += c.held;
    return n;
  }

  setTarget(port: number, host = this.targetHost): void {
    this.targetPort = port;
    this.targetHost = host;
  }

  blackhole(): void {
    this.blackholed = true;
  }

  /**
   * The connections open now stop passing bytes for good (they stay open, nothing is delivered, nothing is
   * closed), while new connections work: a connection that died silently (lost NAT or conntrack state, a
   * middlebox that dropped its flow) under a client that keeps using it. Returns how many were wedged.
   */
  wedge(): number {
    for (const c of this.connections) c.wedged = true;
    return this.connections.size;
  }

  /** Back to passing bytes (held bytes are delivered); latency, bandwidth and corruption settings stay. */
  heal(): void {
    this.blackholed = false;
    for (const c of [...this.connections]) {
      c.connectUpstream();
      c.pump();
    }
  }

  /** Clears every fault: pass-through, no latency, no bandwidth cap, no corruption, no refusal. */
  clear(): void {
    this.conditions.latencyMs = 0;
    this.conditions.jitterMs = 0;
    this.conditions.bytesPerSecond = 0;
    this.corruption = { dropRate: 0, flipRate: 0 };
    this.refusing = false;
    this.heal();
  }

  /** RSTs every open connection. */
  reset(): number {
    const open = [...this.connections];
    for (const c of open) c.reset();
    this.counters.reset += open.length;
    return open.length;
  }

  /** While on, every new connection is RST at once. */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  setLatency(ms: number, jitterMs = 0): void {
    if (!(ms >= 0) || !(jitterMs >= 0)) throw new RangeError(`latency and jitter must be >= 0, got ${ms}, ${jitterMs}`);
    this.conditions.latencyMs = ms;
    this.conditions.jitterMs = jitterMs;
  }

  /** 0 removes the cap. Applies to each direction of each connection. */
  setBandwidth(bytesPerSecond: number): void {
    if (!(bytesPerSecond >= 0)) throw new RangeError(`bandwidth must be >= 0, got ${bytesPerSecond}`);
    this.conditions.bytesPerSecond = bytesPerSecond;
  }

  corrupt(options: CorruptOptions): void {
    const dropRate = options.dropRate ?? 0;
    const flipRate = options.flipRate ?? 0;
    if (!(dropRate >= 0 && dropRate <= 1 && flipRate >= 0 && flipRate <= 1))
      throw new RangeError(`corruption rates must be from 0 to 1, got drop ${dropRate}, flip ${flipRate}`);
    this.corruption = { dropRate, flipRate };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of [...this.connections]) c.destroy();
    await closed;
  }

  // ---- used by the connections ----

  /** Applies the corruption settings to one chunk (may return it unchanged, shortened, or empty). */
  mangle(chunk: Buffer): Buffer {
    const { dropRate, flipRate } = this.corruption;
    let out = chunk;
    if (dropRate > 0 && this.random.chance(dropRate)) {
      const start = this.random.int(out.length);
      const length = 1 + this.random.int(out.length - start);
      out = Buffer.concat([out.subarray(0, start), out.subarray(start + length)]);
      this.counters.dropped++;
    }
    if (flipRate > 0 && out.length > 0 && this.random.chance(flipRate)) {
      out = Buffer.from(out);
      const at = this.random.int(out.length);
      out[at] = out[at]! ^ (1 + this.random.int(255));
      this.counters.flipped++;
    }
    return out;
  }

  countForwarded(n: number): void {
    this.counters.bytesForwarded += n;
  }

  forget(connection: ProxiedConnection): void {
    this.connections.delete(connection);
  }

  private accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    if (this.refusing) {
      this.counters.refused++;
      socket.on('error', () => {});
      socket.resetAndDestroy();
      return;
    }
    this.counters.accepted++;
    const connection = new ProxiedConnection(this, socket);
    this.connections.add(connection);
    if (!this.blackholed) connection.connectUpstream();
  }
}
