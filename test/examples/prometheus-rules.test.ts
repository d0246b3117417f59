// examples/prometheus-rules.yml: a rules file in shape, over the metric names and labels that a
// router's /metrics really serves. Prometheus does not evaluate it here: names, labels and shape
// are checked, the 5xx ratio's codes against the error table, and three ratio rules are worked out by
// hand from the difference between two scrapes (a rate's window cancels out of a ratio of rates).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import { load } from 'js-yaml';
import request from 'supertest';
import { ERROR_TABLE, isErrorCode } from '../../core/errors';
import type { Engine } from '../../core/engine-types';
import { FaceliveMetrics, faceLiveness, metricsRouter } from '../../middleware';
import { selfieJpeg, twoFaces } from '../helpers/faces';
import { authHeaders, LIVE, sharedEngine } from '../helpers/server';

const root = path.resolve(__dirname, '..', '..', '..');
const RULES = path.join(root, 'examples', 'prometheus-rules.yml');
const PATH = '/v1/face/liveness';

/** Metrics the rules may use that facelive does not serve: the scrape's own and the blackbox exporter's. */
const OTHER_METRICS: Readonly<Record<string, readonly string[]>> = { up: ['job', 'instance'], probe_success: ['job', 'instance'] };
/** Labels Prometheus adds to every scraped series (the target's). */
const TARGET_LABELS = ['job', 'instance'];
const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);
const SEVERITIES = new Set(['critical', 'warning', 'info']);

/** Metric name -> its label names, from the text exposition format. */
type Exposed = Map<string, Set<string>>;

function parseExposition(text: string): Exposed {
  const exposed: Exposed = new Map();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? /.exec(line);
    if (m === null) continue;
    const labels = exposed.get(m[1]!) ?? new Set<string>();
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(pair[1]!);
    exposed.set(m[1]!, labels);
  }
  return exposed;
}

