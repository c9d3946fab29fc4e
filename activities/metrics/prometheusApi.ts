/**
 * One instant query against Prometheus's HTTP API (`POST /api/v1/query`), its answer validated.
 * Every way it can go wrong is a MetricsSourceError naming the server and the query.
 */
import { z } from 'zod';
import { parsePromFloat } from './promql.js';
import { MetricsSourceError } from './source.js';

/** `[<unix seconds>, "<value>"]` */
const sampleValueSchema = z.tuple([z.number(), z.string()]);

const successSchema = z.object({
  status: z.literal('success'),
  data: z.discriminatedUnion('resultType', [
    z.object({
      resultType: z.literal('vector'),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sampleValueSchema })),
    }),
    z.object({ resultType: z.literal('scalar'), result: sampleValueSchema }),
    z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
    z.object({ resultType: z.literal('string'), result: z.unknown() }),
  ]),
});

const errorSchema = z.object({
  status: z.literal('error'),
  errorType: z.string(),
  error: z.string(),
});

/** One series of an instant vector (a scalar answer is one sample without labels). */
export interface PromSample {
  labels: Record<string, string>;
  value: number;
}

export interface InstantQuery {
  /** Base URL of the server, e.g. http://127.0.0.1:9090 (a path prefix is kept) */
  baseUrl: string;
  query: string;
  /** Evaluation time */
  atEpochMs: number;
  timeoutSeconds: number;
  fetchImpl: typeof fetch;
}

const shorten = (text: string, max = 300): string => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Why fetch() threw, in a few words: the network error's code where there is one. */
function describeFetchError(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = cause instanceof Error && 'code' in cause ? String(cause.code) : undefined;
  if (code) return `${code}${cause instanceof Error && cause.message ? ` (${cause.message})` : ''}`;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export async function instantQuery({ baseUrl, query, atEpochMs, timeoutSeconds, fetchImpl }: InstantQuery): Promise<PromSample[]> {
  const endpoint = `${baseUrl.replace(/\/+$/, '')}/api/v1/query`;
  const where = `Prometheus at ${baseUrl}, query ${query}`;
  const body = new URLSearchParams({ query, time: (atEpochMs / 1000).toFixed(3), timeout: `${timeoutSeconds}s` });

  let response: Response;
  let text: string;
  try {
    // A little longer than Prometheus's own timeout, so its timeout error (which says more) wins.
    response = await fetchImpl(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutSeconds * 1000 + 1000),
    });
    text = await response.text();
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new MetricsSourceError('timeout', `${where}: no answer within ${timeoutSeconds} s`);
    }
    throw new MetricsSourceError('unreachable', `${where}: cannot be reached: ${describeFetchError(error)}`);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    if (!response.ok) throw new MetricsSourceError('http_error', `${where}: HTTP ${response.status}: ${shorten(text.trim())}`);
    throw new MetricsSourceError('malformed', `${where}: the answer is not JSON: ${shorten(text.trim())}`);
  }

  const failed = errorSchema.safeParse(json);
  if (failed.success) {
    const { errorType, error } = failed.data;
    // bad_data is a query Prometheus cannot parse or evaluate: the config must change, not the timing.
    throw new MetricsSourceError('query_error', `${where}: ${errorType}: ${error} (HTTP ${response.status})`, errorType !== 'bad_data');
  }
  if (!response.ok) throw new MetricsSourceError('http_error', `${where}: HTTP ${response.status}: ${shorten(text.trim())}`);

  const parsed = successSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'answer'}: ${issue.message}`).join('; ');
    throw new MetricsSourceError('malformed', `${where}: not a Prometheus query answer (${issues}): ${shorten(text.trim())}`);
  }
  const { data } = parsed.data;
  switch (data.resultType) {
    case 'vector':
      return data.result.map((series) => ({ labels: series.metric, value: parsePromFloat(series.value[1]) }));
    case 'scalar':
      return [{ labels: {}, value: parsePromFloat(data.result[1]) }];
    default:
      throw new MetricsSourceError(
        'malformed',
        `${where}: the query returns a ${data.resultType}; it must return an instant vector or a scalar (no [range] at the outside)`,
        false,
      );
  }
}
