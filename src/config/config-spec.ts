import { NODE_PREFERENCES } from './node-preference.js';

/**
 * The config format as data: every key the loader accepts, its type, range, default and description. The
 * validator walks this spec, the JSON schema in config/esdb-linker.schema.json mirrors it (a unit test walks
 * both), and docs/configuration.md documents it.
 */

export interface BaseSpec {
  description: string;
}
export interface StringSpec extends BaseSpec {
  kind: 'string';
  default?: string;
  enum?: readonly string[];
  /** Checked after env interpolation (and, for templates, after placeholder expansion). */
  pattern?: RegExp;
  patternHint?: string;
  minLength?: number;
  /** `{origin}` / `{destination}` are expanded per link; the pattern applies to the expansion. */
  template?: boolean;
  /** `regex`: must compile as a JS regular expression. */
  format?: 'regex';
  /** Never echo the value in a problem. */
  secret?: boolean;
}
export interface IntegerSpec extends BaseSpec {
  kind: 'integer';
  min: number;
  max: number;
  default?: number;
}
export interface BooleanSpec extends BaseSpec {
  kind: 'boolean';
  default?: boolean;
}
export interface StringListSpec extends BaseSpec {
  kind: 'string-list';
  default?: readonly string[];
  minItems?: number;
  uniqueItems?: boolean;
  itemMinLength?: number;
}
export interface ObjectSpec extends BaseSpec {
  kind: 'object';
  fields: Readonly<Record<string, FieldSpec>>;
  required?: readonly string[];
}
export interface ArraySpec extends BaseSpec {
  kind: 'array';
  items: ObjectSpec | TaggedSpec;
  minItems?: number;
}
/** A list entry whose `type` picks one of several object shapes (topology presets). */
export interface TaggedSpec extends BaseSpec {
  kind: 'tagged';
  tag: string;
  variants: Readonly<Record<string, ObjectSpec>>;
}
/**
 * Metadata conditions: each item is Linker's `key:value` string (a trailing `*` makes the value a prefix) or
 * an object `{key, value}` / `{key, prefix}` / `{key, regex}`; normalized to objects (`MetadataRule`).
 */
export interface MetadataRuleListSpec extends BaseSpec {
  kind: 'metadata-rules';
  default: readonly [];
}
export type FieldSpec =
  StringSpec | IntegerSpec | BooleanSpec | StringListSpec | MetadataRuleListSpec | ObjectSpec | ArraySpec | TaggedSpec;

/** Node names end up in stream names (`$conflicts-from-dc1-to-dc2`), env var names and metrics labels. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const NAME_HINT = 'letters, digits, ".", "_" and "-" only';

const MIB = 1024 * 1024;
/**
 * The server rejects appends above 1 MiB (MaxAppendSize, counted over data and metadata). Keep 64 KiB of
 * headroom for the annotations this daemon adds to metadata and the per-event framing.
 */
export const MAX_BATCH_BYTES = MIB - 64 * 1024;

const regexString = (description: string): StringSpec => ({
  kind: 'string',
  format: 'regex',
  minLength: 1,
  description,
});
const prefixList = (description: string): StringListSpec => ({
  kind: 'string-list',
  default: [],
  itemMinLength: 1,
  description,
});

export const filterSpec: ObjectSpec = {
  kind: 'object',
  description:
    'Which streams and events the link copies. System streams ($...), except $$ metadata streams, and the ' +
    "daemon's own bookkeeping streams are never copied.",
  fields: {
    includeStreamPrefixes: prefixList('Copy only streams whose origin name starts with one of these. Empty = all.'),
    includeStreamRegex: regexString('Copy only streams whose origin name matches this regular expression (JS syntax).'),
    excludeStreamPrefixes: prefixList('Never copy streams whose origin name starts with one of these.'),
    excludeStreamRegex: regexString('Never copy streams whose origin name matches this regular expression.'),
    includeEventTypeRegex: regexString('Copy only events whose type matches this regular expression.'),
    excludeEventTypeRegex: regexString('Never copy events whose type matches this regular expression.'),
    includeMetadata: {
      kind: 'metadata-rules',
      default: [],
      description:
        'Copy only events whose metadata (a JSON object) matches one of these: "key:value", "key:prefix*", or ' +
        '{key, value} / {key, prefix} / {key, regex}. Empty = no condition.',
    },
    excludeMetadata: {
      kind: 'metadata-rules',
      default: [],
      description: 'Never copy events whose metadata matches one of these (same forms as includeMetadata).',
    },
    localOnly: {
      kind: 'boolean',
      default: false,
      description:
        "Copy only events written on the link's origin (no $origin annotation): the fan-in beneath an " +
        'active/active pair takes each event once.',
    },
    fromNodes: {
      kind: 'string-list',
      default: [],
      uniqueItems: true,
      itemMinLength: 1,
      description:
        'Copy only events first written on one of these nodes (the first $origin entry, or the origin itself ' +
        'when there is none). Empty = any node.',
    },
  },
};

