import { editJsonObject, jsonObjectText, type MemberEdit } from '../../shared/json-object-text.js';

/**
 * Linker-compatible annotations and loop prevention (riccardone/Linker `LinkerHelper`):
 * - `$origin` is the comma-separated chain of node names an event was copied FROM, one name appended per
 *   hop (written on A, copied A->B: `"A"`; then B->C: `"A,B"`);
 * - `$applies` (original created time, .NET round-trip format with 7 fractional digits), `$eventStreamId` and
 *   `$eventNumber` (a JSON number) are set on the first hop only (kept when present);
 * - empty metadata becomes an object holding only the annotations (as Linker does), so loop prevention
 *   also works for events written without metadata;
 * - metadata that is not a JSON object (array, string, number, non-JSON bytes) is copied byte for byte and
 *   never annotated.
 */
export interface AnnotationInput {
  /** Name of the link's origin node: the name this hop appends to `$origin`. */
  originNode: string;
  streamId: string;
  revision: bigint;
  /** The origin event's created time, ms since the epoch. */
  createdMs: number;
}

/**
 * UTF-8 bytes of annotated metadata. `Buffer.from` copies small texts into Node's shared pool, where
 * `TextEncoder.encode` allocates an ArrayBuffer per event (several times the cost, plus sweeping).
 */
function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** .NET `DateTime.ToString("o")` for a UTC time: `2026-11-23T14:16:42.1230000Z`. */
export function dotnetRoundTrip(date: Date): string {
  // toISOString always ends in `.mmmZ`; .NET prints ticks, 7 digits.
  return `${date.toISOString().slice(0, -1)}0000Z`;
}

// Events of a catch-up come in runs written within the same millisecond: format each millisecond once.
let lastAppliesMs = Number.NaN;
let lastAppliesJson = '';

function appliesJson(createdMs: number): string {
  if (createdMs !== lastAppliesMs) {
    lastAppliesJson = JSON.stringify(dotnetRoundTrip(new Date(createdMs)));
    lastAppliesMs = createdMs;
  }
  return lastAppliesJson;
}

// The annotations of an event without metadata, up to its stream name, as UTF-8: the same for a whole run
// of events (one origin node, one millisecond), so each event copies it instead of building and encoding it.
let headKey = '';
let headBytes: Buffer = Buffer.alloc(0);
const EVENT_NUMBER_KEY = Buffer.from(',"$eventNumber":', 'utf8');
const CLOSE = 0x7d; // }
const QUOTE = 0x22;

function annotationsHead(originNode: string, createdMs: number): Buffer {
  const applies = appliesJson(createdMs);
  const key = originNode + applies;
  if (key !== headKey) {
    headBytes = Buffer.from(`{"$origin":${JSON.stringify(originNode)},"$applies":${applies},"$eventStreamId":`, 'utf8');
    headKey = key;
  }
  return headBytes;
}

/**
 * Exactly the UTF-8 of `{"$origin":…,"$applies":…,"$eventStreamId":…,"$eventNumber":…}`, written in place:
 * the common stream name (printable ASCII, nothing JSON escapes) byte by byte, any other through
 * JSON.stringify and UTF-8.
 */
function annotationsOnly(input: AnnotationInput): Uint8Array {
  const head = annotationsHead(input.originNode, input.createdMs);
  const streamId = input.streamId;
  const revision = input.revision.toString();
  const n = streamId.length;
  for (let i = 0; i < n; i++) {
    const c = streamId.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      return utf8(`${head.toString('utf8')}${JSON.stringify(streamId)},"$eventNumber":${revision}}`);
    }
  }
  // Pooled below 4 KiB, as `Buffer.from(text)` is (see utf8()).
  const out = Buffer.allocUnsafe(head.length + n + 2 + EVENT_NUMBER_KEY.length + revision.length + 1);
  out.set(head, 0);
  let p = head.length;
  out[p++] = QUOTE;
  for (let i = 0; i < n; i++) out[p++] = streamId.charCodeAt(i);
  out[p++] = QUOTE;
  out.set(EVENT_NUMBER_KEY, p);
  p += EVENT_NUMBER_KEY.length;
  for (let i = 0; i < revision.length; i++) out[p++] = revision.charCodeAt(i);
  out[p] = CLOSE;
  return out;
}

export type LoopDecision = { copy: true } | { copy: false; reason: 'local' | 'origin-loop' | 'destination-loop' };

