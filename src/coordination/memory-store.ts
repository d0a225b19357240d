import { LinkerError } from '../shared/errors.js';
import { CLUSTER_COORDINATOR_UNREACHABLE } from './coordination-errors.js';
import type { ClusterMessage, CoordinationStore, MemberRecord, Versioned } from './coordination-store.js';

interface Entry {
  value: unknown;
  version: number;
}

/**
 * The shared state of an in-memory coordinator: several `MemoryStore`s (one per member) over one backplane
 * behave like members of one cluster in one process. `down` makes every call fail, as an outage would.
 */
export class MemoryBackplane {
  readonly leases = new Map<string, Entry>();
  readonly intents = new Map<string, Entry>();
  readonly epochs = new Map<string, number>();
  readonly members = new Map<string, MemberRecord>();
  readonly subscribers = new Set<{ member: string; handler: (m: ClusterMessage) => void }>();
  down = false;
  private versions = 0;

  nextVersion(): number {
    return ++this.versions;
  }
}

/** The in-memory implementation of the port, for unit tests. Copies values so callers cannot alias state. */
export class MemoryStore implements CoordinationStore {
  readonly engine = 'memory' as const;
  readonly location = 'memory';

  /** `reachable` lets a test cut one member off (a partition) while the others carry on. */
  constructor(
    private readonly plane: MemoryBackplane,
    private readonly reachable: () => boolean = () => true,
  ) {}

  private async call<T>(op: () => T): Promise<T> {
    await Promise.resolve();
    if (this.plane.down || !this.reachable())
      throw new LinkerError(CLUSTER_COORDINATOR_UNREACHABLE, 'the in-memory coordinator is down');
    return op();
  }

  getLease(link: string): Promise<Versioned<unknown> | null> {
    return this.call(() => read(this.plane.leases.get(link)));
  }

  createLease(link: string, value: unknown): Promise<string | null> {
    return this.call(() => {
      if (this.plane.leases.has(link)) return null;
      return write(this.plane, this.plane.leases, link, value);
    });
  }

  updateLease(link: string, value: unknown, expectedVersion: string): Promise<string | null> {
    return this.call(() => {
      const cur = this.plane.leases.get(link);
      if (!cur || String(cur.version) !== expectedVersion) return null;
      return write(this.plane, this.plane.leases, link, value);
    });
  }

  releaseLease(link: string, expectedVersion: string): Promise<boolean> {
    return this.call(() => {
      const cur = this.plane.leases.get(link);
      if (!cur || String(cur.version) !== expectedVersion) return false;
      write(this.plane, this.plane.leases, link, null);
      return true;
    });
  }

  nextEpoch(link: string): Promise<number> {
    return this.call(() => {
      const next = (this.plane.epochs.get(link) ?? 0) + 1;
      this.plane.epochs.set(link, next);
      return next;
    });
  }

  heartbeat(member: MemberRecord): Promise<void> {
    return this.call(() => {
      this.plane.members.set(member.id, structuredClone(member));
    });
  }

  members(): Promise<MemberRecord[]> {
    return this.call(() => [...this.plane.members.values()].map((m) => structuredClone(m)));
  }

  getIntent(link: string): Promise<Versioned<unknown> | null> {
    return this.call(() => read(this.plane.intents.get(link)));
  }

  putIntent(link: string, value: unknown): Promise<void> {
    return this.call(() => {
      write(this.plane, this.plane.intents, link, value);
    });
  }

  publish(message: ClusterMessage): Promise<void> {
    return this.call(() => {
      for (const s of this.plane.subscribers) {
        if (s.member === message.from) continue;
        const copy = structuredClone(message);
        // Later, like a network: a handler never runs inside the publisher's call.
        setImmediate(() => s.handler(copy));
      }
    });
  }

  subscribe(member: string, handler: (message: ClusterMessage) => void): () => void {
    const sub = { member, handler };
    this.plane.subscribers.add(sub);
    return () => this.plane.subscribers.delete(sub);
  }

  async close(): Promise<void> {
    // Nothing to close: the backplane outlives its stores.
  }
}

function read(entry: Entry | undefined): Versioned<unknown> | null {
  return entry ? { value: structuredClone(entry.value), version: String(entry.version) } : null;
}

function write(plane: MemoryBackplane, map: Map<string, Entry>, key: string, value: unknown): string {
  const version = plane.nextVersion();
  map.set(key, { value: structuredClone(value), version });
  return String(version);
}
