/**
 * A local stand-in for the Anthropic Messages API (POST /v1/messages), for tests and offline demos.
 * It answers each agent with a recorded, schema-valid response, and can inject faults: 429 with
 * retry-after, 500, 529, a hang, malformed JSON, schema-violating JSON, a refusal, 401.
 *
 *   node --import tsx test/stub/anthropicStub.ts [--port N]     prints {"port":N} and serves until killed
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

export type StubAgent = 'review' | 'validation' | 'deployment' | 'incident' | 'tests' | 'unknown';
export type FaultKind = '429' | '500' | '529' | 'hang' | 'malformed' | 'invalid' | 'refusal' | '401';

export interface Fault {
  kind: FaultKind;
  /** Only requests of this agent; any agent when absent. */
  agent?: StubAgent;
  retryAfterSeconds?: number;
  /** How many matching requests it answers (default 1). */
  times?: number;
}

export interface StubRequest {
  agent: StubAgent;
  system: string;
  user: string;
  body: Record<string, unknown>;
  answeredWith: FaultKind | 'ok';
  /** A hung request whose client closed the connection (gave up, or was cancelled) before the stub did. */
  abandoned?: boolean;
}

export type Responder = (request: { user: string; system: string }) => unknown;

/** Recorded answers: what a careful model says about the demo's changes. */
export const recordedAnswers: Record<Exclude<StubAgent, 'unknown' | 'tests'>, Responder> = {
  review: () => ({
    riskScore: 2, securityIssues: [], performanceConcerns: [], coverageGaps: [], apiBreakingChanges: [],
    rationale: 'Small, self-contained change; no security, performance or API concerns found.', confidence: 'high', suggestedGates: [],
  }),
  validation: () => ({
    passed: true, calibrationFactor: 1, adjusted: null, baselineAdjusted: null, p99RegressionPercent: null, checks: [],
    summary: 'Staging numbers are in line with the baseline.',
  }),
  deployment: () => ({ level: 'LOW', rationale: 'Tests and staging are clean and the change is small.', factors: [] }),
  incident: () => ({
    title: 'Canary rolled back: errors only on the new version',
    markdown: '## Summary\nThe canary returned errors that the stable version did not; it was rolled back and stable serves all traffic.\n\n## Root-cause hypothesis\nA code path that only runs with production configuration (medium confidence).\n\n## Next steps\nCompare the configuration between staging and production for the changed code path.\n\n## What went well\nThe first judged interval caught it.',
  }),
};

function agentOf(body: Record<string, unknown>): StubAgent {
  const schema = JSON.stringify((body.output_config as { format?: { schema?: unknown } } | undefined)?.format?.schema ?? {});
  if (schema.includes('"riskScore"')) return 'review';
  if (schema.includes('"calibrationFactor"')) return 'validation';
  if (schema.includes('"markdown"')) return 'incident';
  if (schema.includes('"level"')) return 'deployment';
  if (schema.includes('"content"')) return 'tests';
  return 'unknown';
}

const estimate = (text: string) => Math.ceil(text.length / 4);

export interface AnthropicStub {
  url: string;
  port: number;
  requests: StubRequest[];
  faults: Fault[];
  responders: Partial<Record<StubAgent, Responder>>;
  close(): Promise<void>;
}

export async function startAnthropicStub(port = 0): Promise<AnthropicStub> {
  const requests: StubRequest[] = [];
  const faults: Fault[] = [];
  const responders: Partial<Record<StubAgent, Responder>> = {};
  const cachedSystems = new Set<string>();
  const hanging: ServerResponse[] = [];
  let closing = false;

  const takeFault = (agent: StubAgent): Fault | null => {
    const index = faults.findIndex((fault) => !fault.agent || fault.agent === agent);
    if (index === -1) return null;
    const fault = faults[index]!;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) faults.splice(index, 1);
    return fault;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
      return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${req.url}` } });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    const system = ((body.system as { text: string }[] | string | undefined) ?? []);
    const systemText = typeof system === 'string' ? system : system.map((block) => block.text).join('\n');
    const messages = (body.messages as { role: string; content: string }[]) ?? [];
    const user = messages.filter((message) => message.role === 'user').map((message) => message.content).join('\n');
    const agent = agentOf(body);
    const fault = takeFault(agent);
    const request: StubRequest = { agent, system: systemText, user, body, answeredWith: fault?.kind ?? 'ok' };
    requests.push(request);
    switch (fault?.kind) {
      case '429': return json(res, 429, apiError('rate_limit_error', 'rate limited'), { 'retry-after': String(fault.retryAfterSeconds ?? 1) });
      case '500': return json(res, 500, apiError('api_error', 'internal error'));
      case '529': return json(res, 529, apiError('overloaded_error', 'Overloaded'));
      case '401': return json(res, 401, apiError('authentication_error', 'invalid x-api-key'));
      case 'hang':
        hanging.push(res);
        res.on('close', () => { if (!closing) request.abandoned = true; });
        return undefined;
      default: break;
    }
    const responder = responders[agent] ?? (agent in recordedAnswers ? recordedAnswers[agent as keyof typeof recordedAnswers] : null);
    let text = JSON.stringify(responder ? responder({ user, system: systemText }) : {});
    if (fault?.kind === 'malformed') text = '{"riskScore": 3, "rationale": "cut off';
    if (fault?.kind === 'invalid') text = JSON.stringify({ riskScore: 42, verdict: 'ship it' });
    const firstSeen = !cachedSystems.has(systemText);
    cachedSystems.add(systemText);
    return json(res, 200, {
      id: `msg_stub_${requests.length}`, type: 'message', role: 'assistant', model: body.model,
      content: [{ type: 'text', text: fault?.kind === 'refusal' ? '' : text }],
      stop_reason: fault?.kind === 'refusal' ? 'refusal' : 'end_turn', stop_sequence: null,
      usage: {
        input_tokens: estimate(user),
        output_tokens: estimate(text),
        cache_creation_input_tokens: firstSeen ? estimate(systemText) : 0,
        cache_read_input_tokens: firstSeen ? 0 : estimate(systemText),
      },
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => json(res, 500, apiError('api_error', String(error))));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    faults,
    responders,
    close: () => new Promise<void>((resolve) => {
      closing = true;
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function apiError(type: string, message: string) {
  return { type: 'error', error: { type, message } };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const portArg = process.argv.indexOf('--port');
  const stub = await startAnthropicStub(portArg === -1 ? 0 : Number(process.argv[portArg + 1]));
  process.stdout.write(`${JSON.stringify({ port: stub.port, url: stub.url })}\n`);
  const stop = () => { void stub.close().then(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
