import type { EventStoreDBClient, Position } from '@eventstore/db-client';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { installRawBytes } from '../client/raw-bytes.js';
import { connectionUser } from '../config/connection-string.js';
import type { ResolvedConfig } from '../config/config-types.js';
import type { StopReason } from '../coordination/cluster-member.js';
import { ClusterRuntime } from '../coordination/cluster-runtime.js';
import type { LinkMetrics } from '../link/link-metrics.js';
import type { ResolvedLinkOptions } from '../link/link-options.js';
import type { LinkStatus } from '../link/link-status.js';
import { LinkerService } from '../link/linker-service.js';
import { startHttpServer } from '../observability/http-server.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import type { DaemonStatus } from '../observability/status-types.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { errorMessage, isLinkerError, LinkerError } from '../shared/errors.js';
import { redactText } from '../shared/redact.js';
import { CheckpointTool } from '../tools/checkpoint-tool.js';
import {
  DAEMON_CLEANUP_FAILED,
  DAEMON_DRAIN_TIMEOUT,
  DAEMON_HTTP_LISTEN_FAILED,
  DAEMON_LINK_FAILED,
  DAEMON_LINK_START_FAILED,
  DAEMON_NOT_RUNNING,
  DAEMON_UNKNOWN_LINK,
} from './daemon-errors.js';
import { NodeClients, type ClientFactory } from './node-clients.js';
import { RecentErrors } from './recent-errors.js';

/**
 * `idle` (constructed) -> `starting` -> `running` -> `draining` -> `stopped`; `failed` when start-up
 * itself failed (the HTTP port is taken). A link that fails does not fail the daemon: see `onLinkFailure`.
 */
export type DaemonState = 'idle' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

/** What the daemon needs from a link; `LinkerService` is the implementation. */
export interface ManagedLink {
  start(): Promise<void>;
  stop(options?: { graceMs?: number }): Promise<void>;
  status(): LinkStatus;
  waitForPosition(position: { commit: bigint; prepare: bigint }, signal?: AbortSignal): Promise<void>;
  readonly done: Promise<void>;
}

export interface LinkFactoryInput {
  options: ResolvedLinkOptions;
  origin: { name: string; client: EventStoreDBClient; connectionString?: string };
  destination: { name: string; client: EventStoreDBClient; connectionString?: string };
  logger: Logger;
  metrics: LinkMetrics;
  clock: Clock;
  /** Cluster mode: the lease guard before a conflict record. */
  beforeConflictRecord?: () => Promise<{ epoch: number } | null>;
}

export type LinkFactory = (input: LinkFactoryInput) => ManagedLink;

export const defaultLinkFactory: LinkFactory = (input) => new LinkerService(input);

export interface DaemonOptions {
  config: ResolvedConfig;
  logger: Logger;
  /** @defaultValue systemClock */
  clock?: Clock;
  /** Registry the link and process metrics go to. @defaultValue a new Registry */
  registry?: Registry;
  /** Also collect Node.js process metrics. @defaultValue true */
  collectDefaultMetrics?: boolean;
  /** Reported in status. @defaultValue '0.0.0' */
  version?: string;
  clientFactory?: ClientFactory;
  linkFactory?: LinkFactory;
  /** How often links are polled for failures and new errors. @defaultValue 1000 */
  monitorIntervalMs?: number;
}

export interface LinkFailure {
  link: string;
  code: string;
  message: string;
}

interface LinkEntry {
  options: ResolvedLinkOptions;
  service: ManagedLink;
  logger: Logger;
  /** Settles when the link's start() settled; never rejects. */
  started: Promise<boolean>;
  failure: LinkFailure | null;
  /** A retry episode was already reported (cleared when the link stops retrying). */
  retryNoted: boolean;
}

/** Extra time a link gets past the grace period before the daemon stops waiting for it. */
const STOP_MARGIN_MS = 2_000;

/**
 * Runs every link of a config in one process.
 *
 * - One client per node, one `LinkerService` per link (child logger `{ link }`, metrics labelled by link).
 * - A link that fails (a conflict halt, a non-transient error) is logged, listed in `recentErrors`, makes
 *   the daemon not ready and fires `onLinkFailure`; the other links keep running. Whether the process
 *   exits is the caller's decision (`run` exits when every link failed, or at once with
 *   `--until-caught-up`).
 * - Unreachable nodes are not fatal: links retry with capped backoff and show it in status (`retrying`,
 *   `lastError`); readiness stays false until they run.
 * - `stop()` is idempotent: links drain in parallel within `shutdownGraceMs`, then the HTTP server and the
 *   clients close; every step runs even when an earlier one failed.
 */
