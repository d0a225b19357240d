import { type EventStoreDBClient, type Position } from '@eventstore/db-client';
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { RawAppender } from '../client/raw-appender.js';
import { streamsRpcOf } from '../client/wire/streams-rpc.js';
import { installRawBytes } from '../client/raw-bytes.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { LinkerError, errorMessage, isLinkerError } from '../shared/errors.js';
import { redactText } from '../shared/redact.js';
import { accessFailure, accessNode, isAccessDenied, tagAccessAttempt } from './recovery/access-errors.js';
import { Backoff } from './recovery/backoff.js';
import { LinkErrorLog } from './recovery/link-error-log.js';
import { BatchTuner, type TunerDecision } from './write/batch-tuner.js';
import { CheckpointLoop } from './checkpoint/checkpoint-loop.js';
import { CheckpointStore } from './checkpoint/checkpoint-store.js';
import { ConflictHandler } from './write/conflict-handler.js';
import { DestinationReader } from './write/destination-reader.js';
import { compileFilter, type CompiledFilter } from './filter/event-filter.js';
import { EventRouter } from './route/event-router.js';
import { LaneRouter } from './route/lane-router.js';
import { LinkLifecycle } from './link-lifecycle.js';
import { noopLinkMetrics, type LinkMetrics } from './link-metrics.js';
import type { ResolvedLinkOptions } from './link-options.js';
import type { LinkPhase, LinkState, LinkStatus } from './link-status.js';
import { originEventOf, type OriginEventFields } from './read/origin-event.js';
import { OriginStreamReads } from './read/origin-stream-reads.js';
import { PositionProbe } from './read/position-probe.js';
import { placeReader, type ReaderPlacement } from './read/reader-placement.js';
import { ReadWatchdog } from './read/read-watchdog.js';
import { comparePositions, positionView } from './checkpoint/position.js';
import { PositionWaiters } from './checkpoint/position-waiters.js';
import { RateWindow } from './rate-window.js';
import { withRetry, withTimeout } from './recovery/retry.js';
import { StallDetector } from './stall-detector.js';
import { StreamOffsets } from './write/stream-offsets.js';
import { StreamWriter, type WriteResult } from './write/stream-writer.js';
import { SubscriptionReader, type OriginReader } from './read/subscription-reader.js';
import { WorkerSubscriptionReader } from './read/worker-subscription-reader.js';
import { WatermarkTracker } from './checkpoint/watermark-tracker.js';
import type { WorkItem } from './route/work-item.js';

export interface LinkerServiceOptions {
  options: ResolvedLinkOptions;
  /**
   * With `connectionString`, the origin subscription has a client (and connection) of its own, on this
   * thread or on a worker thread that decodes the stream on a second core (`options.readerThread`, see
   * `placeReader`). Without it, the link reads through `client` on this thread.
   */
  origin: { name: string; client: EventStoreDBClient; connectionString?: string };
  /**
   * `credentials` (optional): the destination's user, passed on every write. Ignored on insecure
   * connections. Appends go through the link's own `RawAppender` (BatchAppend when the server has it,
   * with a pending map per stream, unlike the stock client's process-wide one).
   */
  destination: {
    name: string;
    client: EventStoreDBClient;
    credentials?: { username: string; password: string };
    /** Only read for the user name that access errors show. */
    connectionString?: string;
  };
  logger: Logger;
  metrics?: LinkMetrics;
  clock?: Clock;
  /** Cluster mode: the lease guard before a conflict record (see ConflictHandlerDeps). */
  beforeConflictRecord?: () => Promise<{ epoch: number } | null>;
}

