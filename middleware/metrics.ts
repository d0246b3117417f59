// Prometheus metrics on a private prom-client Registry, exposed only by the opt-in metricsRouter().

import { Router } from 'express';
import { Counter, Histogram, Registry } from 'prom-client';
import { FaceliveError } from '../core/errors';
import type { VerdictData } from '../core/types';
import { describeValue } from '../core/value-kind';

/** How a request ended: a PASS or FAIL verdict (200), or an error code. */
export type Outcome = 'pass' | 'fail' | 'error';

/** The metrics one or more faceLiveness() routers record into. */
export class FaceliveMetrics {
  /** Private registry: nothing is added to prom-client's global one. */
  readonly registry: Registry;
  private readonly requests: Counter<'outcome' | 'code'>;
  private readonly duration: Histogram<'outcome'>;
  private readonly liveness: Histogram<'app_id'>;
  private readonly checks: Counter<'app_id' | 'outcome'>;
  private readonly failures: Counter<'app_id' | 'validation'>;
  private readonly belowThreshold: Counter<'app_id'>;

  constructor(options: { readonly prefix?: string | undefined } = {}) {
    const prefix = options.prefix ?? 'facelive_';
    if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
      throw new TypeError(`Expected a Prometheus metric-name prefix for prefix but received ${describeValue(prefix)}.`);
    }
    this.registry = new Registry();
    this.requests = new Counter({
      name: `${prefix}requests_total`,
      help: 'Liveness requests by outcome (pass, fail, error) and code (PASS, FAIL_ON_n or the error code).',
      labelNames: ['outcome', 'code'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: `${prefix}request_duration_seconds`,
      help: 'Liveness request latency in seconds, from routing to the answer, by outcome.',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers: [this.registry],
    });
    // The 5xx series exist from the start, at 0: Prometheus's increase() and rate() count nothing for
    // a series that first appears already at 1, so a first 500 (or a first burst of 503s) after a
    // start would never reach an alert counting them.
    for (const code of ['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']) this.requests.inc({ outcome: 'error', code }, 0);
    // A camera fleet's scores sit at a height of their own (docs/accuracy.md): the distribution per
    // App-ID shows a fleet whose live customers score low, or whose scores moved with new cameras.
    this.liveness = new Histogram({
      name: `${prefix}liveness_probability`,
      help: 'Fused live probability of the checks answered 200 with a liveness section, by App-ID ("" without auth).',
      labelNames: ['app_id'],
      buckets: Array.from({ length: 19 }, (_, i) => (i + 1) / 20),
      registers: [this.registry],
    });
    // The same checks by App-ID: which fleet fails, on which validation, and how many of its checks
    // scored below the threshold they were judged at (exact, where the 0.05 wide buckets above are
    // not, and whatever that App-ID's threshold is). Labels hold App-IDs and fixed names only.
    this.checks = new Counter({
      name: `${prefix}checks_total`,
      help: 'Checks answered 200, by App-ID ("" without auth) and outcome (pass or fail).',
      labelNames: ['app_id', 'outcome'],
      registers: [this.registry],
    });
    this.failures = new Counter({
      name: `${prefix}validation_failures_total`,
      help: 'Checks answered 200 that failed a requested validation, by App-ID and validation (liveness, attribute, quality, nface).',
      labelNames: ['app_id', 'validation'],
      registers: [this.registry],
    });
    this.belowThreshold = new Counter({
      name: `${prefix}liveness_below_threshold_total`,
      help: 'Checks answered 200 with a liveness section whose live probability was below the threshold they were judged at (is_live false), by App-ID, validate_liveness or not.',
      labelNames: ['app_id'],
      registers: [this.registry],
    });
  }

  /** Records one finished request. `code` is 'PASS', 'FAIL_ON_n' or an error code. */
  observe(outcome: Outcome, code: string, seconds: number): void {
    this.requests.inc({ outcome, code });
    this.duration.observe({ outcome }, seconds);
  }

  /** Records one check's live probability for the App-ID it was made for ('' without auth). */
  observeLiveness(appId: string, probability: number): void {
    this.liveness.observe({ app_id: appId }, probability);
  }

  /**
   * Records one check answered 200 for the App-ID it was made for ('' without auth): its outcome,
   * the validations it failed and, with a liveness section, its live probability and whether that
   * was below its threshold. Every series of the App-ID is created at its first check (at 0), so
   * that a ratio over them is 0 rather than missing.
   */
  observeCheck(app_id: string, data: Pick<VerdictData, 'status' | 'validations' | 'liveness'>): void {
    this.checks.inc({ app_id, outcome: 'pass' }, data.status === 'PASS' ? 1 : 0);
    this.checks.inc({ app_id, outcome: 'fail' }, data.status === 'PASS' ? 0 : 1);
    for (const validation of VALIDATIONS) {
      this.failures.inc({ app_id, validation }, data.validations.failed.includes(validation) ? 1 : 0);
    }
    if (data.liveness) {
      this.observeLiveness(app_id, data.liveness.probability);
      this.belowThreshold.inc({ app_id }, data.liveness.is_live ? 0 : 1);
    }
  }
}

/** The validations a verdict may fail on, as `facelive_validation_failures_total` labels them. */
const VALIDATIONS = ['liveness', 'attribute', 'quality', 'nface'] as const;

let shared: FaceliveMetrics | undefined;

/** The process-wide metrics that faceLiveness() records into unless given others (or false). */
export function defaultMetrics(): FaceliveMetrics {
  shared ??= new FaceliveMetrics();
  return shared;
}

/**
 * A router answering GET / with the metrics in Prometheus text format. Opt-in: mount it where your
 * scraper can reach it (and your users cannot), e.g. `app.use('/metrics', metricsRouter())`.
 */
export function metricsRouter(metrics: FaceliveMetrics = defaultMetrics()): Router {
  if (!(metrics instanceof FaceliveMetrics)) {
    throw new TypeError('Expected a FaceliveMetrics for metricsRouter(metrics), or nothing for the default metrics.');
  }
  const router = Router();
  router.get('/', (_req, res, next) => {
    metrics.registry.metrics().then(
      (text) => {
        res.setHeader('Content-Type', metrics.registry.contentType);
        res.end(text);
      },
      // As a FaceliveError: errorHandler() answers this router's errors, and hands on only the app's.
      (err: unknown) => next(new FaceliveError('INTERNAL_SERVER_ERROR', undefined, { cause: err })),
    );
  });
  return router;
}
