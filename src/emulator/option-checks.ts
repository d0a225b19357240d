import { LinkerError } from '../shared/errors.js';

export const DEFAULT_MAX_APPEND_SIZE = 1_048_576;

/** A listening port: 0 (any free one) to 65535. */
export function checkPort(value: unknown, what = 'emulator port'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new LinkerError(
      'ESDBL_EMULATOR_BAD_OPTION',
      `${what} must be an integer from 0 to 65535, got ${String(value)}`,
    );
  }
  return value;
}

export function checkMaxAppendSize(value: unknown): number {
  const size = value ?? DEFAULT_MAX_APPEND_SIZE;
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) {
    throw new LinkerError(
      'ESDBL_EMULATOR_BAD_OPTION',
      `emulator maxAppendSize must be a positive integer, got ${String(value)}`,
    );
  }
  return size;
}
