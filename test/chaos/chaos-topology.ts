/**
 * The chaos run's topology: active/active dc1 <-> dc2, fan-in dc1 + dc2 -> dc3 (prefixed), and a chain
 * dc1 -> dc3 -> dc4 (dc3 also writes streams of its own into the chain's second hop). Each family of streams
 * has its own prefix, so each link's verification is independent.
 */
export const NODE_NAMES = ['dc1', 'dc2', 'dc3', 'dc4'] as const;
export type NodeName = (typeof NODE_NAMES)[number];

export interface ChaosLink {
  name: string;
  origin: NodeName;
  destination: NodeName;
  /** Streams this link copies. */
  prefixes: string[];
  streamPrefix: string;
}

export interface ChaosTopology {
  run: string;
  links: ChaosLink[];
  /** Streams each node's writer appends to. */
  streamsOf: Record<NodeName, string[]>;
  families: { one1: string; one2: string; both: string; fanIn: string; chain: string; chain3: string };
}

export function chaosTopology(run: string, streamsPerFamily = 4): ChaosTopology {
  const families = {
    one1: `${run}-aa-one1-`,
    one2: `${run}-aa-one2-`,
    both: `${run}-aa-both-`,
    fanIn: `${run}-fi-`,
    chain: `${run}-ch-`,
    chain3: `${run}-ch3-`,
  };
  const names = (prefix: string, n = streamsPerFamily): string[] =>
    Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const aa = `${run}-aa-`;
  return {
    run,
    families,
    links: [
      { name: `${run}-aa-dc1-dc2`, origin: 'dc1', destination: 'dc2', prefixes: [aa], streamPrefix: '' },
      { name: `${run}-aa-dc2-dc1`, origin: 'dc2', destination: 'dc1', prefixes: [aa], streamPrefix: '' },
      {
        name: `${run}-fi-dc1-dc3`,
        origin: 'dc1',
        destination: 'dc3',
        prefixes: [families.fanIn],
        streamPrefix: 'dc1.',
      },
      {
        name: `${run}-fi-dc2-dc3`,
        origin: 'dc2',
        destination: 'dc3',
        prefixes: [families.fanIn],
        streamPrefix: 'dc2.',
      },
      { name: `${run}-ch-dc1-dc3`, origin: 'dc1', destination: 'dc3', prefixes: [families.chain], streamPrefix: '' },
      {
        name: `${run}-ch-dc3-dc4`,
        origin: 'dc3',
        destination: 'dc4',
        prefixes: [families.chain, families.chain3],
        streamPrefix: '',
      },
    ],
    streamsOf: {
      dc1: [...names(families.one1), ...names(families.both, 2), ...names(families.fanIn), ...names(families.chain)],
      dc2: [...names(families.one2), ...names(families.both, 2), ...names(families.fanIn)],
      dc3: names(families.chain3),
      dc4: [],
    },
  };
}

/** The daemon's config for the topology, on the nodes' faulty-path connection strings. */
export function chaosConfig(topology: ChaosTopology, connectionStrings: Record<NodeName, string>): unknown {
  return {
    nodes: Object.entries(connectionStrings).map(([name, connectionString]) => ({ name, connectionString })),
    links: topology.links.map((l, i) => ({
      name: l.name,
      // Every node is on loopback here, where `auto` reads on the main thread: every other link reads on a
      // worker thread instead, so both readers meet every fault.
      readerThread: i % 2 === 0 ? 'auto' : 'worker',
      origin: l.origin,
      destination: l.destination,
      ...(l.streamPrefix ? { streamPrefix: l.streamPrefix } : {}),
      filter: { includeStreamPrefixes: l.prefixes },
      conflicts: 'stream',
      checkpointIntervalMs: 200,
      stallTimeoutMs: 2_000,
      retry: { initialDelayMs: 50, maxDelayMs: 1_000 },
    })),
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'info', format: 'json' },
    shutdownGraceMs: 5_000,
  };
}
