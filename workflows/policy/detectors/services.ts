/**
 * The vocabulary of external services: words that, appearing as a token of a package name, a client
 * class or a host name, mean "this talks to a vendor's service". Curated by category so a reviewer can
 * see what is covered; matching is by token (split on `/ @ . _ - :` and camelCase), never by substring,
 * so `lodash` or `react-query` cannot match by accident. (Host names alone also match a token of five or
 * more letters as a prefix, so `api.datadoghq.com` names datadog: see newIntegration.ts.)
 */

// Not hosting platforms (vercel, netlify, heroku): their hosts are apps' own addresses. Their storage
// SDKs are in SERVICE_NAME_PATTERNS.
const CLOUD = ['aws', 'awssdk', 'boto3', 'botocore', 'aioboto3', 's3', 'sqs', 'sns', 'ses', 'dynamodb', 'kinesis',
  'eventbridge', 'cloudwatch', 'firebase', 'firestore', 'gcs', 'googleapis', 'bigquery', 'pubsub', 'azure',
  'supabase', 'cloudflare', 'upstash', 'planetscale', 'neondatabase', 'digitalocean', 'minio', 'backblaze',
  'cloudinary', 'uploadthing', 'imagekit', 'amazonaws', 'appwrite', 'linode', 'vultr', 'hetzner', 'scaleway',
  'wasabi', 'aliyun', 'alibabacloud', 'tencentcloud', 'dropbox', 'onedrive', 'webdav'];
const PAYMENTS = ['stripe', 'braintree', 'paypal', 'adyen', 'squareup', 'razorpay', 'mollie', 'lemonsqueezy',
  'paddle', 'chargebee', 'recurly', 'plaid', 'gocardless', 'klarna', 'mercadopago', 'coinbase', 'paystack',
  'flutterwave', 'xendit', 'midtrans', 'alipay', 'wechatpay', 'authorizenet', 'worldpay'];
const MESSAGING = ['nodemailer', 'phpmailer', 'swiftmailer', 'sendgrid', 'mailgun', 'postmark', 'postmarkapp',
  'resend', 'mailchimp', 'mandrill', 'mailjet', 'sparkpost', 'brevo', 'sendinblue', 'smtp', 'twilio', 'vonage',
  'nexmo', 'messagebird', 'plivo', 'sinch', 'onesignal', 'pusher', 'ably', 'novu', 'slack', 'discord', 'telegram',
  'telegraf', 'whatsapp', 'sendbird', 'getstream', 'livekit', 'agora', 'mailersend', 'customerio', 'pushover', 'gotify',
  'ntfy', 'mattermost', 'rocketchat', 'zulip', 'apprise', 'pagerduty', 'opsgenie', 'apns', 'fcm'];
const QUEUES = ['kafka', 'kafkajs', 'rdkafka', 'sarama', 'amqp', 'amqplib', 'amqp091', 'rabbitmq', 'bunny', 'pika',
  'nats', 'pulsar', 'mqtt', 'inngest', 'qstash'];
const OBSERVABILITY = ['sentry', 'raven', 'datadog', 'ddtrace', 'newrelic', 'honeybadger', 'bugsnag', 'rollbar',
  'logtail', 'betterstack', 'axiomhq', 'logdna', 'loggly', 'papertrail', 'splunk', 'sumologic', 'apm',
  'appsignal', 'otlp', 'honeycomb', 'lightstep', 'dynatrace', 'instana', 'stackdriver', 'posthog', 'mixpanel',
  'amplitude', 'hotjar', 'fullstory', 'logrocket', 'launchdarkly', 'statsig', 'flagsmith',
  'growthbook', 'plausible', 'umami', 'matomo', 'heapanalytics', 'rudderstack', 'openreplay'];
const DATASTORES = ['redis', 'ioredis', 'mongodb', 'mongoose', 'elasticsearch', 'opensearch', 'algolia',
  'algoliasearch', 'meilisearch', 'typesense', 'pinecone', 'weaviate', 'qdrant', 'chromadb', 'milvus', 'cassandra',
  'couchbase', 'neo4j', 'snowflake', 'clickhouse', 'influxdb', 'memcached', 'dgraph', 'turso', 'libsql', 'oracle',
  'oracledb', 'ojdbc', 'couchdb', 'rethinkdb', 'arangodb', 'faunadb', 'cockroachdb', 'valkey', 'etcd', 'consul'];