/** Grace for in-flight appends when `stop()` is called without one. */
const DEFAULT_GRACE_MS = 10_000;
/** Appends with no answer for this long are retried (BatchAppend has no client deadline). */
const MIN_APPEND_TIMEOUT_MS = 10_000;
/** The read watchdog asks the origin after this much silence at least (an idle origin is silent too). */
const MIN_READ_SILENCE_MS = 5_000;
/** The read watchdog's question to the origin gets at least this long to be answered. */
const MIN_PROBE_TIMEOUT_MS = 5_000;
/** Reading resumes when the buffer is back under this share of its bounds (avoids pause/resume churn). */
const RESUME_RATIO = 0.8;
/** During catch-up, lanes with less than a full batch wait while the buffer is under this share (LaneRouter). */
const HOLD_RATIO = 0.5;

/**
 * One link: copies the origin's `$all` into the destination (see docs/replication.md).
 *
 * subscription -> EventRouter (filters, loop prevention, annotations) -> WatermarkTracker ticket ->
 * LaneRouter (per-stream lanes, p-queue) -> StreamWriter (batched appends, WEV resolution, conflicts) ->
 * ack -> CheckpointStore (low watermark, on an interval, on going live, on stop).
 */
export class LinkerService {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (err: unknown) => void;

  private readonly options: ResolvedLinkOptions;
  private readonly origin: LinkerServiceOptions['origin'];
  private readonly destination: LinkerServiceOptions['destination'];
  private readonly log: Logger;
  private readonly metrics: LinkMetrics;
  private readonly clock: Clock;
  private readonly lifecycle: LinkLifecycle;
  private readonly filter: CompiledFilter;
  private readonly eventRouter: EventRouter;
  private readonly tuner: BatchTuner;
  private readonly checkpoints: CheckpointStore;
  /** Every append of this link goes through it; closed when the link ends (see `RawAppender.close`). */
  private readonly appender: RawAppender;
  private readonly checkpointLoop: CheckpointLoop;
  private readonly errors: LinkErrorLog;
  private readonly offsets = new StreamOffsets();
  private readonly reader: OriginReader;
  private readonly readerPlacement: ReaderPlacement;
  private readonly lanes: LaneRouter;
  private readonly writer: StreamWriter;
  private readonly rate: RateWindow;
  private readonly stall: StallDetector;
  private readonly probe: PositionProbe;
  private readonly readWatchdog: ReadWatchdog;
  private readonly originStreams: OriginStreamReads;
  /** How long an append or a read besides the subscription may go unanswered before it is retried on a new connection. */
  private readonly callTimeoutMs: number;
  /** Aborts the current subscription only (the read watchdog found it silent); the reader loop resubscribes. */
  private readRun: AbortController | undefined;

  /** Aborts everything: reads and writes (failure, or stop after the grace period). */
  private readonly work = new AbortController();
  /** Stops reading only (stop, failure). */
  private readonly reading = new AbortController();
  private watermark = new WatermarkTracker(null);
  private phase: LinkPhase = 'catch-up';
  private caughtUp = false;
  private lastRead: Position | null = null;
  private eventsReplicated = 0;
  private bytesReplicated = 0;
  private eventsSkipped = 0;
  private conflicts = 0;
  private startedAt: string | null = null;
  private stopPromise: Promise<void> | undefined;
  private failedWith: LinkerError | undefined;
  private readonly background: Promise<void>[] = [];
  private readonly waiters = new PositionWaiters();