export const batchSpec: ObjectSpec = {
  kind: 'object',
  description: 'Size of one append: consecutive events of one stream are coalesced up to these bounds.',
  fields: {
    adaptive: {
      kind: 'boolean',
      default: true,
      description:
        'Size batches from measured append latency and throughput (true) or always use initialEvents (false).',
    },
    minEvents: {
      kind: 'integer',
      min: 1,
      max: 10_000,
      default: 1,
      description: 'Smallest batch the tuner may choose.',
    },
    initialEvents: {
      kind: 'integer',
      min: 1,
      max: 10_000,
      default: 50,
      description:
        'Batch size at start (and the fixed size when adaptive is false). minEvents <= initialEvents <= maxEvents.',
    },
    maxEvents: {
      kind: 'integer',
      min: 1,
      max: 10_000,
      default: 500,
      description: 'Largest batch the tuner may choose.',
    },
    maxBytes: {
      kind: 'integer',
      min: 1024,
      max: MAX_BATCH_BYTES,
      default: 900_000,
      description: `Upper bound of one append in bytes (data + metadata); at most ${MAX_BATCH_BYTES} (1 MiB minus 64 KiB headroom).`,
    },
  },
};

export const bufferSpec: ObjectSpec = {
  kind: 'object',
  description: 'Read buffer bounds: reading from the origin pauses when either bound is reached.',
  fields: {
    maxEvents: {
      kind: 'integer',
      min: 1,
      max: 10_000_000,
      default: 50_000,
      description: 'Most events held in memory.',
    },
    maxBytes: {
      kind: 'integer',
      min: 64 * 1024,
      max: 16 * 1024 * MIB,
      default: 32 * MIB,
      description: 'Most bytes (data + metadata) held in memory.',
    },
  },
};

export const retrySpec: ObjectSpec = {
  kind: 'object',
  description: 'Capped exponential backoff with jitter for transient errors (unavailable, deadline, not leader).',
  fields: {
    initialDelayMs: { kind: 'integer', min: 1, max: 600_000, default: 100, description: 'First retry delay.' },
    maxDelayMs: {
      kind: 'integer',
      min: 1,
      max: 3_600_000,
      default: 10_000,
      description: 'Longest retry delay (initialDelayMs <= maxDelayMs).',
    },
  },
};

/** Options that apply to one link; settable per link, per preset and in `defaults`. */
export const linkOptionFields: Readonly<Record<string, FieldSpec>> = {
  conflicts: {
    kind: 'string',
    enum: ['metadata', 'stream', 'halt'],
    default: 'stream',
    description:
      'What to do when the destination stream holds a different event where the origin event belongs: ' +
      '"stream" writes it to $conflicts-from-{origin}-to-{destination} and moves on, "metadata" appends it anyway ' +
      'and records the conflict in its metadata, "halt" stops the link.',
  },
  ordering: {
    kind: 'string',
    enum: ['stream', 'global'],
    default: 'stream',
    description:
      '"stream" keeps per-stream order and copies streams in parallel lanes; "global" uses one lane so the ' +
      "destination's $all shows events in the origin's order (slower).",
  },
  annotate: {
    kind: 'boolean',
    default: true,
    description:
      'Add $origin, $applies, $eventStreamId and $eventNumber to JSON metadata. Loop prevention needs it: a link ' +
      'on a cycle must annotate. Turn off only for exact copies (active/passive).',
  },
  replicateTombstones: { kind: 'boolean', default: true, description: 'Replicate hard deletes (tombstones).' },
  streamPrefix: {
    kind: 'string',
    default: '',
    template: true,
    description:
      'Prefix added to every destination stream name, so fan-in origins cannot collide. {origin} and ' +
      '{destination} are replaced by the node names (for example "{origin}.").',
  },
  filter: filterSpec,
  batch: batchSpec,
  lanes: {
    kind: 'integer',
    min: 1,
    max: 1024,
    default: 16,
    description: 'Streams copied in parallel (ignored with ordering "global").',
  },
  buffer: bufferSpec,
  readerThread: {
    kind: 'string',
    enum: ['auto', 'main', 'worker'],
    default: 'auto',
    description:
      'Where the origin subscription is decoded: "worker" on a thread of its own (more throughput per link when ' +
      'this process has cores to spare), "main" on the link\'s thread (about a fifth less CPU per event), "auto" ' +
      'main when the origin is on this machine (loopback hosts) and worker otherwise.',
  },
  checkpointIntervalMs: {
    kind: 'integer',
    min: 10,
    max: 3_600_000,
    default: 1000,
    description: 'How often the checkpoint is written (also written on going live and on shutdown).',
  },
  retry: retrySpec,
  stallTimeoutMs: {
    kind: 'integer',
    min: 1000,
    max: 86_400_000,
    default: 30_000,
    description: 'No progress for this long while work is pending marks the link stalled.',
  },
};

