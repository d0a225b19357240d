import { randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { ANY, type EventStoreDBClient } from '@eventstore/db-client';
import { rawEvent } from '../../src/client/raw-bytes.js';

/**
 * Seeded random workloads for the topology tests: varied stream counts, JSON and binary data whose exact bytes
 * matter (whitespace, numbers beyond 2^53, unicode), and every metadata shape a link must handle (empty, JSON
 * object, array, scalar, bytes that are not JSON). The seed is printed by the tests and can be forced with
 * `TOPOLOGY_SEED` to replay a failing run.
 */
export interface Random {
  readonly seed: number;
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  bytes(length: number): Uint8Array;
}

/** mulberry32: small, fast and good enough to spread test cases; not for anything secret. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    seed,
    next,
    int,
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)]!;
    },
    bytes(length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = int(0, 255);
      return out;
    },
  };
}

/** The seed of this run: `TOPOLOGY_SEED` when set (replaying a failure), otherwise a fresh one. */
export function workloadSeed(): number {
  const forced = process.env.TOPOLOGY_SEED;
  if (forced !== undefined && forced !== '') {
    const n = Number(forced);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      throw new Error(`TOPOLOGY_SEED must be an integer in [0, 2^32), got ${JSON.stringify(forced)}`);
    }
    return n;
  }
  return randomInt(0, 0xffffffff);
}

export type ContentType = 'application/json' | 'application/octet-stream';

/** One event as the workload wrote it: the bytes every replica must end up with. */
export interface WrittenEvent {
  node: string;
  stream: string;
  id: string;
  type: string;
  contentType: ContentType;
  data: Uint8Array;
  metadata: Uint8Array;
}

const encoder = new TextEncoder();
const EVENT_TYPES = ['OrderPlaced', 'OrderShipped', 'PaymentTaken', 'user.renamed', 'Ping', 'Stock-Adjusted'];
const WORDS = ['alpha', 'Ünïcödé', 'δέλτα', '東京', 'emoji 🚚', 'quote "q"', 'back\\slash', 'tab\tin'];

