/** What a lease record holds. The store's version (revision, token) is the compare-and-swap handle, not this. */
export interface LeaseRecord {
  holder: string;
  /** Random per process run: a restarted member with the same id does not inherit its old leases early. */
  instance: string;
  /** Grows on every acquisition (never on renew): a fencing token carried by conflict records. */
  epoch: number;
  /** Counts renewals, so every renew writes a different record. */
  renewals: number;
}

export function isLeaseRecord(value: unknown): value is LeaseRecord {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.holder === 'string' &&
    typeof v.instance === 'string' &&
    typeof v.epoch === 'number' &&
    typeof v.renewals === 'number'
  );
}
