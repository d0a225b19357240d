import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COORDINATION_STREAM_PREFIX } from '../../src/link/bookkeeping.js';
import { compileFilter, NO_FILTER } from '../../src/link/filter/event-filter.js';
import type { LinkFilterOptions } from '../../src/link/link-options.js';

const none: LinkFilterOptions = NO_FILTER;

test("cluster mode's coordination streams (not $-prefixed) are never copied, even when a filter names them", () => {
  const lease = `${COORDINATION_STREAM_PREFIX}lease-prod_orders`;
  for (const filter of [none, { ...none, includeStreamPrefixes: ['esdb-linker-'] }]) {
    const f = compileFilter(filter, true);
    assert.equal(f.classify(lease, 'LeaseWritten', 0n).copy, false);
    assert.equal(f.classify(`$$${lease}`, '$metadata', 0n).copy, false);
  }
  assert.equal(compileFilter(none, true).classify('esdb-linker-other', 'E', 0n).copy, true);
});