/** One label value each sample of the exposition gives, by label name (for le, outcome, validation). */
function labelValues(text: string): Map<string, Set<string>> {
  const values = new Map<string, Set<string>>();
  for (const pair of text.matchAll(/[{,]([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) {
    const set = values.get(pair[1]!) ?? new Set<string>();
    set.add(pair[2]!);
    values.set(pair[1]!, set);
  }
  return values;
}

interface Rule {
  readonly alert?: unknown;
  readonly record?: unknown;
  readonly expr?: unknown;
  readonly for?: unknown;
  readonly labels?: unknown;
  readonly annotations?: unknown;
}

/** What a rules file says that does not hold: its shape, then each expression's names and labels. */
function problems(file: unknown, exposed: Exposed, values: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const groups = (file as { groups?: unknown } | null)?.groups;
  if (!Array.isArray(groups) || groups.length === 0) return ['no groups'];
  const rules: Rule[] = [];
  const groupNames = new Set<string>();
  for (const group of groups as { name?: unknown; rules?: unknown }[]) {
    if (typeof group.name !== 'string' || groupNames.has(group.name)) found.push(`group name ${String(group.name)} missing or repeated`);
    groupNames.add(String(group.name));
    if (!Array.isArray(group.rules) || group.rules.length === 0) found.push(`group ${String(group.name)} has no rules`);
    else rules.push(...(group.rules as Rule[]));
  }
  const recorded = new Map<string, Set<string>>();
  for (const rule of rules) {
    if (typeof rule.record === 'string') recorded.set(rule.record, groupingLabels(String(rule.expr)));
  }
  const allFacelive = new Set<string>(TARGET_LABELS);
  for (const [name, labels] of exposed) if (name.startsWith('facelive_')) for (const label of labels) allFacelive.add(label);

  for (const rule of rules) {
    const name = String(rule.alert ?? rule.record);
    if ((rule.alert === undefined) === (rule.record === undefined)) found.push(`${name}: exactly one of alert and record`);
    if (typeof rule.expr !== 'string' || rule.expr.trim() === '') {
      found.push(`${name}: no expr`);
      continue;
    }
    if (rule.record !== undefined) {
      if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name) || !name.includes(':')) found.push(`${name}: a recorded name is level:metric:operations`);
      for (const key of ['for', 'annotations']) if (key in rule) found.push(`${name}: a recording rule has no ${key}`);
    } else {
      if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) found.push(`${name}: an alert name in CamelCase`);
      if (typeof rule.for !== 'string' || !/^(\d+[smhdwy])+$/.test(rule.for)) found.push(`${name}: a for: duration`);
      const labels = rule.labels as Record<string, unknown> | undefined;
      if (!SEVERITIES.has(String(labels?.severity))) found.push(`${name}: a severity label (${[...SEVERITIES].join(', ')})`);
      const annotations = rule.annotations as Record<string, unknown> | undefined;
      if (typeof annotations?.summary !== 'string') found.push(`${name}: a summary annotation`);
      if (typeof annotations?.description !== 'string' || !/Check first:.*docs\/[a-z-]+\.md/.test(annotations.description)) {
        found.push(`${name}: a description that says what to check first and names a docs page`);
      }
    }
    found.push(...exprProblems(name, rule.expr, exposed, values, recorded, allFacelive));
  }
  return found;
}

/** The labels a `by (...)` keeps: what a recorded series carries. */
function groupingLabels(expr: string): Set<string> {
  const labels = new Set<string>();
  for (const m of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) for (const l of m[1]!.split(',')) if (l.trim() !== '') labels.add(l.trim());
  return labels;
}

function exprProblems(
  rule: string, expr: string, exposed: Exposed, values: Map<string, Set<string>>, recorded: Map<string, Set<string>>, allFacelive: Set<string>,
): string[] {
  const found: string[] = [];
  // Selectors with matchers: name{label op "value", ...}.
  let rest = expr.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g, (_all, metric: string | undefined, body: string) => {
    const known = metric === undefined ? allFacelive
      : exposed.get(metric) !== undefined ? new Set([...exposed.get(metric)!, ...TARGET_LABELS])
      : recorded.get(metric) ?? (OTHER_METRICS[metric] ? new Set(OTHER_METRICS[metric]) : allFacelive);
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
      const [, label, op, value] = m as unknown as [string, string, string, string];
      if (!known.has(label)) found.push(`${rule}: label ${label} is not a label of ${metric ?? 'any facelive metric'}`);
      else if (op === '=' && ['le', 'outcome', 'validation'].includes(label) && !values.get(label)?.has(value)) {
        found.push(`${rule}: ${label}="${value}" is not a value /metrics serves`);
      } else if (label === 'code') {
        for (const code of value.split('|')) if (!isErrorCode(code) && !/^(PASS|FAIL_ON_\d+)$/.test(code)) found.push(`${rule}: code ${code} is no code facelive counts`);
      }
    }
    return ` ${metric ?? ''} `;
  });
  // Grouping and matching clauses: by, without, on, ignoring, group_left, group_right.
  rest = rest.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_all, _kw, body: string) => {
    for (const label of body.split(',').map((l) => l.trim()).filter((l) => l !== '')) {
      if (!allFacelive.has(label)) found.push(`${rule}: label ${label} is on no facelive metric`);
    }
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ').replace(/"[^"]*"/g, ' ');
  for (const m of rest.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w(])(?!\s*\()/g)) {
    const name = m[1]!;
    if (KEYWORDS.has(name.toLowerCase())) continue;
    if (exposed.has(name) && name.startsWith('facelive_')) continue;
    if (recorded.has(name) || name in OTHER_METRICS) continue;
    found.push(`${rule}: metric ${name} is neither served by /metrics nor recorded by this file`);
  }
  return found;
}

