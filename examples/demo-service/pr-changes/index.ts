/**
 * The three pull requests the demo makes on a throw-away git repo of examples/demo-service.
 *
 * Format: each entry of `demoPullRequests` is one PR against the base commit.
 *   key          'clean' (should be deployed), 'risky' (schema migration: waits for a human),
 *                'bad' (passes tests and staging, fails in production: the canary is rolled back)
 *   title, author, description   what the PR would show on GitHub
 *   files        path relative to the repo root → the file's full new content, or null to delete it.
 *                Paths not listed are unchanged. Apply with: for each entry, write (mkdir -p) or delete.
 *
 * Build the base commit from `baseRepoFiles()` (the service without this folder, coverage/ or
 * node_modules/), then for each PR: branch from base, apply `files`, commit as `author`.
 * The new contents are derived from the base files by exact text edits, so the PRs stay small diffs
 * of the real service; an edit whose anchor text is missing throws at import time.
 *
 * Why the bad one only fails in production: it switches a loyalty discount on when
 * SERVICE_ENV=production and reads `customer.loyalty.tier` without checking that the customer is a
 * loyalty member. Order 1003's customer is not, so GET /api/orders/1003 answers 500 in production:
 * one of the four traffic paths in prpilot.config.json, about 25% of requests. Tests (no SERVICE_ENV)
 * and staging (SERVICE_ENV=staging) never take that branch.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DemoPullRequest {
  key: 'clean' | 'risky' | 'bad';
  title: string;
  author: string;
  description: string;
  /** path relative to the repo root → full new content, or null to delete the file */
  files: Record<string, string | null>;
}

/** Absolute path of examples/demo-service. */
export const demoServiceDir: string = fileURLToPath(new URL('..', import.meta.url));

const notInBaseRepo = new Set(['pr-changes', 'coverage', 'node_modules', '.git']);

/** Every file of the service's base commit, path relative to the repo root → content. */
export function baseRepoFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(demoServiceDir, path).split(sep).join('/');
      if (notInBaseRepo.has(rel.split('/')[0] ?? '')) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files[rel] = readFileSync(path, 'utf8');
    }
  };
  walk(demoServiceDir);
  return files;
}

function base(rel: string): string {
  return readFileSync(join(demoServiceDir, rel), 'utf8');
}

/** Applies exact text replacements to a base file; each `from` must occur exactly once. */
function edit(rel: string, replacements: [from: string, to: string][]): string {
  let text = base(rel);
  for (const [from, to] of replacements) {
    const count = text.split(from).length - 1;
    if (count !== 1) {
      throw new Error(`demo PR edit of ${rel}: expected the anchor text once, found it ${count} times: ${JSON.stringify(from)}`);
    }
    text = text.replace(from, () => to);
  }
  return text;
}

const clean: DemoPullRequest = {
  key: 'clean',
  title: 'Friendlier greeting on the home endpoint',
  author: 'alice',
  description: 'Marketing asked for a warmer welcome message on `/`. Updates the test accordingly.',
  files: {
    'src/app.js': edit('src/app.js', [
      ["export const GREETING = 'Hello from demo-service';", "export const GREETING = 'Welcome to demo-service';"],
    ]),
    'test/app.test.js': edit('test/app.test.js', [['assert.match(body.message, /^Hello/);', 'assert.match(body.message, /^Welcome/);']]),
  },
};

const risky: DemoPullRequest = {
  key: 'risky',
  title: 'Track the fulfilment status of orders',
  author: 'bob',
  description:
    'Adds a `status` column to `orders` (migration 002, backfilled as delivered for older orders) and ' +
    'returns it from the orders endpoints.',
  files: {
    'migrations/002_add_orders_status.sql': [
      "-- Orders get a fulfilment status; orders placed before May 4th are backfilled as delivered.",
      "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';",
      "UPDATE orders SET status = 'delivered' WHERE created_at < '2024-05-04';",
      'CREATE INDEX orders_status_idx ON orders (status);',
      '',
    ].join('\n'),
    'src/orders.js': edit('src/orders.js', [
      ["createdAt: '2024-05-01T10:00:00Z',", "createdAt: '2024-05-01T10:00:00Z',\n    status: 'delivered',"],
      ["createdAt: '2024-05-02T14:30:00Z',", "createdAt: '2024-05-02T14:30:00Z',\n    status: 'delivered',"],
      ["createdAt: '2024-05-03T08:15:00Z',", "createdAt: '2024-05-03T08:15:00Z',\n    status: 'delivered',"],
      ["createdAt: '2024-05-04T19:45:00Z',", "createdAt: '2024-05-04T19:45:00Z',\n    status: 'pending',"],
      ['    createdAt: order.createdAt,\n    customer:', '    createdAt: order.createdAt,\n    status: order.status,\n    customer:'],
      ['      createdAt: order.createdAt,\n      itemCount:', '      createdAt: order.createdAt,\n      status: order.status,\n      itemCount:'],
    ]),
    'test/app.test.js': edit('test/app.test.js', [
      [
        '  assert.equal(body.orders[3].totalCents, 8518);\n',
        "  assert.equal(body.orders[3].totalCents, 8518);\n  assert.deepEqual(body.orders.map((order) => order.status), ['pending', 'delivered', 'delivered', 'delivered']);\n",
      ],
    ]),
  },
};