export function originChain(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Whether a link may copy an event, from its metadata. Dropped: `$local` present and not `false` (Linker
 * drops on presence; `$local: false` is kept as an explicit opt-out), an `$origin` chain that names the
 * destination (it would come home) or the origin (it already went round a ring). Names compare
 * case-insensitively for the destination and exactly for the origin, as Linker does.
 */
export function loopDecision(metadata: Uint8Array, originNode: string, destinationNode: string): LoopDecision {
  return loopDecisionOf(jsonObjectText(metadata), originNode, destinationNode);
}

/**
 * The node an event was first written on: the first entry of its `$origin` chain, or `holder` (the node it
 * is read from) when the metadata carries none. Metadata that is not a JSON object cannot say, so such an
 * event counts as written on its holder.
 */
export function firstWriter(parsed: ParsedMetadata, holder: string): string {
  if (!parsed) return holder;
  return originChain(parsed.value.$origin)[0] ?? holder;
}

/** The metadata as a JSON object, parsed once per event; undefined when empty or not a JSON object. */
export function parseMetadata(metadata: Uint8Array): ParsedMetadata {
  return metadata.length === 0 ? undefined : jsonObjectText(metadata);
}

function loopDecisionOf(parsed: ParsedMetadata, originNode: string, destinationNode: string): LoopDecision {
  if (!parsed) return { copy: true };
  const meta = parsed.value;
  if ('$local' in meta && meta.$local !== false) return { copy: false, reason: 'local' };
  const chain = originChain(meta.$origin);
  const dest = destinationNode.toLowerCase();
  if (chain.some((n) => n.toLowerCase() === dest)) return { copy: false, reason: 'destination-loop' };
  if (chain.some((n) => n === originNode)) return { copy: false, reason: 'origin-loop' };
  return { copy: true };
}

function originEdit(originNode: string): MemberEdit {
  return {
    key: '$origin',
    set: (old) => {
      if (old === undefined) return JSON.stringify(originNode);
      let prev: unknown;
      try {
        prev = JSON.parse(old);
      } catch {
        prev = old;
      }
      if (prev === null || prev === '') return JSON.stringify(originNode);
      return JSON.stringify(`${typeof prev === 'string' ? prev : JSON.stringify(prev)},${originNode}`);
    },
  };
}

/** The metadata bytes to write for a replicated event (the input itself when it cannot be annotated). */
export function annotateMetadata(metadata: Uint8Array, input: AnnotationInput): Uint8Array {
  return annotateParsed(metadata, metadata.length === 0 ? undefined : jsonObjectText(metadata), input);
}

export type ParsedMetadata = ReturnType<typeof jsonObjectText>;

function annotateParsed(metadata: Uint8Array, parsed: ParsedMetadata, input: AnnotationInput): Uint8Array {
  if (metadata.length === 0) {
    // No metadata (the common case): the annotations alone, exactly what the edits below give for `{}`.
    return annotationsOnly(input);
  }
  if (!parsed) return metadata;
  const edits: MemberEdit[] = [
    originEdit(input.originNode),
    { key: '$applies', addIfAbsent: appliesJson(input.createdMs) },
    { key: '$eventStreamId', addIfAbsent: JSON.stringify(input.streamId) },
    { key: '$eventNumber', addIfAbsent: input.revision.toString() },
  ];
  return utf8(editJsonObject(parsed.text, edits));
}

export type CopyDecision = { copy: true; metadata: Uint8Array } | Extract<LoopDecision, { copy: false }>;

/**
 * Loop prevention and, when `annotate` is given, the annotated metadata, parsing the metadata once (the
 * link does both for every event).
 */
export function copyDecision(
  metadata: Uint8Array,
  nodes: { origin: string; destination: string },
  annotate: AnnotationInput | undefined,
  parsed: ParsedMetadata = parseMetadata(metadata),
): CopyDecision {
  const loop = loopDecisionOf(parsed, nodes.origin, nodes.destination);
  if (!loop.copy) return loop;
  return { copy: true, metadata: annotate ? annotateParsed(metadata, parsed, annotate) : metadata };
}

/** Sets (overwrites) top-level keys with string values; undefined when the metadata is not a JSON object. */
export function withStringKeys(metadata: Uint8Array, keys: Record<string, string>): Uint8Array | undefined {
  let text: string;
  if (metadata.length === 0) text = '{}';
  else {
    const parsed = jsonObjectText(metadata);
    if (!parsed) return undefined;
    text = parsed.text;
  }
  const edits: MemberEdit[] = Object.entries(keys).map(([key, value]) => ({
    key,
    set: () => JSON.stringify(value),
  }));
  return utf8(editJsonObject(text, edits));
}

/** `$eventStreamId`/`$eventNumber` of an annotated replica, read textually (numbers may exceed 2^53). */
export function replicaSource(metadata: Uint8Array): { streamId: string; revision: bigint } | undefined {
  const parsed = jsonObjectText(metadata);
  if (!parsed) return undefined;
  const streamId = parsed.value.$eventStreamId;
  if (typeof streamId !== 'string') return undefined;
  const m = /"\$eventNumber"\s*:\s*(\d+)/.exec(parsed.text);
  if (!m?.[1]) return undefined;
  return { streamId, revision: BigInt(m[1]) };
}
