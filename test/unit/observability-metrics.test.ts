import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createMetrics } from '../../src/observability/metrics.js';
import { fakeDaemonStatus, fakeLinkStatus } from '../helpers/fake-status.js';

const labels = { link: 'a-to-b', origin: 'a', destination: 'b' };
const sel = 'link="a-to-b",origin="a",destination="b"';

/** The value of one sample line `name{labels} value` in the exposition text, or undefined when absent. */
function sample(text: string, name: string, labelText: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labelText}} `) || l === `${name}{${labelText}}`);
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('link metrics change the exposition text with names, labels and values', async () => {
  const { registry, forLink } = createMetrics({ collectDefault: false });
  const m = forLink(labels);
  let text = await registry.metrics();
  assert.equal(sample(text, 'esdb_linker_events_replicated_total', sel), 0, 'zero-initialised');

  m.replicated(10, 2048);
  m.replicated(5, 1024);
  m.appendLatency(0.004);
  m.appendLatency(2);
  m.batchSize(37);
  m.bufferFill(120, 65536);
  m.conflict('stream');
  m.conflict('stream');
  m.conflict('metadata');
  m.retry('unavailable');
  m.checkpoint(123_456_789n);
  m.lag(42, 1.5);
  m.state('running');
  text = await registry.metrics();

  assert.equal(sample(text, 'esdb_linker_events_replicated_total', sel), 15);
  assert.equal(sample(text, 'esdb_linker_bytes_replicated_total', sel), 3072);
  assert.equal(sample(text, 'esdb_linker_append_latency_seconds_count', sel), 2);
  assert.equal(sample(text, 'esdb_linker_append_latency_seconds_bucket', `le="0.001",${sel}`), 0);
  assert.equal(sample(text, 'esdb_linker_append_latency_seconds_bucket', `le="0.005",${sel}`), 1);
  assert.equal(sample(text, 'esdb_linker_append_latency_seconds_bucket', `le="10",${sel}`), 2);
  assert.equal(sample(text, 'esdb_linker_batch_size_events', sel), 37);
  assert.equal(sample(text, 'esdb_linker_buffer_events', sel), 120);
  assert.equal(sample(text, 'esdb_linker_buffer_bytes', sel), 65536);
  assert.equal(sample(text, 'esdb_linker_conflicts_total', `${sel},policy="stream"`), 2);
  assert.equal(sample(text, 'esdb_linker_conflicts_total', `${sel},policy="metadata"`), 1);
  assert.equal(sample(text, 'esdb_linker_retries_total', `${sel},reason="unavailable"`), 1);
  assert.equal(sample(text, 'esdb_linker_checkpoint_commit_position', sel), 123456789);
  assert.equal(sample(text, 'esdb_linker_lag_events', sel), 42);
  assert.equal(sample(text, 'esdb_linker_lag_seconds', sel), 1.5);
  assert.equal(sample(text, 'esdb_linker_link_state', `${sel},state="running"`), 1);
  assert.equal(sample(text, 'esdb_linker_link_state', `${sel},state="starting"`), 0);

  m.state('failed');
  text = await registry.metrics();
  assert.equal(sample(text, 'esdb_linker_link_state', `${sel},state="running"`), 0);
  assert.equal(sample(text, 'esdb_linker_link_state', `${sel},state="failed"`), 1);
});

test('two links keep separate series; the same labels share one', async () => {
  const { registry, forLink } = createMetrics({ collectDefault: false });
  forLink(labels).replicated(1, 1);
  forLink(labels).replicated(2, 2);
  forLink({ link: 'b-to-a', origin: 'b', destination: 'a' }).replicated(7, 7);
  const text = await registry.metrics();
  assert.equal(sample(text, 'esdb_linker_events_replicated_total', sel), 3);
  assert.equal(sample(text, 'esdb_linker_events_replicated_total', 'link="b-to-a",origin="b",destination="a"'), 7);
});

test('the status source refreshes lag, state, flags, readiness, skipped events and build info at scrape time', async () => {
  const { registry, forLink, setStatusSource } = createMetrics({ collectDefault: false });
  forLink(labels).lag(1, 0.1);
  let link = fakeLinkStatus({ name: 'a-to-b', lagEvents: 500, lagSeconds: 12.5, stalled: true, eventsSkipped: 4 });
  setStatusSource(() => fakeDaemonStatus([link], { version: '9.9.9' }));
  let text = await registry.metrics();
  assert.equal(sample(text, 'esdb_linker_lag_events', sel), 500);
  assert.equal(sample(text, 'esdb_linker_lag_seconds', sel), 12.5);
  assert.equal(sample(text, 'esdb_linker_link_stalled', sel), 1);
  assert.equal(sample(text, 'esdb_linker_link_caught_up', sel), 1);
  assert.match(text, /^esdb_linker_ready 0$/m);
  assert.match(text, /^esdb_linker_build_info\{version="9\.9\.9"\} 1$/m);
  assert.equal(sample(text, 'esdb_linker_events_skipped_total', sel), 4);
  assert.equal(sample(text, 'esdb_linker_buffer_capacity_events', sel), 10_000);
  assert.equal(sample(text, 'esdb_linker_link_state', `${sel},state="running"`), 1);

  link = { ...link, stalled: false, eventsSkipped: 10, state: 'draining' };
  await new Promise((r) => setImmediate(r));
  text = await registry.metrics();
  assert.equal(sample(text, 'esdb_linker_link_stalled', sel), 0);
  assert.equal(sample(text, 'esdb_linker_events_skipped_total', sel), 10);
  assert.equal(sample(text, 'esdb_linker_link_state', `${sel},state="draining"`), 1);
  assert.equal(sample(text, 'esdb_linker_link_state', `${sel},state="running"`), 0);
});

test('a failing status source does not fail the scrape', async () => {
  const { registry, setStatusSource } = createMetrics({ collectDefault: false });
  setStatusSource(() => {
    throw new Error('not started');
  });
  assert.match(await registry.metrics(), /esdb_linker_events_replicated_total/);
});

test('default process metrics carry the prefix, and only the given registry is used', async () => {
  const registry = new Registry();
  const metrics = createMetrics({ registry });
  assert.equal(metrics.registry, registry);
  const text = await registry.metrics();
  assert.match(text, /^esdb_linker_process_cpu_user_seconds_total /m);
  assert.match(text, /^esdb_linker_nodejs_eventloop_lag_seconds /m);
  // A second instance in the same process must not collide (no global registry).
  const other = createMetrics();
  assert.notEqual(other.registry, registry);
  assert.match(await other.registry.metrics(), /esdb_linker_events_replicated_total/);
});