  constructor(opts: LinkerServiceOptions) {
    this.options = opts.options;
    this.callTimeoutMs = Math.max(MIN_APPEND_TIMEOUT_MS, this.options.stallTimeoutMs * 2);
    this.origin = opts.origin;
    this.destination = opts.destination;
    this.log = opts.logger.child({ link: opts.options.name });
    this.metrics = opts.metrics ?? noopLinkMetrics;
    this.clock = opts.clock ?? systemClock;
    this.errors = new LinkErrorLog({
      clock: this.clock,
      retry: this.options.retry,
      metrics: this.metrics,
      log: this.log,
    });
    // Every lane may wait on this signal at once (a retry sleep each while the destination is down), and
    // the checkpoint loop and reader too: above Node's default of 10 that printed a false leak warning.
    setMaxListeners(this.options.lanes + 16, this.work.signal);
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Callers that only poll status() must not crash the process with an unhandled rejection.
    this.done.catch(() => {});
    this.lifecycle = new LinkLifecycle((state) => {
      this.metrics.state(state);
      this.log.info({ state }, `link ${state}`);
    });
    this.filter = compileFilter(this.options.filter, this.options.replicateTombstones, this.options.origin);
    this.eventRouter = new EventRouter(this.options, this.filter);
    this.tuner = new BatchTuner(this.options.batch);
    const writeOptions = this.destination.credentials ? { credentials: this.destination.credentials } : {};
    // Every append of this link (events, conflict records, checkpoints) goes through one appender.
    this.appender = new RawAppender(this.destination.client, {
      ...writeOptions,
      onChannelReplaced: (reason) =>
        this.log.warn(
          { node: this.destination.name, reason },
          `destination ${this.destination.name} did not answer: replacing its connection (${reason})`,
        ),
    });
    const appender = this.appender;
    this.checkpoints = new CheckpointStore(
      this.destination.client,
      this.options.name,
      () => this.clock.now(),
      appender,
      this.callTimeoutMs,
    );
    this.checkpointLoop = new CheckpointLoop({
      store: this.checkpoints,
      watermark: () => this.watermark.watermark,
      clock: this.clock,
      intervalMs: this.options.checkpointIntervalMs,
      maxDelayMs: this.options.retry.maxDelayMs,
      hooks: () => this.errors.hooks(),
      metrics: this.metrics,
      log: this.log,
      fail: (err) => this.fail(err),
      recordError: (err) => this.errors.record(err),
    });
    this.readerPlacement = placeReader(this.options.readerThread, this.origin.connectionString);
    const own = this.origin.connectionString;
    this.reader =
      own === undefined
        ? new SubscriptionReader(this.origin.client, this.filter.serverStreamRegex)
        : this.readerPlacement.thread === 'worker'
          ? new WorkerSubscriptionReader(own, this.filter.serverStreamRegex)
          : new SubscriptionReader({ connectionString: own }, this.filter.serverStreamRegex);
    this.rate = new RateWindow(() => this.clock.now());
    this.stall = new StallDetector(this.options.stallTimeoutMs, this.clock.now());
    this.probe = new PositionProbe(this.origin.client, this.filter);
    this.readWatchdog = new ReadWatchdog(Math.max(MIN_READ_SILENCE_MS, this.options.stallTimeoutMs), this.clock.now());
    this.originStreams = new OriginStreamReads(this.origin.client, this.callTimeoutMs);
    const destinationReader = new DestinationReader(this.destination.client, this.callTimeoutMs);
    const conflicts = new ConflictHandler({
      appender,
      reader: destinationReader,
      offsets: this.offsets,
      policy: this.options.conflicts,
      linkName: this.options.name,
      originNode: this.options.origin,
      destinationNode: this.options.destination,
      maxBytes: this.options.batch.maxBytes,
      logger: this.log,
      now: () => this.clock.now(),
      retrying: (op) => withRetry(op, this.errors.hooks(), this.work.signal),
      ...(opts.beforeConflictRecord ? { beforeConflictRecord: opts.beforeConflictRecord } : {}),
    });
    this.writer = new StreamWriter({
      client: this.destination.client,
      appender,
      reader: destinationReader,
      offsets: this.offsets,
      conflicts,
      clock: this.clock,
      logger: this.log,
      retry: this.options.retry,
      writeOptions,
      appendTimeoutMs: this.callTimeoutMs,
      onRetry: (err, delayMs) => {
        this.errors.noteRetry('append', err, delayMs);
        this.logDecision(this.tuner.recordError());
      },
      onRecovered: () => this.errors.noteRecovered(),
      onConflict: () => {
        this.conflicts++;
        this.metrics.conflict(this.options.conflicts);
      },
      originTombstoned: (stream) => this.originStreams.tombstoned(stream),
      ...(this.filter.selectsEvents
        ? { streamCreated: (first: WorkItem, signal: AbortSignal) => this.copyStreamMetadata(first, signal) }
        : {}),
    });
    this.lanes = new LaneRouter({
      concurrency: this.options.ordering === 'global' ? 1 : this.options.lanes,
      limits: () => ({ events: this.tuner.size, bytes: this.options.batch.maxBytes }),
      process: (batch, saturated) => this.processBatch(batch, saturated),
      onFailure: (err) => this.fail(err),
      hold: () => this.holdPartialLanes(),
      onBufferChange: (events, bytes) => this.onBufferChange(events, bytes),
    });
    this.metrics.batchSize(this.tuner.size);
    this.metrics.state('idle');
  }

