/** Minimal HTTP client for health checks, smoke requests and the proxy admin API (no connection pool). */
import { request } from 'node:http';

export interface HttpResult {
  /** 0 when no response arrived (connection refused, reset, timeout) */
  status: number;
  body: string;
  ms: number;
  error?: string;
}

export function httpCall(
  url: string,
  options: { method?: 'GET' | 'POST'; json?: unknown; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const started = performance.now();
  const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<HttpResult, 'ms'>): void => {
      if (settled) return;
      settled = true;
      resolve({ ...result, ms: Math.round((performance.now() - started) * 100) / 100 });
    };
    const req = request(url, {
      method: options.method ?? 'GET',
      agent: false,
      headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    req.setTimeout(options.timeoutMs ?? 5_000, () => req.destroy(new Error(`timed out after ${options.timeoutMs ?? 5_000} ms`)));
    req.on('error', (error) => finish({ status: 0, body: '', error: error.message }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => finish({ status: 0, body: '', error: error.message }));
    });
    req.end(payload);
  });
}
