import type { EventStore } from '../store/event-store.js';
import type { EventRecord } from '../store/types.js';
import { parseStreamAcl, parseSystemSettings, type Acl, type AclSource, type SystemSettings } from './acl.js';

const SETTINGS_STREAM = '$settings';

/**
 * ACLs as the store holds them: the last event of `$settings` and the last `$metadata` of `$$stream`. The
 * store materialises a record on every lookup, so parsed values are cached by the record's log position:
 * several nodes over one store share one view, and a re-check after an unrelated write costs a map lookup.
 */
export class StoreAclSource implements AclSource {
  private settingsCache: { position: number; value: SystemSettings | undefined } | undefined;
  private readonly aclCache = new Map<string, { position: number; value: Acl | undefined }>();

  constructor(private readonly store: EventStore) {}

  settings(): SystemSettings | undefined {
    const record = this.lastOf(SETTINGS_STREAM);
    if (record === undefined) return undefined;
    if (this.settingsCache?.position !== record.position) {
      this.settingsCache = { position: record.position, value: parseSystemSettings(record.data) };
    }
    return this.settingsCache.value;
  }

  streamAcl(streamId: string): Acl | undefined {
    const record = this.lastOf(`$$${streamId}`);
    if (record === undefined) return undefined;
    let cached = this.aclCache.get(streamId);
    if (cached?.position !== record.position) {
      cached = { position: record.position, value: parseStreamAcl(record.data) };
      // Bounded by the number of metadata streams, which the store holds anyway.
      this.aclCache.set(streamId, cached);
    }
    return cached.value;
  }

  /** Identity of everything an ACL decision on `streamId` depends on; it changes when a decision may. */
  versionOf(streamId: string): readonly unknown[] {
    return [this.lastOf(SETTINGS_STREAM)?.position, this.lastOf(`$$${streamId}`)?.position];
  }

  private lastOf(streamId: string): EventRecord | undefined {
    return this.store.stream(streamId)?.last();
  }
}