export class Daemon {
  private stateValue: DaemonState = 'idle';
  private readonly config: ResolvedConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly version: string;
  private readonly metrics: Metrics;
  private readonly clientFactory: ClientFactory | undefined;
  private readonly linkFactory: LinkFactory;
  private readonly monitorIntervalMs: number;
  private readonly recentErrors = new RecentErrors();
  private readonly failureListeners = new Set<(failure: LinkFailure) => void>();
  private readonly monitorAbort = new AbortController();
  private clients: NodeClients | undefined;
  private links: LinkEntry[] = [];
  private http: { url: string; port: number; close(): Promise<void> } | undefined;
  private startedAt = new Date();
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<StopReport> | undefined;
  private monitorDone: Promise<void> | undefined;
  /** Cluster mode: runs only the links this process holds leases for (see src/coordination). */
  private cluster: ClusterRuntime | undefined;

  constructor(options: DaemonOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.version = options.version ?? '0.0.0';
    this.clientFactory = options.clientFactory;
    this.linkFactory = options.linkFactory ?? defaultLinkFactory;
    this.monitorIntervalMs = options.monitorIntervalMs ?? 1_000;
    this.metrics = createMetrics({
      ...(options.registry ? { registry: options.registry } : {}),
      collectDefault: options.collectDefaultMetrics ?? true,
    });
    this.metrics.setStatusSource(() => this.status());
  }

  get state(): DaemonState {
    return this.stateValue;
  }

  get registry(): Registry {
    return this.metrics.registry;
  }

  /** The URL of the HTTP server once it listens. */
  get httpUrl(): string | undefined {
    return this.http?.url;
  }

  /** The shared client of a node, for callers that read before links start (`--until-caught-up`). */
  nodeClient(name: string): EventStoreDBClient {
    return this.ensureClients().get(name);
  }

  redactedNode(name: string): string {
    return this.ensureClients().redacted(name);
  }

  linkNames(): string[] {
    return this.config.links.map((l) => l.name);
  }

  linkOptions(name: string): ResolvedLinkOptions {
    const link = this.config.links.find((l) => l.name === name);
    if (!link) throw new LinkerError(DAEMON_UNKNOWN_LINK, `no link named "${name}" in the config`);
    return link;
  }

  /** Called once per failed link, in failure order. Returns an unsubscribe function. */
  onLinkFailure(listener: (failure: LinkFailure) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  failures(): LinkFailure[] {
    return this.links.flatMap((l) => (l.failure ? [{ ...l.failure }] : []));
  }

  /**
   * Opens the HTTP server (when configured) and starts every link. Resolves once the links were asked
   * to start: a link that cannot reach its nodes keeps retrying in the background, visible in status.
   * Rejects (state `failed`, everything cleaned up) only when the daemon itself cannot run.
   */
  start(): Promise<void> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    if (this.stateValue !== 'idle')
      throw new LinkerError(DAEMON_NOT_RUNNING, `cannot start a ${this.stateValue} daemon`);
    this.setState('starting');
    this.startedAt = new Date(this.clock.now());
    installRawBytes();
    const clients = this.ensureClients();
    for (const node of clients.describe())
      this.logger.info({ node: node.name, connectionString: node.connectionString }, 'node configured');

    // In cluster mode links start as their leases are taken (startClusterLink).
    this.links = this.config.cluster ? [] : this.config.links.map((options) => this.createLink(options, clients));

    if (this.config.http) {
      try {
        this.http = await startHttpServer({
          host: this.config.http.host,
          port: this.config.http.port,
          token: this.config.http.token,
          registry: this.metrics.registry,
          getStatus: () => this.status(),
          logger: this.logger.child({ component: 'http' }),
        });
        this.logger.info({ url: this.http.url }, `HTTP server listening on ${this.http.url}`);
      } catch (err) {
        const error = new LinkerError(
          DAEMON_HTTP_LISTEN_FAILED,
          `cannot listen on ${this.config.http.host}:${this.config.http.port}: ${errorMessage(err)}`,
          { cause: err },
        );
        this.setState('failed');
        await this.cleanup();
        throw error;
      }
    }

    for (const link of this.links) {
      link.started = this.startLink(link);
      this.watchDone(link);
    }
    this.monitorDone = this.monitor(this.monitorAbort.signal);
    this.setState('running');
    if (this.config.cluster) {
      this.cluster = new ClusterRuntime({
        settings: this.config.cluster,
        links: this.config.links,
        runner: {
          start: (name) => this.startClusterLink(name),
          stop: (name, reason) => this.stopClusterLink(name, reason),
          setCheckpoint: (name, position) => this.setClusterCheckpoint(name, position),
          status: (name) => this.linkStatus(name),
        },
        logger: this.logger,
        nodeClient: (name) => clients.get(name),
        url: () => this.http?.url ?? null,
        now: () => this.clock.now(),
      });
      this.cluster.start();
    }
  }

