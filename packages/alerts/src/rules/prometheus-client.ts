import { AlertRuleReason } from './alert-rule-conditions.ts';

/** A MetricsSource with its credentials read from the secret store: kept in memory only. */
export interface ResolvedMetricsSource {
  url: string;
  /** The `Authorization` header value, if any. Never logged, never written. */
  authorization?: string;
  timeoutMs: number;
}

export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

export type PromQueryOutcome =
  | { ok: true; samples: PromSample[] }
  | {
      ok: false;
      reason:
        | typeof AlertRuleReason.SourceUnreachable
        | typeof AlertRuleReason.SourceUnauthorized
        | typeof AlertRuleReason.QueryFailed;
      message: string;
    };

/** Runs PromQL instant queries; failures are outcomes, never exceptions. */
export interface PrometheusQuerier {
  query(source: ResolvedMetricsSource, expr: string, time: number): Promise<PromQueryOutcome>;
}

type Fetch = typeof fetch;

interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** Why a call to Prometheus's HTTP API gave no data; the reasons its callers' conditions use. */
export type PrometheusFailureReason = 'SourceUnreachable' | 'SourceUnauthorized' | 'QueryFailed';

export type PrometheusApiOutcome =
  | { ok: true; data: { resultType?: string; result?: unknown } }
  | { ok: false; reason: PrometheusFailureReason; message: string };

/**
 * One call of Prometheus's HTTP API (`POST`, form-encoded, the source's credentials and timeout), its
 * answer sorted into data or a typed failure: unreachable or timed out, credentials refused, or the query
 * refused (400/422 with Prometheus's error body). Shared by the instant queries of the alert rules and the
 * range queries of the baselines.
 */
export async function callPrometheusApi(
  fetchImpl: Fetch,
  source: ResolvedMetricsSource,
  path: '/api/v1/query' | '/api/v1/query_range',
  form: Record<string, string>,
): Promise<PrometheusApiOutcome> {
  const url = `${source.url.replace(/\/+$/, '')}${path}`;
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (source.authorization) headers.authorization = source.authorization;
  let response: Response;
  let body: ApiBody | undefined;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers,
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(source.timeoutMs),
    });
    const text = await response.text();
    try {
      body = JSON.parse(text) as ApiBody;
    } catch {
      body = undefined;
    }
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    return {
      ok: false,
      reason: 'SourceUnreachable',
      message: timedOut
        ? `no answer from ${source.url} within ${source.timeoutMs} ms`
        : `cannot reach ${source.url}: ${describe(error)}`,
    };
  }
  if (response.status === 401 || response.status === 403)
    return {
      ok: false,
      reason: 'SourceUnauthorized',
      message: `${source.url} refused the credentials (HTTP ${response.status})`,
    };
  if (body?.status === 'error' && (response.status === 400 || response.status === 422))
    return {
      ok: false,
      reason: 'QueryFailed',
      message: `${body.errorType ?? 'error'}: ${body.error ?? 'the query failed'}`,
    };
  if (!response.ok || body?.status !== 'success' || !body.data)
    return {
      ok: false,
      reason: 'SourceUnreachable',
      message: `${source.url} answered HTTP ${response.status}${body?.error ? `: ${body.error}` : ' without a Prometheus API body'}`,
    };
  return { ok: true, data: body.data };
}

/** The HTTP API client (`POST /api/v1/query`, form-encoded, evaluated at the evaluation's time). */
export function createPrometheusQuerier(fetchImpl: Fetch = fetch): PrometheusQuerier {
  return {
    async query(source, expr, time) {
      const answer = await callPrometheusApi(fetchImpl, source, '/api/v1/query', {
        query: expr,
        time: (time / 1000).toFixed(3),
      });
      return answer.ok ? readResult(answer.data) : answer;
    },
  };
}

function readResult(data: { resultType?: string; result?: unknown }): PromQueryOutcome {
  const failed = (message: string): PromQueryOutcome => ({
    ok: false,
    reason: AlertRuleReason.QueryFailed,
    message,
  });
  if (data.resultType === 'scalar') {
    const pair = data.result as [number, string];
    return { ok: true, samples: [{ labels: {}, value: Number(pair[1]) }] };
  }
  if (data.resultType !== 'vector' || !Array.isArray(data.result)) {
    return failed(
      `the query returns a ${data.resultType ?? 'unknown'} result; an alert rule needs an instant vector`,
    );
  }
  const samples: PromSample[] = [];
  for (const item of data.result as { metric?: Record<string, string>; value?: [number, string] }[]) {
    const labels = { ...item.metric };
    delete labels.__name__; // as Prometheus's own rules: the metric name is not an alert label
    samples.push({ labels, value: Number(item.value?.[1]) });
  }
  return { ok: true, samples };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
