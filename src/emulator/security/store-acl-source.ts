import type { EventStore } from '../store/event-store.js';
import type { EventRecord } from '../store/types.js';
import { parseStreamAcl, parseSystemSettings, type Acl, type AclSource, type SystemSettings } from './acl.js';

const SETTINGS_STREAM = '$settings';

/**
 * ACLs as the store holds them: the last event of `$settings` and the last `$metadata` of `$$stream`. Parsed
 * values are cached per record, so several nodes over one store share one view and a re-check after an
 * unrelated write costs a map lookup.
 */
export class StoreAclSource implements AclSource {
  private readonly settingsCache = new WeakMap<EventRecord, SystemSettings | null>();
  private readonly aclCache = new WeakMap<EventRecord, Acl | null>();

  constructor(private readonly store: EventStore) {}

  settings(): SystemSettings | undefined {
    const record = this.lastOf(SETTINGS_STREAM);
    if (record === undefined) return undefined;
    let cached = this.settingsCache.get(record);
    if (cached === undefined) {
      cached = parseSystemSettings(record.data) ?? null;
      this.settingsCache.set(record, cached);
    }
    return cached ?? undefined;
  }

  streamAcl(streamId: string): Acl | undefined {
    const record = this.lastOf(`$$${streamId}`);
    if (record === undefined) return undefined;
    let cached = this.aclCache.get(record);
    if (cached === undefined) {
      cached = parseStreamAcl(record.data) ?? null;
      this.aclCache.set(record, cached);
    }
    return cached ?? undefined;
  }

  /** Identity of everything an ACL decision on `streamId` depends on; it changes when a decision may. */
  versionOf(streamId: string): readonly unknown[] {
    return [this.lastOf(SETTINGS_STREAM), this.lastOf(`$$${streamId}`)];
  }

  private lastOf(streamId: string): EventRecord | undefined {
    const events = this.store.stream(streamId)?.events;
    return events === undefined ? undefined : events[events.length - 1];
  }
}
