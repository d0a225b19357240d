import type { RecordedEvent } from '@eventstore/db-client';
import { rawBytesOf } from '../client/raw-bytes.js';
import { REPLICATION_ANNOTATION_KEYS } from './annotation-keys.js';
import type { DifferenceKind } from './compare-types.js';
import { parseJsonObjectBytes, type JsonObjectText } from '../shared/json-object-text.js';

export interface EventMismatch {
  kind: DifferenceKind;
  detail: string;
}

const PREVIEW_CHARS = 60;

/** The first way two events at the same place in a stream differ, or undefined when they are copies. */
export function compareEvents(
  origin: RecordedEvent,
  destination: RecordedEvent,
  ignoreAnnotations: boolean,
  /** False when the destination holds a selection of the origin's events (the gaps closed up). */
  sameRevisions = true,
): EventMismatch | undefined {
  if (sameRevisions && origin.revision !== destination.revision) {
    return {
      kind: 'revision',
      detail: `origin revision ${origin.revision}, destination revision ${destination.revision}`,
    };
  }
  if (origin.id !== destination.id) {
    return { kind: 'event-id', detail: `origin id ${origin.id}, destination id ${destination.id}` };
  }
  if (origin.type !== destination.type) {
    return {
      kind: 'event-type',
      detail: `origin type ${quote(origin.type)}, destination type ${quote(destination.type)}`,
    };
  }
  if (origin.isJson !== destination.isJson) {
    return {
      kind: 'content-type',
      detail: `origin ${contentTypeOf(origin)}, destination ${contentTypeOf(destination)}`,
    };
  }
  const originBytes = rawBytesOf(origin);
  const destinationBytes = rawBytesOf(destination);
  const dataDiff = describeByteDifference(originBytes.data, destinationBytes.data);
  if (dataDiff !== undefined) return { kind: 'data', detail: dataDiff };
  const metadataDiff = compareMetadata(originBytes.metadata, destinationBytes.metadata, ignoreAnnotations);
  if (metadataDiff !== undefined) return { kind: 'metadata', detail: metadataDiff };
  return undefined;
}

/**
 * Event metadata: byte for byte, except that with `ignoreAnnotations` two JSON objects (an empty side
 * counts as `{}`, since replication may annotate an event that had no metadata) are compared key by key
 * without the replication keys.
 */
export function compareMetadata(
  origin: Uint8Array,
  destination: Uint8Array,
  ignoreAnnotations: boolean,
): string | undefined {
  if (ignoreAnnotations) {
    const o = origin.length === 0 ? new Map<string, string>() : parseJsonObjectBytes(origin);
    const d = destination.length === 0 ? new Map<string, string>() : parseJsonObjectBytes(destination);
    if (o && d && (origin.length > 0 || destination.length > 0)) {
      return describeObjectDifference(o, d, REPLICATION_ANNOTATION_KEYS);
    }
  }
  return describeByteDifference(origin, destination);
}

/** Key-by-key difference of two JSON objects (value texts), skipping `ignored` keys. */
export function describeObjectDifference(
  origin: JsonObjectText,
  destination: JsonObjectText,
  ignored: ReadonlySet<string>,
): string | undefined {
  for (const [key, value] of origin) {
    if (ignored.has(key)) continue;
    const other = destination.get(key);
    if (other === undefined) return `key ${quote(key)} only in origin (${preview(value)})`;
    if (other !== value) return `key ${quote(key)}: origin ${preview(value)}, destination ${preview(other)}`;
  }
  for (const [key, value] of destination) {
    if (ignored.has(key) || origin.has(key)) continue;
    return `key ${quote(key)} only in destination (${preview(value)})`;
  }
  return undefined;
}

export function describeByteDifference(origin: Uint8Array, destination: Uint8Array): string | undefined {
  const common = Math.min(origin.length, destination.length);
  let i = 0;
  while (i < common && origin[i] === destination[i]) i++;
  if (i === common && origin.length === destination.length) return undefined;
  return (
    `first difference at byte ${i} (origin ${origin.length} bytes, destination ${destination.length} bytes): ` +
    `origin ${previewBytes(origin, i)}, destination ${previewBytes(destination, i)}`
  );
}

function previewBytes(bytes: Uint8Array, at: number): string {
  if (at >= bytes.length) return '<end>';
  const start = Math.max(0, at - 10);
  const slice = Buffer.from(bytes.subarray(start, start + PREVIEW_CHARS));
  const text = slice.toString('utf8');
  // Show text when it is printable, hex otherwise: binary payloads make unreadable output.
  const printable = ![...text].some((ch) => ch === '\ufffd' || (ch < ' ' && ch !== '\n' && ch !== '\t' && ch !== '\r'));
  const body = printable ? JSON.stringify(text) : `0x${slice.toString('hex')}`;
  return `${start > 0 ? '…' : ''}${body}${start + PREVIEW_CHARS < bytes.length ? '…' : ''}`;
}

function contentTypeOf(event: RecordedEvent): string {
  return event.isJson ? 'application/json' : 'application/octet-stream';
}

function preview(text: string): string {
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

function quote(text: string): string {
  return JSON.stringify(text);
}
