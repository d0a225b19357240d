import {
  ANY,
  BACKWARDS,
  END,
  jsonEvent,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type EventStoreDBClient,
  type StreamSubscription,
} from '@eventstore/db-client';
import type { Logger } from 'pino';
import { useClassicAppendOnly } from '../client/classic-append.js';
import { COORDINATION_STREAM_PREFIX } from '../link/bookkeeping.js';
import { errorMessage } from '../shared/errors.js';
import type { ClusterMessage, CoordinationStore, MemberRecord, Versioned } from './coordination-store.js';

const LEASE_TYPE = 'LeaseWritten';
const RELEASED_TYPE = 'LeaseReleased';
const MEMBERS_READ = 200;
/** Bounds on every coordination stream: only the latest record matters. */
const MAX_COUNT = { lease: 10, epoch: 2, intent: 10, members: MEMBERS_READ, bus: 100 } as const;
const RESUBSCRIBE_MS = 1_000;

export interface KurrentStoreOptions {
  client: EventStoreDBClient;
  cluster: string;
  /** The node name (for logs and status). */
  node: string;
  logger: Logger;
}

/**
 * The KurrentDB coordinator: one stream per record on one node, the expected revision as the
 * compare-and-swap, the revision as the version. Streams are not `$`-prefixed (those are for admins) and are
 * bounded with `$maxCount`; links never copy them (their prefix is reserved). Reads go to the leader, so a
 * follower never answers with an old lease.
 */
export class KurrentDbStore implements CoordinationStore {
  readonly engine = 'kurrentdb' as const;
  readonly location: string;
  private readonly client: EventStoreDBClient;
  private readonly cluster: string;
  private readonly logger: Logger;
  private readonly bounded = new Set<string>();
  private readonly subscriptions = new Set<{ stop(): void }>();

  constructor(options: KurrentStoreOptions) {
    // The stock BatchAppend shares one pending map between clients (see classic-append.ts).
    useClassicAppendOnly();
    this.client = options.client;
    this.cluster = options.cluster;
    this.logger = options.logger;
    this.location = `kurrentdb node ${options.node}`;
  }

  private stream(kind: string, id?: string): string {
    return `${COORDINATION_STREAM_PREFIX}${kind}-${this.cluster}${id === undefined ? '' : `_${id}`}`;
  }

  private async bound(stream: string, maxCount: number): Promise<void> {
    if (this.bounded.has(stream)) return;
    await this.client.setStreamMetadata(stream, { maxCount });
    this.bounded.add(stream);
  }

  private async last(stream: string): Promise<{ type: string; data: unknown; revision: bigint } | null> {
    let found: { type: string; data: unknown; revision: bigint } | null = null;
    try {
      for await (const resolved of this.client.readStream(stream, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
        requiresLeader: true,
      })) {
        // Read to the end (one event): leaving the loop early cancels the call, which the stock client
        // does not always finish cleanly (its dispose() then hangs).
        const e = resolved.event;
        if (e && !found) found = { type: e.type, data: e.data, revision: e.revision };
      }
      return found;
    } catch (err) {
      if (err instanceof StreamNotFoundError) return null;
      throw err;
    }
  }

  private async append(
    stream: string,
    type: string,
    data: unknown,
    expected: bigint | typeof NO_STREAM | typeof ANY,
    maxCount: number,
  ): Promise<bigint | null> {
    try {
      const result = await this.client.appendToStream(stream, jsonEvent({ type, data: data as never }), {
        expectedRevision: expected,
        requiresLeader: true,
      });
      await this.bound(stream, maxCount);
      return result.nextExpectedRevision;
    } catch (err) {
      if (err instanceof WrongExpectedVersionError) return null;
      throw err;
    }
  }

  private async versioned(stream: string): Promise<Versioned<unknown> | null> {
    const e = await this.last(stream);
    if (!e) return null;
    const value = e.type === RELEASED_TYPE ? null : ((e.data as { value?: unknown }).value ?? null);
    return { value, version: e.revision.toString() };
  }

  getLease(link: string): Promise<Versioned<unknown> | null> {
    return this.versioned(this.stream('lease', link));
  }

  async createLease(link: string, value: unknown): Promise<string | null> {
    const r = await this.append(this.stream('lease', link), LEASE_TYPE, { value }, NO_STREAM, MAX_COUNT.lease);
    return r === null ? null : r.toString();
  }

  async updateLease(link: string, value: unknown, expectedVersion: string): Promise<string | null> {
    const stream = this.stream('lease', link);
    const r = await this.append(stream, LEASE_TYPE, { value }, BigInt(expectedVersion), MAX_COUNT.lease);
    return r === null ? null : r.toString();
  }

  async releaseLease(link: string, expectedVersion: string): Promise<boolean> {
    const stream = this.stream('lease', link);
    const r = await this.append(stream, RELEASED_TYPE, {}, BigInt(expectedVersion), MAX_COUNT.lease);
    return r !== null;
  }

  async nextEpoch(link: string): Promise<number> {
    // Every append gets the next revision: a counter that only grows, replicated like any write.
    const r = await this.append(this.stream('epoch', link), 'EpochTaken', {}, ANY, MAX_COUNT.epoch);
    return Number(r ?? 0n) + 1;
  }

  async heartbeat(member: MemberRecord): Promise<void> {
    await this.append(this.stream('members'), 'MemberHeartbeat', member, ANY, MAX_COUNT.members);
  }

  async members(): Promise<MemberRecord[]> {
    const latest = new Map<string, MemberRecord>();
    try {
      for await (const resolved of this.client.readStream(this.stream('members'), {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: MEMBERS_READ,
        requiresLeader: true,
      })) {
        const m = resolved.event?.data as MemberRecord | undefined;
        if (m && typeof m.id === 'string' && !latest.has(m.id)) latest.set(m.id, m);
      }
    } catch (err) {
      if (!(err instanceof StreamNotFoundError)) throw err;
    }
    return [...latest.values()];
  }

  getIntent(link: string): Promise<Versioned<unknown> | null> {
    return this.versioned(this.stream('intent', link));
  }

  async putIntent(link: string, value: unknown): Promise<void> {
    await this.append(this.stream('intent', link), 'IntentWritten', { value }, ANY, MAX_COUNT.intent);
  }

  async publish(message: ClusterMessage): Promise<void> {
    await this.append(this.stream('bus'), 'ClusterMessage', message, ANY, MAX_COUNT.bus);
  }

  subscribe(member: string, handler: (message: ClusterMessage) => void): () => void {
    let stopped = false;
    let current: StreamSubscription | undefined;
    let from: bigint | typeof END | typeof START = END;
    const run = () => {
      if (stopped) return;
      const sub = this.client.subscribeToStream(this.stream('bus'), { fromRevision: from });
      current = sub;
      sub.on('data', (resolved) => {
        const e = resolved.event;
        if (!e) return;
        from = e.revision;
        const m = e.data as unknown as ClusterMessage;
        if (m && m.from !== member) handler(m);
      });
      sub.on('error', (err) => {
        this.logger.debug({ err: errorMessage(err) }, 'cluster bus subscription dropped; resubscribing');
        if (!stopped) setTimeout(run, RESUBSCRIBE_MS).unref();
      });
    };
    run();
    const handle = {
      stop: () => {
        stopped = true;
        void current?.unsubscribe().catch(() => undefined);
      },
    };
    this.subscriptions.add(handle);
    return () => {
      handle.stop();
      this.subscriptions.delete(handle);
    };
  }

  async close(): Promise<void> {
    for (const s of this.subscriptions) s.stop();
    this.subscriptions.clear();
  }
}
