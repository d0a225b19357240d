/** UUID conversions between the wire's two forms (string, structured big-endian halves) and canonical text. */

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_TEXT = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export interface WireUuid {
  structured?: { most_significant_bits?: string; least_significant_bits?: string } | null;
  string?: string | null;
  value?: string;
}

/** Canonical lower-case 8-4-4-4-12 text, or `undefined` when the input is not a UUID. */
export function normaliseUuidText(text: string): string | undefined {
  // Fast path: clients send canonical lower-case text, which needs no copying.
  if (text.length === 36 && CANONICAL.test(text)) return text;
  const trimmed = text.trim().replace(/^\{(.*)\}$/, '$1');
  if (!UUID_TEXT.test(trimmed)) return undefined;
  const hex = trimmed.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Parses either wire form; `undefined` when absent or malformed. */
export function uuidFromWire(uuid: WireUuid | null | undefined): string | undefined {
  if (!uuid) return undefined;
  if (uuid.value === 'structured' || (uuid.value === undefined && uuid.structured)) {
    const s = uuid.structured;
    if (!s) return undefined;
    try {
      const msb = BigInt.asUintN(64, BigInt(s.most_significant_bits ?? '0'));
      const lsb = BigInt.asUintN(64, BigInt(s.least_significant_bits ?? '0'));
      const hex = msb.toString(16).padStart(16, '0') + lsb.toString(16).padStart(16, '0');
      return normaliseUuidText(hex);
    } catch {
      return undefined;
    }
  }
  if (typeof uuid.string === 'string') return normaliseUuidText(uuid.string);
  return undefined;
}

/** The structured halves as signed int64 values (how .NET and Rust clients send them). */
export function uuidToStructured(text: string): { msb: bigint; lsb: bigint } {
  const hex = text.replace(/-/g, '');
  return {
    msb: BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)),
    lsb: BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)),
  };
}
