import type { Registry } from 'prom-client';

/*
 * Counters and histograms for the hot path, counted in plain numbers and turned into Prometheus series only
 * at scrape time. prom-client's own children re-hash their label set on every inc()/observe() (a child is a
 * closure over `metric.observe(labels, value)`; issue 12's profile put it at about 2 us per request); here a request
 * finds its
 * series once by a string key and then adds to fields. Registered on the same registry, in prom-client's
 * exposition format, so names, labels and /metrics stay as they were.
 */

type Labels<L extends string> = Record<L, string>;

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

abstract class PlainMetric<L extends string, S> {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, { labels: Labels<L>; series: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  protected abstract create(): S;
  protected abstract values(labels: Labels<L>, series: S): MetricValue[];

  /** The series of one label set; keep it and add to it (the key is computed once per new label set). */
  labels(labels: Labels<L>, key = JSON.stringify(labels)): S {
    let entry = this.series.get(key);
    if (!entry) this.series.set(key, (entry = { labels: { ...labels }, series: this.create() }));
    return entry.series;
  }

  /** What prom-client's Registry reads at scrape time. */
  async get() {
    const values: MetricValue[] = [];
    for (const { labels, series } of this.series.values()) values.push(...this.values(labels, series));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}

export class CounterSeries {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class PlainCounter<L extends string> extends PlainMetric<L, CounterSeries> {
  readonly type = 'counter';
  protected create() {
    return new CounterSeries();
  }
  protected values(labels: Labels<L>, series: CounterSeries): MetricValue[] {
    return [{ labels, value: series.value }];
  }
}

export class HistogramSeries {
  /** counts[i]: observations in (buckets[i-1], buckets[i]]; the last one above every bucket. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly buckets: readonly number[]) {
    this.counts = new Float64Array(buckets.length + 1);
  }

  observe(value: number): void {
    const buckets = this.buckets;
    let i = 0;
    while (i < buckets.length && value > buckets[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

export class PlainHistogram<L extends string> extends PlainMetric<L, HistogramSeries> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    registry: Registry,
    private readonly buckets: readonly number[],
  ) {
    super(name, help, registry);
  }

  protected create() {
    return new HistogramSeries(this.buckets);
  }

  protected values(labels: Labels<L>, series: HistogramSeries): MetricValue[] {
    const values: MetricValue[] = [];
    let cumulative = 0;
    this.buckets.forEach((le, i) => {
      cumulative += series.counts[i];
      values.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative });
    });
    values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: series.count });
    values.push({ metricName: `${this.name}_sum`, labels, value: series.sum });
    values.push({ metricName: `${this.name}_count`, labels, value: series.count });
    return values;
  }
}
