import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { createClient } from 'redis';
import { errorMessage } from '../shared/errors.js';
import type { ClusterMessage, CoordinationStore, MemberRecord, Versioned } from './coordination-store.js';
import { COMPARE_AND_DELETE, COMPARE_AND_PEXPIRE, HEARTBEAT } from './redis-scripts.js';

type Client = ReturnType<typeof createClient>;

/** Member records of members silent this many TTLs are pruned from the hash. */
const PRUNE_AFTER_TTLS = 20;
const MAX_RECONNECT_DELAY_MS = 2_000;

export interface RedisStoreOptions {
  url: string;
  cluster: string;
  /** The URL without credentials (for logs and status). */
  redactedUrl: string;
  logger: Logger;
}

const token = () => randomBytes(12).toString('hex');

/**
 * The Redis coordinator (node-redis): a lease is `SET NX PX` with a random token, renewed and released by
 * Lua compare-and-set / compare-and-delete on that token; epochs come from `INCR`; pub/sub carries wake-ups.
 * Keys share one hash tag so the scripts also work on a Redis Cluster. Commands are never queued while
 * disconnected: a call during an outage fails at once, and the member counts it as a failed renew.
 */
export class RedisStore implements CoordinationStore {
  readonly engine = 'redis' as const;
  readonly location: string;
  private readonly client: Client;
  private subscriber: Client | undefined;
  private readonly prefix: string;
  private readonly logger: Logger;
  private connecting: Promise<void> | undefined;

  constructor(private readonly options: RedisStoreOptions) {
    this.location = `redis ${options.redactedUrl}`;
    this.logger = options.logger;
    this.prefix = `esdb-linker:{${options.cluster}}:`;
    this.client = this.newClient();
  }

  private newClient(): Client {
    const client = createClient({
      url: this.options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2_000,
        reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
      },
    });
    client.on('error', (err: unknown) => {
      this.logger.debug({ err: errorMessage(err) }, 'redis connection error');
    });
    return client;
  }

  /** Connects on first use; node-redis reconnects by itself afterwards. */
  private async ready(): Promise<Client> {
    if (!this.client.isOpen) {
      this.connecting ??= this.client.connect().then(
        () => undefined,
        (err: unknown) => {
          this.connecting = undefined;
          throw err;
        },
      );
      await this.connecting;
    }
    return this.client;
  }

  private key(kind: string, id?: string): string {
    return `${this.prefix}${kind}${id === undefined ? '' : `:${id}`}`;
  }

  private parse(raw: string | null): Versioned<unknown> | null {
    if (raw === null) return null;
    const nl = raw.indexOf('\n');
    const value: unknown = JSON.parse(raw.slice(nl + 1));
    return { value, version: raw.slice(0, nl) };
  }

  async getLease(link: string): Promise<Versioned<unknown> | null> {
    const c = await this.ready();
    return this.parse(await c.get(this.key('lease', link)));
  }

  async createLease(link: string, value: unknown, ttlMs: number): Promise<string | null> {
    const c = await this.ready();
    const t = token();
    const ok = await c.set(this.key('lease', link), `${t}\n${JSON.stringify(value)}`, {
      condition: 'NX',
      expiration: { type: 'PX', value: ttlMs },
    });
    return ok === 'OK' ? t : null;
  }

  async updateLease(link: string, value: unknown, expectedVersion: string, ttlMs: number): Promise<string | null> {
    const c = await this.ready();
    const t = token();
    const written = await c.eval(COMPARE_AND_PEXPIRE, {
      keys: [this.key('lease', link)],
      arguments: [expectedVersion, `${t}\n${JSON.stringify(value)}`, String(ttlMs)],
    });
    return written === 1 ? t : null;
  }

  async releaseLease(link: string, expectedVersion: string): Promise<boolean> {
    const c = await this.ready();
    const deleted = await c.eval(COMPARE_AND_DELETE, {
      keys: [this.key('lease', link)],
      arguments: [expectedVersion],
    });
    return deleted === 1;
  }

  async nextEpoch(link: string): Promise<number> {
    const c = await this.ready();
    return Number(await c.incr(this.key('epoch', link)));
  }

  async heartbeat(member: MemberRecord, ttlMs: number): Promise<void> {
    const c = await this.ready();
    await c.eval(HEARTBEAT, {
      keys: [this.key('members'), this.key('member-seen')],
      arguments: [member.id, JSON.stringify(member), String(ttlMs * PRUNE_AFTER_TTLS)],
    });
  }

  async members(): Promise<MemberRecord[]> {
    const c = await this.ready();
    const all = await c.hGetAll(this.key('members'));
    return Object.values(all).map((v) => JSON.parse(String(v)) as MemberRecord);
  }

  async getIntent(link: string): Promise<Versioned<unknown> | null> {
    const c = await this.ready();
    return this.parse(await c.get(this.key('intent', link)));
  }

  async putIntent(link: string, value: unknown): Promise<void> {
    const c = await this.ready();
    await c.set(this.key('intent', link), `${token()}\n${JSON.stringify(value)}`);
  }

  async publish(message: ClusterMessage): Promise<void> {
    const c = await this.ready();
    await c.publish(this.key('bus'), JSON.stringify(message));
  }

  subscribe(member: string, handler: (message: ClusterMessage) => void): () => void {
    // A subscribed connection cannot run other commands: a second one, which resubscribes on reconnect.
    const sub = (this.subscriber ??= this.newClient());
    const channel = this.key('bus');
    const listener = (raw: string) => {
      try {
        const m = JSON.parse(raw) as ClusterMessage;
        if (m.from !== member) handler(m);
      } catch (err) {
        this.logger.debug({ err: errorMessage(err) }, 'ignored a cluster message that is not JSON');
      }
    };
    void (async () => {
      if (!sub.isOpen) await sub.connect();
      await sub.subscribe(channel, listener);
    })().catch((err: unknown) => {
      this.logger.warn({ err: errorMessage(err) }, 'cannot subscribe to the cluster bus; wake-ups come from polling');
    });
    return () => {
      if (sub.isOpen) void sub.unsubscribe(channel, listener).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    for (const c of [this.client, this.subscriber]) {
      if (c?.isOpen) await c.close().catch(() => c.destroy());
      else c?.destroy();
    }
  }
}