const bad: DemoPullRequest = {
  key: 'bad',
  title: 'Loyalty discount for gold and silver members',
  author: 'carol',
  description:
    'Gold members get 10% off, silver 5%, applied before tax on the order detail. Switched on in ' +
    'production for the spring campaign; staging keeps list prices so QA screenshots stay stable.',
  files: {
    'src/features.js': edit('src/features.js', [
      [
        "    orderEta: serviceEnv !== 'production',\n",
        "    orderEta: serviceEnv !== 'production',\n    loyaltyDiscount: serviceEnv === 'production',\n",
      ],
    ]),
    'src/orders.js': edit('src/orders.js', [
      [
        'const TAX_RATE = 0.2;\n',
        'const TAX_RATE = 0.2;\n/** Share of the subtotal taken off for loyalty members, by tier. */\nconst LOYALTY_DISCOUNT = { gold: 0.1, silver: 0.05 };\n',
      ],
      [
        [
          '/** Subtotal, tax and total of an order, in cents. */',
          'export function orderTotals(order) {',
          '  const subtotalCents = order.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);',
          '  const taxCents = Math.round(subtotalCents * TAX_RATE);',
          '  return { subtotalCents, taxCents, totalCents: subtotalCents + taxCents };',
          '}',
        ].join('\n'),
        [
          '/** Subtotal, loyalty discount, tax and total of an order, in cents. */',
          'export function orderTotals(order, features = {}) {',
          '  const subtotalCents = order.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);',
          '  const discountCents = features.loyaltyDiscount ? loyaltyDiscountCents(order, subtotalCents) : 0;',
          '  const taxCents = Math.round((subtotalCents - discountCents) * TAX_RATE);',
          '  return { subtotalCents, discountCents, taxCents, totalCents: subtotalCents - discountCents + taxCents };',
          '}',
          '',
          'function loyaltyDiscountCents(order, subtotalCents) {',
          '  const customer = findCustomer(order.customerId);',
          '  const rate = LOYALTY_DISCOUNT[customer.loyalty.tier] ?? 0;',
          '  return Math.round(subtotalCents * rate);',
          '}',
        ].join('\n'),
      ],
      ['export function getOrder(id) {', 'export function getOrder(id, features = {}) {'],
      ['    ...orderTotals(order),', '    ...orderTotals(order, features),'],
    ]),
    'src/app.js': edit('src/app.js', [
      ['const order = getOrder(Number(match[1]));', 'const order = getOrder(Number(match[1]), features);'],
    ]),
    'test/app.test.js': edit('test/app.test.js', [
      [
        'assert.deepEqual(totals, { subtotalCents: 300, taxCents: 60, totalCents: 360 });\n});\n',
        [
          'assert.deepEqual(totals, { subtotalCents: 300, discountCents: 0, taxCents: 60, totalCents: 360 });',
          '});',
          '',
          "test('loyalty members get their tier discount before tax', () => {",
          "  const order = { customerId: 'c-ada', items: [{ quantity: 1, unitPriceCents: 1000 }] };",
          '  const totals = orderTotals(order, { loyaltyDiscount: true });',
          '  assert.deepEqual(totals, { subtotalCents: 1000, discountCents: 100, taxCents: 180, totalCents: 1080 });',
          '});',
          '',
        ].join('\n'),
      ],
    ]),
  },
};

export const demoPullRequests: DemoPullRequest[] = [clean, risky, bad];
