import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { createMetrics, LINK_STATES } from '../../src/observability/metrics.js';

// Run from the repository root (npm test does); the files are read from the source tree, not dist.
const dashboardFile = 'deploy/grafana/esdb-linker-dashboard.json';
const alertsFile = 'deploy/prometheus/alerts.yaml';

interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: { expr: string }[];
}
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Every sample name the registry can expose: histograms also expose _bucket, _sum and _count series. */
async function exposedNames(): Promise<Set<string>> {
  const { registry } = createMetrics();
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (String(m.type) === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

const referenced = (exprs: string[]): Set<string> =>
  new Set(exprs.flatMap((e) => [...e.matchAll(/\besdb_linker_[a-z0-9_]+/g)].map((m) => m[0])));

function dashboardExprs(): { panels: Panel[]; exprs: string[] } {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { panels: Panel[] };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  return { panels: dashboard.panels, exprs };
}

function alertRules(): Rule[] {
  const doc = parse(readFileSync(alertsFile, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

test('every metric the dashboard and the alerts reference exists in the registry', async () => {
  const names = await exposedNames();
  const { exprs } = dashboardExprs();
  const rules = alertRules();
  const used = referenced([...exprs, ...rules.map((r) => r.expr)]);
  assert.ok(used.size > 10, `only ${used.size} metric names found`);
  const unknown = [...used].filter((n) => !names.has(n));
  assert.deepEqual(unknown, [], `unknown metric names: ${unknown.join(', ')}`);
});

test('the dashboard covers rate, lag, latency, batch, buffer, conflicts, retries and link state', () => {
  const { panels, exprs } = dashboardExprs();
  const used = referenced(exprs);
  for (const name of [
    'esdb_linker_events_replicated_total',
    'esdb_linker_lag_events',
    'esdb_linker_lag_seconds',
    'esdb_linker_append_latency_seconds_bucket',
    'esdb_linker_batch_size_events',
    'esdb_linker_buffer_events',
    'esdb_linker_conflicts_total',
    'esdb_linker_retries_total',
    'esdb_linker_link_state',
  ]) {
    assert.ok(used.has(name), `dashboard lacks ${name}`);
  }
  assert.ok(
    exprs.some((e) => e.includes('histogram_quantile(0.99')),
    'p99 latency',
  );
  assert.ok(
    exprs.some((e) => e.includes('histogram_quantile(0.5')),
    'p50 latency',
  );
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of panels.filter((x) => x.type !== 'row')) {
    assert.ok((p.targets ?? []).length > 0, `panel ${p.title} has no query`);
  }
});

test('alert rules are well formed and cover lag, stalled/failed, conflicts and no progress', () => {
  const rules = alertRules();
  const names = rules.map((r) => r.alert);
  assert.equal(new Set(names).size, names.length, 'alert names are unique');
  for (const r of rules) {
    assert.match(r.alert, /^EsdbLinker[A-Za-z]+$/, r.alert);
    assert.ok(r.expr.trim().length > 0, `${r.alert} has an expr`);
    assert.match(r.labels?.severity ?? '', /^(critical|warning|info)$/, `${r.alert} severity`);
    assert.ok(r.annotations?.summary, `${r.alert} summary`);
    if (r.for !== undefined) assert.match(r.for, /^\d+[smh]$/, `${r.alert} for`);
    for (const m of r.expr.matchAll(/state="([^"]+)"/g)) {
      assert.ok((LINK_STATES as readonly string[]).includes(m[1] ?? ''), `${r.alert}: unknown state ${m[1]}`);
    }
  }
  const byMetric = (metric: string) => rules.some((r) => r.expr.includes(metric));
  assert.ok(byMetric('esdb_linker_lag_seconds'), 'lag alert');
  assert.ok(byMetric('esdb_linker_link_stalled'), 'stalled alert');
  assert.ok(byMetric('esdb_linker_link_state{state="failed"}'), 'failed alert');
  assert.ok(byMetric('esdb_linker_ready'), 'not-ready alert');
  assert.ok(byMetric('esdb_linker_conflicts_total'), 'conflicts alert');
  assert.ok(
    rules.some((r) => /rate\(esdb_linker_events_replicated_total\[[^\]]+\]\)\)? == 0/.test(r.expr)),
    'no-progress alert',
  );
});

test('the compose and Kubernetes configs pass the real config loader, secrets read from the mounted files', async (t) => {
  const compose = parse(readFileSync('deploy/docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[]; volumes?: string[] }>;
  };
  const linker = compose.services['esdb-linker'];
  const mounted = (linker?.volumes ?? []).find((v) => v.startsWith('./config:'));
  assert.ok(mounted, 'compose mounts deploy/config');
  const inContainer = linker?.command?.[linker.command.indexOf('--config') + 1] ?? '';
  const file = inContainer.replace(/^\/etc\/esdb-linker\//, 'deploy/config/');
  const composeConfig = await loadConfig(file, {});
  assert.deepEqual(
    composeConfig.links.map((l) => `${l.origin}->${l.destination}`),
    ['dc1->dc2', 'dc2->dc1', 'dc1->dc3'],
  );
  for (const node of composeConfig.nodes) {
    assert.ok(compose.services[`kurrentdb-${node.name}`], `compose runs a database for ${node.name}`);
  }
  // Cluster mode: two members with distinct ids run the same config.
  assert.equal(composeConfig.cluster?.coordination, 'kurrentdb');
  const members = Object.values(compose.services).filter((svc) => svc.command?.includes('run'));
  assert.equal(members.length, 2, 'compose runs two linker members');
  const ids = members.map((svc) => (svc as { environment?: Record<string, string> }).environment?.ESDB_LINKER_MEMBER);
  assert.equal(new Set(ids).size, 2, `distinct member ids: ${ids.join(', ')}`);

  // The ConfigMap's config reads its secrets from the Secret mounted at /etc/esdb-linker/secrets.
  const dir = mkdtempSync(join(tmpdir(), 'esdb-linker-k8s-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const configMap = parse(readFileSync('deploy/k8s/configmap.yaml', 'utf8')) as { data: Record<string, string> };
  const secret = parse(readFileSync('deploy/k8s/secret.yaml', 'utf8')) as { stringData: Record<string, string> };
  const deployment = parse(readFileSync('deploy/k8s/deployment.yaml', 'utf8')) as {
    spec: { template: { spec: { containers: { args: string[]; volumeMounts: { mountPath: string }[] }[] } } };
  };
  const container = deployment.spec.template.spec.containers[0];
  const secretsMount = container?.volumeMounts.find((m) => m.mountPath.endsWith('/secrets'))?.mountPath ?? '';
  const configArg = container?.args[container.args.indexOf('--config') + 1] ?? '';
  const configName = configArg.split('/').pop() ?? '';
  const text = configMap.data[configName];
  assert.ok(text, `ConfigMap has ${configName}, the file the Deployment runs`);
  for (const [key, value] of Object.entries(secret.stringData)) writeFileSync(join(dir, key), value);
  writeFileSync(join(dir, 'config.yaml'), text.split(`${secretsMount}/`).join(`${dir}/`));
  const k8sConfig = await loadConfig(join(dir, 'config.yaml'), {});
  assert.equal(k8sConfig.http?.token, secret.stringData['http-token']);
  assert.equal(k8sConfig.http?.port, 8113);
  assert.equal(k8sConfig.links.length, 2);
  // Three replicas share the links through the KurrentDB coordinator on a node of the config.
  assert.equal((deployment.spec as unknown as { replicas: number }).replicas, 3);
  assert.equal(k8sConfig.cluster?.coordination, 'kurrentdb');
  assert.ok(k8sConfig.nodes.some((n) => n.name === k8sConfig.cluster?.node));
});