/** A UUID v4 drawn from the seeded generator, so a replayed seed writes the same ids. */
export function seededUuid(rng: Random): string {
  const b = rng.bytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Buffer.from(b).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function jsonData(rng: Random, node: string, stream: string, n: number): string {
  switch (rng.int(0, 4)) {
    case 0:
      return JSON.stringify({ node, stream, n, word: rng.pick(WORDS) });
    case 1:
      // Whitespace and key order a JSON round trip would change.
      return `{ "n" : ${n},\n  "node": "${node}",  "nested": { "list": [1, 2.50, -0, 3e5], "flag": true } }`;
    case 2:
      // Beyond 2^53: only a byte-exact copy keeps it.
      return `{"id":${n},"big":12345678901234567890123,"small":0.1000000000000000055511151231257827}`;
    case 3: {
      const pad = 'p'.repeat(rng.int(0, 3) === 0 ? rng.int(2_000, 24_000) : rng.int(0, 200));
      return JSON.stringify({ n, pad, words: [rng.pick(WORDS), rng.pick(WORDS)] });
    }
    default:
      return JSON.stringify([n, node, null, { deep: { deeper: { deepest: rng.pick(WORDS) } } }]);
  }
}

/** Which event metadata a workload writes. */
export type MetadataShapes = 'all' | 'json-object';

type MetadataShape = (rng: Random, node: string, n: number) => Uint8Array;

/** Shapes a link can annotate: empty, or a JSON object. */
const OBJECT_SHAPES: readonly MetadataShape[] = [
  () => new Uint8Array(0),
  (_rng, node, n) => encoder.encode(JSON.stringify({ $correlationId: `c-${n}`, $causationId: `k-${n}`, user: node })),
  (rng, _node, n) =>
    encoder.encode(
      `{ "tenant" : "t${n % 7}",\n "tags": [${JSON.stringify(rng.pick(WORDS))}], "big": 98765432109876543210 }`,
    ),
  // An explicit opt-out of `$local`: still replicated.
  (_rng, _node, n) => encoder.encode(JSON.stringify({ $local: false, seq: n })),
  (rng, _node, n) => encoder.encode(JSON.stringify({ note: rng.pick(WORDS), n, nested: { a: [1, { b: null }] } })),
];

/** Shapes that are copied byte for byte and never annotated. */
const OTHER_SHAPES: readonly MetadataShape[] = [
  (_rng, _node, n) => encoder.encode(JSON.stringify([n, 'array metadata'])),
  (_rng, _node, n) => encoder.encode(JSON.stringify(`scalar metadata ${n}`)),
  // Not JSON at all.
  (rng) => rng.bytes(rng.int(1, 64)),
];

function metadataBytes(rng: Random, node: string, n: number, shapes: MetadataShapes): Uint8Array {
  const pool = shapes === 'json-object' || rng.chance(0.65) ? OBJECT_SHAPES : OTHER_SHAPES;
  return rng.pick(pool)(rng, node, n);
}

/** One random event for `stream`, written (later) on `node`. */
export function randomEvent(rng: Random, node: string, stream: string, shapes: MetadataShapes = 'all'): WrittenEvent {
  const n = rng.int(0, 999_999);
  const binary = rng.chance(0.35);
  const data = binary
    ? rng.bytes(rng.int(0, 4) === 0 ? rng.int(0, 8) : rng.int(16, 3_000))
    : encoder.encode(jsonData(rng, node, stream, n));
  return {
    node,
    stream,
    id: seededUuid(rng),
    type: rng.pick(EVENT_TYPES),
    contentType: binary ? 'application/octet-stream' : 'application/json',
    data,
    metadata: metadataBytes(rng, node, n, shapes),
  };
}

/** `count` stream names `${prefix}${i}`, with a random suffix shape so names do not all look alike. */
export function streamNames(rng: Random, prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}${rng.pick(['', '-x', '_y', '.z'])}`);
}

export async function appendEvents(client: EventStoreDBClient, stream: string, events: WrittenEvent[]): Promise<void> {
  await client.appendToStream(
    stream,
    events.map((e) =>
      rawEvent({ id: e.id, type: e.type, contentType: e.contentType, data: e.data, metadata: e.metadata }),
    ),
    { expectedRevision: ANY },
  );
}

/** Sets stream metadata (custom keys, limits too high to truncate anything) with exact bytes. */
export async function setStreamMetadata(client: EventStoreDBClient, rng: Random, stream: string): Promise<void> {
  const text = rng.chance(0.5)
    ? `{"$maxCount":1000000,"team":"${rng.pick(['blue', 'red'])}","retention":{"days":${rng.int(1, 99)}}}`
    : `{ "$maxAge" : 31536000, "owner": ${JSON.stringify(rng.pick(WORDS))} }`;
  await client.appendToStream(
    `$$${stream}`,
    rawEvent({ id: seededUuid(rng), type: '$metadata', contentType: 'application/json', data: encoder.encode(text) }),
    { expectedRevision: ANY },
  );
}

export interface WriterOptions {
  client: EventStoreDBClient;
  node: string;
  rng: Random;
  streams: readonly string[];
  /** Appends to make (each of 1..maxBatch events to one random stream). */
  appends: number;
  maxBatch: number;
  /** Yield to other work every few appends so writers on several nodes interleave with the links. */
  pauseEvery?: number;
  /** @defaultValue 'all' */
  metadata?: MetadataShapes;
  /** Awaited before each append: lets a test hold the writers at a known point. */
  beforeAppend?: () => Promise<void>;
}

/** Appends random events (expected revision `any`, as an application would) and returns them in write order. */
export async function runWriter(options: WriterOptions): Promise<WrittenEvent[]> {
  const { client, node, rng, streams } = options;
  const written: WrittenEvent[] = [];
  const pauseEvery = options.pauseEvery ?? 4;
  for (let i = 0; i < options.appends; i++) {
    await options.beforeAppend?.();
    const stream = rng.pick(streams);
    const events = Array.from({ length: rng.int(1, options.maxBatch) }, () =>
      randomEvent(rng, node, stream, options.metadata),
    );
    await appendEvents(client, stream, events);
    written.push(...events);
    if (i % pauseEvery === pauseEvery - 1) await delay(rng.int(0, 8));
  }
  return written;
}

/** Writes at least one batch to each stream first, so every stream exists with events before the links run. */
export async function seedStreams(options: WriterOptions): Promise<WrittenEvent[]> {
  const written: WrittenEvent[] = [];
  for (const stream of options.streams) {
    const events = Array.from({ length: options.rng.int(1, options.maxBatch) }, () =>
      randomEvent(options.rng, options.node, stream, options.metadata),
    );
    await appendEvents(options.client, stream, events);
    written.push(...events);
  }
  return written;
}

/** Holds writers (through `beforeAppend`) between two appends, so no append is in flight while it is closed. */
export class WriterGate {
  private closed: { promise: Promise<void>; open: () => void } | undefined;
  private parked = 0;

  /** Pass as `beforeAppend`. */
  readonly beforeAppend = async (): Promise<void> => {
    const closed = this.closed;
    if (!closed) return;
    this.parked++;
    await closed.promise;
    this.parked--;
  };

  close(): void {
    if (this.closed) return;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.closed = { promise, open };
  }

  open(): void {
    this.closed?.open();
    this.closed = undefined;
  }

  /** Writers currently held. */
  get held(): number {
    return this.parked;
  }
}
