/** Canonical UUID text <-> its 16 bytes, so the log stores ids in 16 bytes instead of a 36-character string each. */

const HEX_PAIRS: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function nibble(code: number): number {
  // '0'-'9' and 'a'-'f' only: ids reach the store in canonical lower-case form (see wire/uuid.ts).
  return code <= 0x39 ? code - 0x30 : code - 0x57;
}

/** Writes canonical 8-4-4-4-12 lower-case text into `out` at `at` as 16 bytes. */
export function writeUuidBytes(text: string, out: Uint8Array, at: number): void {
  let p = at;
  for (let i = 0; i < 36;) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i++;
    out[p++] = (nibble(text.charCodeAt(i)) << 4) | nibble(text.charCodeAt(i + 1));
    i += 2;
  }
}

/** The canonical text of the 16 bytes at `at`. */
export function readUuidBytes(bytes: Uint8Array, at: number): string {
  const h = (i: number): string => HEX_PAIRS[bytes[at + i] as number] as string;
  return (
    h(0) +
    h(1) +
    h(2) +
    h(3) +
    '-' +
    h(4) +
    h(5) +
    '-' +
    h(6) +
    h(7) +
    '-' +
    h(8) +
    h(9) +
    '-' +
    h(10) +
    h(11) +
    h(12) +
    h(13) +
    h(14) +
    h(15)
  );
}