const linkNameField: StringSpec = {
  kind: 'string',
  minLength: 1,
  template: true,
  pattern: NAME_PATTERN,
  patternHint: NAME_HINT,
  description:
    'Link name, unique in the config; names the checkpoint stream. {origin} and {destination} are replaced by ' +
    'the node names. Default "{origin}-to-{destination}".',
};
const nodeRef = (description: string): StringSpec => ({ kind: 'string', minLength: 1, description });
const nodeList = (description: string, minItems: number): StringListSpec => ({
  kind: 'string-list',
  minItems,
  uniqueItems: true,
  itemMinLength: 1,
  description,
});

function preset(description: string, fields: Record<string, FieldSpec>, required: string[]): ObjectSpec {
  return {
    kind: 'object',
    description,
    fields: {
      type: { kind: 'string', description: 'Preset type.' },
      name: linkNameField,
      ...fields,
      ...linkOptionFields,
    },
    required: ['type', ...required],
  };
}

export const presetSpec: TaggedSpec = {
  kind: 'tagged',
  tag: 'type',
  description: 'A topology preset that expands into links. Any link option given here applies to every link it makes.',
  variants: {
    'active-passive': preset(
      'One link, origin -> destination.',
      { origin: nodeRef('Origin node.'), destination: nodeRef('Destination node.') },
      ['origin', 'destination'],
    ),
    'active-active': preset(
      'Links both ways between every pair of nodes (a <-> b; three or more nodes make a full mesh).',
      { nodes: nodeList('Nodes that replicate to each other (at least 2).', 2) },
      ['nodes'],
    ),
    chain: preset(
      'Links from each node to the next: a -> b -> c.',
      { nodes: nodeList('Nodes in chain order (at least 2).', 2) },
      ['nodes'],
    ),
    'fan-in': preset(
      'Links from every origin into one destination. Give streamPrefix (e.g. "{origin}.") so origins cannot collide.',
      { origins: nodeList('Origin nodes (at least 1).', 1), destination: nodeRef('Destination node.') },
      ['origins', 'destination'],
    ),
    'fan-out': preset(
      'Links from one origin to every destination.',
      { origin: nodeRef('Origin node.'), destinations: nodeList('Destination nodes (at least 1).', 1) },
      ['origin', 'destinations'],
    ),
  },
};

export const nodeSpec: ObjectSpec = {
  kind: 'object',
  description:
    'One database. Give connectionString or connectionStringFile; ESDB_LINKER_NODE_<NAME>_CONNECTION_STRING overrides both.',
  fields: {
    name: {
      kind: 'string',
      minLength: 1,
      pattern: NAME_PATTERN,
      patternHint: NAME_HINT,
      description: 'Unique node name; used in stream names, $origin annotations and env var names.',
    },
    connectionString: {
      kind: 'string',
      minLength: 1,
      secret: true,
      description: 'esdb:// or esdb+discover:// connection string (may carry credentials; never logged).',
    },
    connectionStringFile: {
      kind: 'string',
      minLength: 1,
      description: 'File holding the connection string (trimmed), e.g. a mounted secret. Relative to the config file.',
    },
    nodePreference: {
      kind: 'string',
      enum: NODE_PREFERENCES,
      description:
        'Which cluster member the client picks by gossip: "leader" (the default), "follower" (spares the leader ' +
        'for origin reads, as the official replicator does; writes to a follower are forwarded), "random" or ' +
        '"read_only_replica". Added to the connection string as its nodePreference key; needs a multi-host or ' +
        'esdb+discover:// string.',
    },
  },
  required: ['name'],
};

export const linkSpec: ObjectSpec = {
  kind: 'object',
  description: 'One link: copies events from origin to destination.',
  fields: {
    name: linkNameField,
    origin: nodeRef('Origin node name.'),
    destination: nodeRef('Destination node name.'),
    ...linkOptionFields,
  },
  required: ['origin', 'destination'],
};

