import { createHash } from 'node:crypto';

/**
 * A UUID (version 5 layout) derived from a name. Conflict records are written with expected revision `any`,
 * whose duplicate detection on the server is only a bounded cache; a stable id lets a replay after a crash
 * find the record it already wrote.
 */
export function deterministicUuid(...parts: string[]): string {
  const hash = createHash('sha1').update(parts.join('\u0000')).digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