describe('examples/prometheus-rules.yml', function () {
  this.timeout(60_000);
  let engine: Engine;
  let app: express.Express;
  let text: string;
  let rulesFile: unknown;
  let source: string;

  before(async () => {
    engine = await sharedEngine();
    const metrics = new FaceliveMetrics();
    app = express();
    app.use(PATH, faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics }));
    app.use('/metrics', metricsRouter(metrics));
    const face = (await selfieJpeg('right', 320, 240)).toString('base64');
    // A PASS, a FAIL, a 400 and a 401: every series the rules name exists after them.
    assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face, validate_liveness: true })).body.error_code, null);
    assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: (await twoFaces()).toString('base64'), validate_nface: true })).body.error_code, 'FAIL_ON_8');
    assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).send({})).status, 400);
    assert.equal((await request(app).post(PATH).send({ image: face })).status, 401);
    text = (await request(app).get('/metrics')).text;
    source = readFileSync(RULES, 'utf8');
    rulesFile = load(source);
  });

  it('is a rules file whose every metric and label is one the router serves', () => {
    const exposed = parseExposition(text);
    assert.ok(exposed.has('facelive_liveness_below_threshold_total') && exposed.has('facelive_liveness_probability_bucket'), 'the scrape holds the series');
    assert.deepEqual(problems(rulesFile, exposed, labelValues(text)), []);
    const rules = (rulesFile as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
    for (const part of ['up{', 'probe_success{', 'facelive_requests_total', 'facelive_request_duration_seconds_bucket', 'facelive_checks_total',
      'facelive_validation_failures_total', 'facelive_liveness_below_threshold_total', 'facelive_liveness_probability_bucket', 'histogram_quantile(0.5']) {
      assert.ok(rules.some((r) => String(r.expr).includes(part)), `a rule uses ${part}`);
    }
  });

  it('counts as 5xx exactly the codes whose status is 5xx', () => {
    const fivexx = Object.entries(ERROR_TABLE).filter(([, row]) => row.status >= 500).map(([code]) => code).sort();
    const m = /facelive_requests_total\{code=~"([^"]+)"\}/.exec(source);
    assert.deepEqual(m?.[1]?.split('|').sort(), fivexx);
  });

  it('serves the 5xx series at 0 before the first error, so that increase() and rate() count the first 500 and 503', async () => {
    // A series that first appears at 1 has no earlier sample: Prometheus counts no increase for it.
    const fresh = await new FaceliveMetrics().registry.metrics();
    for (const code of ['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']) {
      assert.ok(fresh.includes(`facelive_requests_total{outcome="error",code="${code}"} 0`), code);
    }
  });

  it('gives by hand, over two scrapes, the ratios the simpler rules record', async () => {
    const sum = (scrape: string, metric: string, matchers: readonly string[]): number => scrape.split('\n')
      .filter((line) => line.startsWith(`${metric}{`) && matchers.every((m) => line.includes(m)))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    const before = (await request(app).get('/metrics')).text;
    const face = (await selfieJpeg('right', 320, 240)).toString('base64');
    const checked = [
      await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face, validate_liveness: true }),
      await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: (await twoFaces()).toString('base64'), validate_nface: true }),
      await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face, validate_nface: true }),
    ];
    await request(app).post(PATH).set(authHeaders(LIVE)).send({});
    const after = (await request(app).get('/metrics')).text;
    const delta = (metric: string, ...matchers: string[]): number => sum(after, metric, matchers) - sum(before, metric, matchers);
    const app_id = `app_id="${LIVE.appId}"`;
    // facelive:checks_fail:ratio_rate1h: one FAIL of three checks.
    assert.equal(delta('facelive_checks_total', app_id, 'outcome="fail"') / delta('facelive_checks_total', app_id), 1 / 3);
    // facelive:liveness_below_threshold:ratio_rate1h: the checks below the threshold, from their answers.
    const below = checked.filter((res) => res.body.data.liveness.is_live === false).length;
    assert.equal(delta('facelive_liveness_below_threshold_total', app_id) / delta('facelive_liveness_probability_count', app_id), below / 3);
    // facelive:requests_5xx:ratio_rate5m: no 5xx among four requests (the 400 counts, a 401 would not).
    const counted = delta('facelive_requests_total') - delta('facelive_requests_total', 'code="UNAUTHORIZED"');
    assert.equal(counted, 4);
    assert.equal(delta('facelive_requests_total', 'code="INTERNAL_SERVER_ERROR"') + delta('facelive_requests_total', 'code="SERVICE_UNAVAILABLE"'), 0);
  });

  it('finds a metric or label that does not exist, and a rule without for: or severity', () => {
    const exposed = parseExposition(text);
    const values = labelValues(text);
    const broken = (from: string, to: string): string[] => {
      assert.ok(source.includes(from), from);
      return problems(load(source.replace(from, to)), exposed, values);
    };
    assert.match(broken('rate(facelive_liveness_below_threshold_total[1h])', 'rate(facelive_liveness_below_threshold[1h])').join('\n'), /metric facelive_liveness_below_threshold is neither/);
    assert.match(broken('sum by (job, app_id) (rate(facelive_checks_total[1h]))', 'sum by (job, appid) (rate(facelive_checks_total[1h]))').join('\n'), /label appid is on no facelive metric/);
    assert.match(broken('facelive_checks_total{outcome="fail"}', 'facelive_checks_total{verdict="fail"}').join('\n'), /label verdict is not a label of facelive_checks_total/);
    assert.match(broken('facelive_checks_total{outcome="fail"}', 'facelive_checks_total{outcome="FAIL"}').join('\n'), /outcome="FAIL" is not a value/);
    assert.match(broken('/ facelive:requests:rate5m', '/ facelive:requests:rate1m').join('\n'), /metric facelive:requests:rate1m is neither/);
    assert.match(broken('        for: 2m # starting point\n', '').join('\n'), /FaceliveDown: a for: duration/);
    assert.match(broken('severity: critical', 'severity: loud').join('\n'), /a severity label/);
  });
});