// Identity providers; not frameworks that talk to none by themselves (omniauth, passport): their
// provider packages name the provider (omniauth-okta).
const AUTH = ['auth0', 'okta', 'clerk', 'workos', 'stytch', 'cognito', 'keycloak', 'supertokens', 'descope',
  'kinde', 'onelogin', 'fusionauth'];
const AI = ['openai', 'anthropic', 'cohere', 'mistralai', 'groq', 'replicate', 'huggingface', 'genai',
  'generativeai', 'vertexai', 'bedrock', 'voyageai', 'deepseek', 'perplexity', 'elevenlabs', 'assemblyai',
  'deepgram', 'langsmith', 'langfuse', 'ollama', 'togetherai'];
const SAAS = ['octokit', 'pygithub', 'gitlab', 'jira', 'intercom', 'zendesk', 'hubspot', 'salesforce', 'jsforce',
  'airtable', 'notionhq', 'contentful', 'sanity', 'shopify', 'googlemaps', 'mapbox', 'docusign', 'calendly',
  'freshdesk', 'chatwoot', 'vimeo', 'recaptcha', 'hcaptcha', 'maxmind', 'ipinfo', 'trello', 'asana', 'clickup', 'figma',
  'typeform', 'pipedrive', 'xero', 'quickbooks', 'netsuite', 'servicenow', 'twitch', 'spotify', 'youtube', 'tweepy',
  'praw', 'mastodon', 'atproto', 'raindrop', 'pinboard', 'wallabag', 'readwise', 'instapaper'];

export const SERVICE_TOKENS: ReadonlySet<string> = new Set([
  ...CLOUD, ...PAYMENTS, ...MESSAGING, ...QUEUES, ...OBSERVABILITY, ...DATASTORES, ...AUTH, ...AI, ...SAAS,
]);

/** Multi-token names that no single token captures. */
const SERVICE_NAME_PATTERNS: RegExp[] = [
  /(^|[/@])google[-.]cloud|cloud\.google\.com\/go|google\.golang\.org\/api|(^|\/)@google\/(genai|generative-ai)/,
  /(^|\/)@vercel\/(blob|kv|postgres|edge-config)\b|(^|[/-])dd-trace|elastic-apm|cloud-storage|(^|\/)go-github|(^|\/)@segment\/|(^|\/)analytics-node|(^|\/)passport-(?!local|jwt|custom|http|strategy)/,
];

/** Lower-case tokens of a name: `@aws-sdk/client-s3` → aws, sdk, client, s3; `S3Client` → s3client, s3, client. */
export function tokens(name: string): string[] {
  const parts = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const out: string[] = [];
  for (const p of parts) {
    out.push(p.toLowerCase());
    const camel = p.split(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/);
    if (camel.length > 1) out.push(...camel.map((c) => c.toLowerCase()));
  }
  return out;
}

/** Every service a package name names: `@umami/redis-client` is umami's client of redis. */
export function servicesIn(name: string): string[] {
  return /^@types\//.test(name) ? [] : tokens(name).filter((t) => SERVICE_TOKENS.has(t));
}

/** The service a package or identifier names, if any (its first service token). */
export function serviceIn(name: string): string | null {
  if (/^@types\//.test(name)) return null;
  const hit = tokens(name).find((t) => SERVICE_TOKENS.has(t));
  if (hit) return hit;
  const lower = name.toLowerCase();
  return SERVICE_NAME_PATTERNS.some((re) => re.test(lower)) ? lower : null;
}

/** Words that may sit around a service's name in a client's name: `S3Client`, `sentry_sdk`, `AsyncOpenAI`. */
const CLIENT_WORDS: ReadonlySet<string> = new Set(['client', 'clients', 'sdk', 'api', 'async', 'aio', 'sync', 'rest',
  'http', 'web', 'node', 'js', 'browser', 'producer', 'consumer', 'admin', 'session', 'connection', 'conn', 'pool',
  'cluster', 'transport', 'transporter', 'logger', 'publisher', 'subscriber', 'uploader', 'tracer', 'v1', 'v2', 'v3']);

/**
 * The service whose client an identifier path names (`Stripe::StripeClient`, `boto3`, `this.redisClient`),
 * if one segment is a service name, alone or with client words only. `RedisMonitorType` names none:
 * a class of one's own that mentions a service is not its client.
 */
export function clientOf(path: string): string | null {
  for (const segment of path.split(/\.|::/)) {
    const words = segment.split(/_+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/).map((w) => w.toLowerCase()).filter(Boolean);
    const core = words.filter((w) => !CLIENT_WORDS.has(w)).join('');
    if (SERVICE_TOKENS.has(core)) return core;
  }
  return null;
}