  private async startClusterLink(name: string): Promise<void> {
    if (this.stateValue !== 'running' || this.links.some((l) => l.options.name === name)) return;
    const link = this.createLink(this.linkOptions(name), this.ensureClients(), this.cluster?.guard(name));
    this.links.push(link);
    link.started = this.startLink(link);
    this.watchDone(link);
  }

  /** Drains and checkpoints when handing over; stops at once when the lease is lost. */
  private async stopClusterLink(name: string, reason: StopReason): Promise<void> {
    const link = this.links.find((l) => l.options.name === name);
    if (!link) return;
    const graceMs = reason === 'lost' || reason === 'fenced' ? 0 : this.config.shutdownGraceMs;
    link.logger.info({ reason }, `stopping link ${name} (${reason})`);
    await this.stopLink(link, graceMs);
    this.links = this.links.filter((l) => l !== link);
  }

  /** An operator's checkpoint, written by this owner while the link is stopped; answers what it replaced. */
  private async setClusterCheckpoint(name: string, position: Position): Promise<string> {
    const options = this.linkOptions(name);
    const client = this.ensureClients().get(options.destination);
    const tool = new CheckpointTool(client, name, options.destination, this.clock);
    return (await tool.replace(position)).was;
  }

  private ensureClients(): NodeClients {
    this.clients ??= new NodeClients(this.config.nodes, this.clientFactory);
    return this.clients;
  }

  /** The user a node's connection string authenticates as (never the password); undefined: none. */
  nodeUser(name: string): string | undefined {
    const cs = this.nodeConnectionString(name);
    return cs === undefined ? undefined : connectionUser(cs);
  }

  private nodeConnectionString(name: string): string | undefined {
    return this.config.nodes.find((n) => n.name === name)?.connectionString;
  }

  private createLink(
    options: ResolvedLinkOptions,
    clients: NodeClients,
    beforeConflictRecord?: () => Promise<{ epoch: number } | null>,
  ): LinkEntry {
    const logger = this.logger.child({ link: options.name });
    const service = this.linkFactory({
      options,
      origin: {
        name: options.origin,
        client: clients.get(options.origin),
        connectionString: this.nodeConnectionString(options.origin),
      },
      destination: {
        name: options.destination,
        client: clients.get(options.destination),
        connectionString: this.nodeConnectionString(options.destination),
      },
      // LinkerService binds `{ link }` itself; handing it our child would print the key twice.
      logger: this.logger,
      metrics: this.metrics.forLink({ link: options.name, origin: options.origin, destination: options.destination }),
      clock: this.clock,
      ...(beforeConflictRecord ? { beforeConflictRecord } : {}),
    });
    return { options, service, logger, started: Promise.resolve(false), failure: null, retryNoted: false };
  }

  private async startLink(link: LinkEntry): Promise<boolean> {
    try {
      await link.service.start();
      // start() also returns when stop() interrupted it (a node was unreachable the whole time).
      if (this.stateValue !== 'running' && this.stateValue !== 'starting') return false;
      link.logger.info(
        { origin: link.options.origin, destination: link.options.destination },
        `link started: ${link.options.origin} -> ${link.options.destination}`,
      );
      return true;
    } catch (err) {
      if (this.stateValue === 'draining' || this.stateValue === 'stopped') return false;
      this.linkFailed(link, err, DAEMON_LINK_START_FAILED);
      return false;
    }
  }