export const httpSpec: ObjectSpec = {
  kind: 'object',
  description: 'HTTP endpoint for metrics, health, status API and status page. Absent = no endpoint.',
  fields: {
    host: { kind: 'string', minLength: 1, default: '127.0.0.1', description: 'Address to listen on.' },
    port: {
      kind: 'integer',
      min: 0,
      max: 65_535,
      default: 8113,
      description: 'Port to listen on (0 picks a free port).',
    },
    token: {
      kind: 'string',
      minLength: 1,
      secret: true,
      description: 'Bearer token required by every endpoint but /health/live.',
    },
    tokenFile: {
      kind: 'string',
      minLength: 1,
      description: 'File holding the bearer token (trimmed). Relative to the config file.',
    },
  },
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logSpec: ObjectSpec = {
  kind: 'object',
  description: 'Logging.',
  fields: {
    level: { kind: 'string', enum: LOG_LEVELS, default: 'info', description: 'Lowest level written.' },
    format: {
      kind: 'string',
      enum: ['json', 'pretty', 'auto'],
      default: 'auto',
      description: '"auto" = pretty on a terminal, JSON otherwise.',
    },
  },
};

const durationMs = (min: number, max: number, def: number, description: string): IntegerSpec => ({
  kind: 'integer',
  min,
  max,
  default: def,
  description,
});

export const clusterSpec: ObjectSpec = {
  kind: 'object',
  description:
    'Cluster mode: several processes run this same config and split its links through per-link leases on a ' +
    'coordinator. Absent = this one process runs every link.',
  fields: {
    coordination: {
      kind: 'string',
      enum: ['kurrentdb', 'redis'],
      default: 'kurrentdb',
      description:
        'Where leases live: "kurrentdb" (streams in the database of `node`, expected revisions as compare-and-swap) ' +
        'or "redis" (the server at `redis`).',
    },
    node: {
      kind: 'string',
      minLength: 1,
      description: "kurrentdb: the node holding the coordination streams. Default: the first link's destination.",
    },
    redis: {
      kind: 'string',
      minLength: 1,
      secret: true,
      description:
        'redis: the server URL (redis://[user:password@]host:port[/db], rediss:// for TLS); never logged. ' +
        'ESDB_LINKER_CLUSTER_REDIS overrides it.',
    },
    redisFile: {
      kind: 'string',
      minLength: 1,
      description: 'redis: file holding the server URL (trimmed), e.g. a mounted secret. Relative to the config file.',
    },
    name: {
      kind: 'string',
      minLength: 1,
      pattern: NAME_PATTERN,
      patternHint: NAME_HINT,
      default: 'default',
      description: 'Cluster name: several clusters may share one coordinator.',
    },
    member: {
      kind: 'string',
      minLength: 1,
      pattern: NAME_PATTERN,
      patternHint: NAME_HINT,
      description:
        "This process's member id, unique in the cluster. Default hostname-pid; ESDB_LINKER_MEMBER overrides.",
    },
    leaseTtlMs: durationMs(
      1_000,
      600_000,
      15_000,
      "A lease seen unchanged for this long (on the contender's own clock) may be taken over.",
    ),
    renewIntervalMs: durationMs(100, 60_000, 3_000, 'How often an owner renews its leases and heartbeats.'),
    giveUpAfterMs: durationMs(
      500,
      600_000,
      10_000,
      'An owner that could not renew for this long stops its links. renewIntervalMs + giveUpAfterMs < leaseTtlMs.',
    ),
    rebalanceDelayMs: durationMs(
      0,
      3_600_000,
      10_000,
      'A member must be alive this long before links are handed over to it.',
    ),
  },
};

export const configSpec: ObjectSpec = {
  kind: 'object',
  description: 'esdb-linker configuration.',
  fields: {
    $schema: { kind: 'string', description: 'JSON schema reference for editors; ignored.' },
    nodes: { kind: 'array', items: nodeSpec, minItems: 2, description: 'The databases (at least 2).' },
    links: { kind: 'array', items: linkSpec, description: 'Explicit links.' },
    topology: { kind: 'array', items: presetSpec, description: 'Topology presets, expanded into links.' },
    defaults: {
      kind: 'object',
      fields: linkOptionFields,
      description: 'Link options applied to every link unless the link or its preset sets them.',
    },
    http: httpSpec,
    log: logSpec,
    cluster: clusterSpec,
    shutdownGraceMs: {
      kind: 'integer',
      min: 0,
      max: 600_000,
      default: 10_000,
      description: 'How long SIGTERM waits for in-flight appends and checkpoints before forcing.',
    },
  },
  required: ['nodes'],
};