  /** Reads the checkpoint and subscribes; resolves once the link is running. */
  async start(): Promise<void> {
    this.lifecycle.transition('starting');
    this.startedAt = new Date(this.clock.now()).toISOString();
    try {
      installRawBytes();
      const checkpoint = await withRetry(() => this.checkpoints.read(), this.errors.hooks(), this.work.signal);
      this.watermark = new WatermarkTracker(checkpoint);
      this.lastRead = checkpoint;
      this.checkpointLoop.started(checkpoint);
      if (checkpoint) this.metrics.checkpoint(checkpoint.commit);
      this.log.info(
        {
          checkpoint: positionView(checkpoint),
          origin: this.origin.name,
          destination: this.destination.name,
          serverFilter: this.filter.serverStreamRegex,
          readerThread: this.readerPlacement.thread,
          readerThreadReason: this.readerPlacement.reason,
        },
        checkpoint ? 'resuming after the stored checkpoint' : 'no checkpoint: starting from the beginning of $all',
      );
    } catch (err) {
      if (this.lifecycle.is('draining', 'stopped')) return;
      this.fail(err);
      throw this.failure(err);
    }
    if (!this.lifecycle.is('starting')) return;
    this.lifecycle.transition('running');
    this.background.push(
      this.runReader(),
      this.checkpointLoop.run(this.work.signal, this.reading.signal),
      this.runMonitor(),
    );
  }

  /** Idempotent: stops reading, drains in-flight appends within the grace period, writes the checkpoint. */
  stop(opts: { graceMs?: number } = {}): Promise<void> {
    this.stopPromise ??= this.doStop(opts.graceMs ?? DEFAULT_GRACE_MS);
    return this.stopPromise;
  }

  private async doStop(graceMs: number): Promise<void> {
    if (this.lifecycle.is('failed', 'stopped')) return;
    if (this.lifecycle.is('idle')) {
      this.lifecycle.transition('stopped');
      this.settleWaiters(new LinkerError('ESDBL_LINK_STOPPED', `link ${this.options.name} stopped`));
      this.resolveDone();
      return;
    }
    this.lifecycle.transition('draining');
    this.reading.abort(new LinkerError('ESDBL_LINK_STOPPED', 'link stopping'));
    const drained = await this.raceTimeout(this.lanes.onIdle(), graceMs);
    if (!drained) {
      this.log.warn(
        { graceMs, pending: this.watermark.pendingCount },
        'grace period over: abandoning in-flight appends',
      );
    }
    this.lanes.stop();
    this.work.abort(new LinkerError('ESDBL_LINK_STOPPED', 'link stopped'));
    await Promise.allSettled(this.background);
    if (this.lifecycle.is('failed')) return;
    await this.checkpointLoop.final();
    this.appender.close();
    this.lifecycle.transition('stopped');
    this.settleWaiters(new LinkerError('ESDBL_LINK_STOPPED', `link ${this.options.name} stopped`));
    this.resolveDone();
  }