  private watchDone(link: LinkEntry): void {
    link.service.done.then(
      () => {
        if (this.safeStatus(link)?.state === 'failed') this.linkFailed(link, undefined, DAEMON_LINK_FAILED);
      },
      (err: unknown) => {
        if (this.stateValue === 'draining' || this.stateValue === 'stopped') return;
        this.linkFailed(link, err, DAEMON_LINK_FAILED);
      },
    );
  }

  /** Polls links: records new errors and notices failures `done` did not report (links log their own state changes). */
  private async monitor(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      for (const link of this.links) {
        const status = this.safeStatus(link);
        if (!status) continue;
        if (status.lastError) this.recentErrors.add({ link: link.options.name, ...status.lastError });
        if (status.retrying && !link.retryNoted) {
          // The link logs each retry; this names the nodes (redacted) once per episode, which the link cannot.
          link.retryNoted = true;
          link.logger.warn(
            {
              code: status.lastError?.code,
              origin: link.options.origin,
              originAddress: this.clients?.redacted(link.options.origin),
              destination: link.options.destination,
              destinationAddress: this.clients?.redacted(link.options.destination),
            },
            `link ${link.options.name} is retrying (origin ${link.options.origin} at ${this.clients?.redacted(link.options.origin)}, ` +
              `destination ${link.options.destination} at ${this.clients?.redacted(link.options.destination)}): ` +
              `${status.lastError ? redactText(status.lastError.message) : 'transient error'}; it keeps retrying with backoff`,
          );
        } else if (!status.retrying && link.retryNoted) {
          link.retryNoted = false;
          link.logger.info('link recovered: no longer retrying');
        }
        if (status.state === 'failed' && this.stateValue === 'running')
          this.linkFailed(link, undefined, DAEMON_LINK_FAILED);
      }
      try {
        await this.clock.sleep(this.monitorIntervalMs, signal);
      } catch {
        return;
      }
    }
  }

  private linkFailed(link: LinkEntry, err: unknown, fallbackCode: string): void {
    if (link.failure) return;
    const status = this.safeStatus(link);
    const fromStatus = status?.lastError ?? null;
    const code = isLinkerError(err) ? err.code : (fromStatus?.code ?? fallbackCode);
    const message = redactText(err !== undefined ? errorMessage(err) : (fromStatus?.message ?? 'the link failed'));
    if (this.cluster && code === 'ESDBL_CLUSTER_LEASE_LOST') {
      // Not a failure of the link: its lease could not be confirmed. It starts again from its checkpoint.
      link.logger.warn({ code }, message);
      this.cluster.member.restartLink(link.options.name);
      return;
    }
    link.failure = { link: link.options.name, code, message };
    this.recentErrors.add({ link: link.options.name, code, message, at: new Date(this.clock.now()).toISOString() });
    link.logger.error(
      { code, origin: link.options.origin, destination: link.options.destination },
      `link failed and stopped (other links keep running): ${message}`,
    );
    for (const listener of this.failureListeners) {
      try {
        listener({ ...link.failure });
      } catch (listenerError) {
        this.logger.error({ err: listenerError }, 'a link failure listener threw');
      }
    }
  }

  private safeStatus(link: LinkEntry): LinkStatus | undefined {
    try {
      return link.service.status();
    } catch (err) {
      link.logger.debug({ err }, 'link status unavailable');
      return undefined;
    }
  }

  /** Resolves once the link has copied everything up to `position` of its origin's `$all`. */
  async waitForLink(name: string, position: { commit: bigint; prepare: bigint }, signal?: AbortSignal): Promise<void> {
    const link = this.links.find((l) => l.options.name === name);
    if (!link) throw new LinkerError(DAEMON_UNKNOWN_LINK, `no running link named "${name}"`);
    const started = await link.started;
    if (!started) {
      throw new LinkerError(
        DAEMON_LINK_FAILED,
        `link "${name}" did not start${link.failure ? `: ${link.failure.message}` : ''}`,
      );
    }
    await link.service.waitForPosition(position, signal);
  }

  linkStatus(name: string): LinkStatus | undefined {
    const link = this.links.find((l) => l.options.name === name);
    return link ? this.safeStatus(link) : undefined;
  }

  status(): DaemonStatus {
    const links: LinkStatus[] = [];
    for (const link of this.links) {
      const s = this.safeStatus(link);
      if (s) links.push(link.failure && s.state !== 'failed' ? { ...s, state: 'failed' } : s);
    }
    const localReady = links.every((l) => l.state === 'running' && !l.stalled);
    const base = {
      version: this.version,
      startedAt: this.startedAt.toISOString(),
      nodes: this.clients?.describe() ?? [],
      recentErrors: this.recentErrors.list(),
    };
    if (this.cluster) {
      // A member holding no link is ready (the others run them); one cut off from the coordinator is not.
      const view = this.cluster.status((name) => links.find((l) => l.name === name));
      const ready = this.stateValue === 'running' && localReady && this.cluster.readiness().ready;
      return { ...base, ready, links: view.links, cluster: view.cluster };
    }
    const ready = this.stateValue === 'running' && links.length === this.links.length && links.length > 0 && localReady;
    return { ...base, ready, links };
  }

  /** Drains and closes everything; safe to call many times and before `start()` finished. */
  stop(): Promise<StopReport> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<StopReport> {
    if (this.startPromise) await this.startPromise.catch(() => undefined);
    if (this.stateValue === 'failed' || this.stateValue === 'idle') {
      // Start-up failed (and cleaned up) or never ran: only what was created needs closing.
      if (this.stateValue === 'idle') await this.cleanup();
      this.setState(this.stateValue === 'failed' ? 'failed' : 'stopped');
      return { drainTimedOut: [], cleanupFailures: 0 };
    }
    this.setState('draining');
    const graceMs = this.config.shutdownGraceMs;
    this.logger.info(
      { graceMs, links: this.links.length },
      'draining: finishing in-flight appends and writing checkpoints',
    );
    const drainTimedOut: string[] = [];
    let cleanupFailures = 0;
    // Cluster mode: every held link drains and checkpoints, then its lease is released for a successor.
    await this.cluster?.stop();
    await Promise.all(
      this.links.map(async (link) => {
        const outcome = await this.stopLink(link, graceMs);
        if (outcome === 'timeout') drainTimedOut.push(link.options.name);
        if (outcome === 'error') cleanupFailures++;
      }),
    );
    cleanupFailures += await this.cleanup();
    this.setState('stopped');
    this.logger.info({ drainTimedOut, cleanupFailures }, 'stopped');
    return { drainTimedOut, cleanupFailures };
  }

  private async stopLink(link: LinkEntry, graceMs: number): Promise<'ok' | 'timeout' | 'error'> {
    const timer = new AbortController();
    try {
      const stopped = link.service.stop({ graceMs }).then(
        () => 'ok' as const,
        (err: unknown) => {
          link.logger.error({ err, code: DAEMON_CLEANUP_FAILED }, `link stop failed: ${errorMessage(err)}`);
          return 'error' as const;
        },
      );
      const timedOut = this.clock.sleep(graceMs + STOP_MARGIN_MS, timer.signal).then(
        () => 'timeout' as const,
        () => 'ok' as const,
      );
      const outcome = await Promise.race([stopped, timedOut]);
      if (outcome === 'timeout') {
        link.logger.error(
          { code: DAEMON_DRAIN_TIMEOUT, graceMs },
          `link did not drain within ${graceMs} ms; in-flight events will be replayed (idempotently) after restart`,
        );
      }
      return outcome;
    } finally {
      timer.abort();
    }
  }

  /** Stops the monitor, closes HTTP and disposes the clients; returns the number of failed steps. */
  private async cleanup(): Promise<number> {
    let failures = 0;
    this.monitorAbort.abort();
    await this.monitorDone;
    if (this.http) {
      try {
        await this.http.close();
      } catch (err) {
        failures++;
        this.logger.error({ err, code: DAEMON_CLEANUP_FAILED }, `closing the HTTP server failed: ${errorMessage(err)}`);
      }
      this.http = undefined;
    }
    if (this.clients) {
      for (const f of await this.clients.disposeAll()) {
        failures++;
        this.logger.error(
          { err: f.error, node: f.node, code: DAEMON_CLEANUP_FAILED },
          `closing the client of node ${f.node} failed`,
        );
      }
    }
    return failures;
  }

  private setState(state: DaemonState): void {
    if (state === this.stateValue) return;
    this.logger.debug({ from: this.stateValue, to: state }, `daemon ${state}`);
    this.stateValue = state;
  }
}

export interface StopReport {
  /** Links that did not finish draining within the grace period. */
  drainTimedOut: string[];
  /** Cleanup steps that failed (all were attempted). */
  cleanupFailures: number;
}
