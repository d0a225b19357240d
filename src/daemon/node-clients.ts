import { EventStoreDBClient } from '@eventstore/db-client';
import type { NodeOptions } from '../link/link-options.js';
import { useClassicAppendOnly } from '../client/classic-append.js';
import { redactConnectionString } from '../shared/redact.js';

export type ClientFactory = (node: NodeOptions) => EventStoreDBClient;

export const defaultClientFactory: ClientFactory = (node) => EventStoreDBClient.connectionString(node.connectionString);

/**
 * One client per node, shared by every link that reads from or writes to it: the client multiplexes
 * all calls over one HTTP/2 connection, and the node count (not the link count) bounds the connections.
 * Creating a client does no I/O, so an unreachable node is not an error here: the links find out and
 * retry with backoff.
 */
export class NodeClients {
  private readonly clients = new Map<string, EventStoreDBClient>();
  private readonly nodes = new Map<string, NodeOptions>();

  constructor(nodes: readonly NodeOptions[], factory: ClientFactory = defaultClientFactory) {
    // The links append through their own RawAppender, which is safe with several nodes. Other stock
    // `appendToStream` calls in this process (the demo's traffic on two nodes, `setStreamMetadata`) still
    // meet the stock BatchAppend's process-wide pending map (see classic-append.ts), so they stay on Append.
    useClassicAppendOnly();
    for (const node of nodes) {
      this.nodes.set(node.name, node);
      this.clients.set(node.name, factory(node));
    }
  }

  get(name: string): EventStoreDBClient {
    const client = this.clients.get(name);
    // Config validation rejects links that name unknown nodes; reaching this is a bug, not bad input.
    if (!client) throw new Error(`no client for node "${name}"`);
    return client;
  }

  /** Name and redacted connection string of every node, for status and logs. */
  describe(): { name: string; connectionString: string }[] {
    return [...this.nodes.values()].map((n) => ({
      name: n.name,
      connectionString: redactConnectionString(n.connectionString),
    }));
  }

  redacted(name: string): string {
    const node = this.nodes.get(name);
    return node ? redactConnectionString(node.connectionString) : '(unknown node)';
  }

  /** Disposes every client; returns the failures (by node) instead of stopping at the first. */
  async disposeAll(): Promise<{ node: string; error: unknown }[]> {
    const entries = [...this.clients.entries()];
    const results = await Promise.allSettled(entries.map(([, c]) => c.dispose()));
    const failures: { node: string; error: unknown }[] = [];
    results.forEach((r, i) => {
      if (r.status === 'rejected') failures.push({ node: entries[i]![0], error: r.reason });
    });
    return failures;
  }
}