  status(): LinkStatus {
    const now = this.clock.now();
    const oldest = this.watermark.oldestPendingCreatedMs;
    return {
      name: this.options.name,
      origin: this.options.origin,
      destination: this.options.destination,
      state: this.lifecycle.state,
      phase: this.phase,
      stalled: this.stall.stalled,
      retrying: this.errors.retrying,
      caughtUp: this.caughtUp,
      checkpoint: positionView(this.watermark.watermark),
      lastReadPosition: positionView(this.lastRead),
      eventsReplicated: this.eventsReplicated,
      bytesReplicated: this.bytesReplicated,
      eventsSkipped: this.eventsSkipped,
      conflicts: this.conflicts,
      retries: this.errors.retries,
      lagEvents: this.watermark.pendingCount,
      lagSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000),
      rate: this.rate.rate(),
      batchSize: this.tuner.size,
      buffer: {
        events: this.lanes.bufferedEvents,
        bytes: this.lanes.bufferedBytes,
        maxEvents: this.options.buffer.maxEvents,
        maxBytes: this.options.buffer.maxBytes,
      },
      lastError: this.errors.lastError,
      startedAt: this.startedAt,
    };
  }

  /**
   * Resolves once everything at or below `position` of the origin's `$all` that this link must copy is
   * acknowledged; rejects if the link fails, halts or stops first.
   */
  waitForPosition(position: { commit: bigint; prepare: bigint }, signal?: AbortSignal): Promise<void> {
    if (this.lifecycle.is('failed')) return Promise.reject(this.failedWith);
    if (this.lifecycle.is('stopped')) {
      return Promise.reject(new LinkerError('ESDBL_LINK_STOPPED', `link ${this.options.name} is stopped`));
    }
    return this.waiters.add(position, signal, () => this.checkWaiters());
  }

  // ---- reading ----

  private async runReader(): Promise<void> {
    const signal = this.reading.signal;
    const backoff = new Backoff(this.options.retry);
    while (!signal.aborted) {
      let healthy = false;
      const run = new AbortController();
      this.readRun = run;
      this.readWatchdog.activity(this.clock.now());
      const active = (): void => this.readWatchdog.activity(this.clock.now());
      try {
        await this.reader.run(
          this.watermark.watermark,
          {
            onEvent: (e) => {
              healthy = true;
              active();
              this.onEvent(e);
            },
            onCheckpoint: (p) => {
              healthy = true;
              active();
              this.onPositionConsidered(p);
            },
            onCaughtUp: () => {
              active();
              this.onCaughtUp();
            },
          },
          AbortSignal.any([signal, run.signal]),
        );
        // Resolved without a stop: the read watchdog gave this subscription up; resubscribe like after a failure.
        if (!signal.aborted) throw run.signal.reason;
      } catch (err) {
        if (signal.aborted) break;
        if (isAccessDenied(err)) {
          // Credentials or ACLs: a configuration error no retry can fix.
          this.fail(tagAccessAttempt(err, { side: 'origin', action: 'read', stream: '$all' }));
          break;
        }
        if (healthy) {
          backoff.reset();
          this.errors.noteRecovered();
        }
        const delay = backoff.nextDelayMs();
        this.errors.noteRetry('subscription', err, delay);
        try {
          await this.clock.sleep(delay, signal);
        } catch {
          break;
        }
      }
    }
  }

  private onEvent(event: OriginEventFields): void {
    try {
      const position = { commit: event.commit, prepare: event.prepare };
      // After a resubscription from the watermark, events already in the pipeline come again.
      if (this.lastRead && comparePositions(position, this.lastRead) <= 0) return;
      this.lastRead = position;
      if (this.errors.retrying) this.errors.noteRecovered();
      const decision = this.eventRouter.route(event, position);
      if (!decision.copy) {
        this.eventsSkipped++;
        this.watermark.pass(position);
        this.log.trace(
          { stream: event.streamId, revision: event.revision.toString(), reason: decision.reason },
          'skipped',
        );
        this.checkWaiters();
        return;
      }
      decision.item.ticket = this.watermark.track(position, decision.item.createdMs);
      this.lanes.enqueue(decision.item);
    } catch (err) {
      this.fail(err);
    }
  }

  private onPositionConsidered(position: Position): void {
    if (this.lastRead && comparePositions(position, this.lastRead) <= 0) return;
    this.lastRead = position;
    this.watermark.pass(position);
    this.checkWaiters();
  }

  private onCaughtUp(): void {
    if (!this.caughtUp) this.log.info({ lastRead: positionView(this.lastRead) }, 'caught up: live');
    this.phase = 'live';
    this.caughtUp = true;
    this.lanes.release();
    this.checkpointLoop.queue(this.work.signal);
    this.checkWaiters();
  }

  /**
   * Catch-up only, and only while the buffer is under half full: then a lane's next events are most likely
   * still to come, and waiting for them makes appends several times larger (see LaneRouter). Never once the
   * link is live (latency counts then), stopping, or the reader is paused (nothing more would come).
   */
  private holdPartialLanes(): boolean {
    if (this.phase !== 'catch-up' || this.reading.signal.aborted || this.reader.isPaused) return false;
    const { maxEvents, maxBytes } = this.options.buffer;
    return this.lanes.bufferedEvents < maxEvents * HOLD_RATIO && this.lanes.bufferedBytes < maxBytes * HOLD_RATIO;
  }

  private onBufferChange(events: number, bytes: number): void {
    this.metrics.bufferFill(events, bytes);
    const { maxEvents, maxBytes } = this.options.buffer;
    if (!this.reader.isPaused && (events >= maxEvents || bytes >= maxBytes)) {
      this.log.debug({ events, bytes }, 'buffer full: pausing the subscription');
      this.reader.pause();
    } else if (this.reader.isPaused && events < maxEvents * RESUME_RATIO && bytes < maxBytes * RESUME_RATIO) {
      this.log.debug({ events, bytes }, 'buffer drained: resuming the subscription');
      this.reader.resume();
    }
  }

  // ---- writing ----

  private async processBatch(batch: WorkItem[], saturated: boolean): Promise<void> {
    const result: WriteResult = await this.writer.write(batch, this.work.signal, (ms, events) => {
      this.metrics.appendLatency(ms / 1000);
      this.logDecision(this.tuner.recordSuccess(events, ms, saturated));
    });
    let bytes = 0;
    for (const item of result.written) bytes += item.data.length + item.metadata.length;
    this.eventsReplicated += result.written.length;
    this.bytesReplicated += bytes;
    this.eventsSkipped += result.skipped.length;
    if (result.written.length > 0) this.metrics.replicated(result.written.length, bytes);
    for (const item of batch) this.watermark.ack(item.ticket);
    this.rate.add(batch.length);
    if (this.stall.progress(this.clock.now()) === 'recovered') {
      this.log.info({ pending: this.watermark.pendingCount }, 'link progressing again: no longer stalled');
    }
    this.checkWaiters();
  }

  private logDecision(decision: TunerDecision | undefined): void {
    if (!decision) return;
    const fields = {
      previous: decision.previous,
      next: decision.next,
      msPerEvent: Number(decision.latencyMsPerEvent.toFixed(3)),
      floorMsPerEvent: Number(decision.floorMsPerEvent.toFixed(3)),
      eventsPerSecond: Math.round(decision.eventsPerSecond),
      reason: decision.reason,
    };
    this.log.debug(fields, 'batch tuner decision');
    if (decision.next !== decision.previous) {
      this.log.info(fields, `batch size ${decision.previous} -> ${decision.next}`);
      this.metrics.batchSize(decision.next);
    }
  }

  /**
   * A destination stream was just created for selected events of a filtered stream: its `$$` metadata was
   * skipped while the stream did not exist, so the origin's current metadata is copied now, unless it was
   * written after this event (the subscription brings it, and it follows the now existing stream).
   */
  private async copyStreamMetadata(first: WorkItem, signal: AbortSignal): Promise<void> {
    const latest = await withRetry(
      () => this.originStreams.latestMetadata(first.originStream),
      this.errors.hooks(),
      signal,
    );
    if (!latest) return;
    if (latest.position && comparePositions(latest.position, first.position) > 0) return;
    const decision = this.eventRouter.route(originEventOf(latest), latest.position ?? first.position);
    if (!decision.copy) return;
    const item = { ...decision.item, followsStream: false };
    const result = await this.writer.write([item], signal);
    this.log.debug(
      { stream: item.destStream, written: result.written.length, skipped: result.skipped.length },
      'copied the stream metadata of a newly created filtered stream',
    );
  }

  // ---- monitoring ----

  private async runMonitor(): Promise<void> {
    const interval = Math.max(50, Math.min(1_000, Math.floor(this.options.stallTimeoutMs / 4)));
    const signal = this.work.signal;
    while (!signal.aborted) {
      try {
        await this.clock.sleep(interval, signal);
      } catch {
        return;
      }
      const now = this.clock.now();
      const pending = this.watermark.pendingCount;
      if (this.stall.check(now, pending > 0) === 'stalled') {
        this.log.warn(
          {
            pending,
            sinceMs: now - this.stall.sinceProgressMs,
            retrying: this.errors.retrying,
            lastError: this.errors.lastError,
          },
          `link stalled: no progress for ${this.options.stallTimeoutMs} ms with ${pending} events pending`,
        );
      }
      const status = this.status();
      this.metrics.lag(status.lagEvents, status.lagSeconds);
      this.metrics.bufferFill(status.buffer.events, status.buffer.bytes);
      this.checkWaiters();
      if (this.readWatchdog.due(now, this.reader.isPaused)) void this.checkReaderSilence();
      await this.probeIdleWaiters();
    }
  }

  /**
   * The subscription delivered nothing for a while: asks the origin (a separate read) whether it holds
   * events the link still needs. See `ReadWatchdog`.
   */
  private async checkReaderSilence(): Promise<void> {
    this.readWatchdog.begin();
    const silentMs = this.clock.now() - this.readWatchdog.silentSinceMs;
    let stuck: boolean;
    let why: string;
    try {
      stuck = await withTimeout(
        this.probe.needsCopyAfter(this.lastRead, this.eventRouter),
        Math.max(MIN_PROBE_TIMEOUT_MS, this.options.stallTimeoutMs),
        `read of origin ${this.origin.name}`,
      );
      why = 'the origin holds events to copy after the last position read';
    } catch (err) {
      stuck = true;
      why = `a read of the origin failed too (${redactText(errorMessage(err))})`;
      this.errors.record(err);
      this.log.warn(
        { node: this.origin.name, silentMs, err: redactText(errorMessage(err)) },
        `origin ${this.origin.name} does not answer: nothing read for ${silentMs} ms and a read of $all failed`,
      );
      // The read may have gone out on the same silent connection (in-thread readers share the client).
      await streamsRpcOf(this.origin.client)
        .replaceCurrentChannel(why)
        .catch(() => {});
    }
    if (this.reading.signal.aborted) return;
    if (this.readWatchdog.verdict(stuck, this.clock.now()) !== 'resubscribe') {
      if (stuck)
        this.log.debug({ node: this.origin.name, silentMs, why }, 'origin subscription silent; checking again');
      return;
    }
    this.log.warn(
      { node: this.origin.name, silentMs, why },
      `origin ${this.origin.name}: the $all subscription delivered nothing for ${silentMs} ms while ${why}; resubscribing on a new connection`,
    );
    this.reader.replaceConnection(why);
    this.readRun?.abort(
      new LinkerError(
        'ESDBL_LINK_SUBSCRIPTION_SILENT',
        `the $all subscription on ${this.origin.name} delivered nothing for ${silentMs} ms while ${why}`,
      ),
    );
  }

  private checkWaiters(): void {
    if (this.waiters.size === 0) return;
    const wm = this.watermark.watermark;
    this.waiters.settle((position) => {
      const acknowledged =
        wm === null ? position.commit === 0n && position.prepare === 0n : comparePositions(wm, position) >= 0;
      const liveAndDone =
        this.phase === 'live' &&
        this.lastRead !== null &&
        comparePositions(this.lastRead, position) >= 0 &&
        !this.watermark.hasPendingAtOrBelow(position);
      const probed = this.probe.covers(position) && !this.watermark.hasPendingAtOrBelow(position);
      return acknowledged || liveAndDone || probed;
    });
  }

  /**
   * A live link that is idle may never see the origin's last position (a filtered event, such as another
   * link's checkpoint, is only reported by the next server checkpoint). One read of `$all` past the last
   * position seen tells whether anything up to the waited-for position still needs copying.
   */
  private async probeIdleWaiters(): Promise<void> {
    if (this.waiters.size === 0 || this.phase !== 'live' || this.watermark.pendingCount > 0 || !this.lastRead) return;
    const target = this.waiters.furthest();
    if (!target || comparePositions(this.lastRead, target) >= 0) return;
    try {
      await this.probe.check(this.lastRead, target, this.eventRouter);
    } catch (err) {
      this.log.debug({ err }, 'position probe failed; will try again');
    }
    this.checkWaiters();
  }

  private settleWaiters(err: unknown): void {
    this.waiters.rejectAll(err);
  }

  // ---- errors ----

  private failure(err: unknown): LinkerError {
    // An access error without a tag came from a destination write (the origin's are tagged where read).
    const access = accessFailure(
      err,
      {
        link: this.options.name,
        nodeFor: (side) =>
          side === 'origin'
            ? accessNode(this.origin.name, this.origin.connectionString)
            : accessNode(
                this.destination.name,
                this.destination.connectionString,
                this.destination.credentials?.username,
              ),
      },
      { side: 'destination', action: 'write', stream: undefined },
    );
    if (access) return access;
    if (isLinkerError(err)) return err;
    return new LinkerError('ESDBL_LINK_FAILED', `link ${this.options.name} failed: ${redactText(errorMessage(err))}`, {
      cause: err,
    });
  }

  private fail(err: unknown): void {
    if (this.lifecycle.is('failed', 'stopped')) return;
    if (this.work.signal.aborted && !this.lifecycle.is('starting')) {
      // Errors caused by our own abort (stop) are not failures.
      if (!isLinkerError(err, 'ESDBL_LINK_CONFLICT_HALT')) return;
    }
    const failure = this.failure(err);
    this.failedWith = failure;
    this.errors.record(failure);
    this.log.error({ err: failure, code: failure.code }, `link failed: ${failure.message}`);
    this.reading.abort(failure);
    this.lanes.stop();
    this.work.abort(failure);
    this.lifecycle.transition('failed');
    this.settleWaiters(failure);
    // The watermark only covers acknowledged events: saving it keeps the work done so far.
    void this.checkpointLoop
      .final()
      .catch(() => {})
      .finally(() => {
        this.appender.close();
        this.rejectDone(failure);
      });
  }

  private async raceTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
    const timer = new AbortController();
    try {
      return await Promise.race([
        promise.then(() => true),
        this.clock.sleep(ms, timer.signal).then(
          () => false,
          () => false,
        ),
      ]);
    } finally {
      timer.abort();
    }
  }

  /** The state, for tests and the daemon. */
  get state(): LinkState {
    return this.lifecycle.state;
  }
}
