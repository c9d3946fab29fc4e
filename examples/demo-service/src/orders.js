/**
 * Orders: an in-memory stand-in for the `orders` table (see migrations/), and the pricing rules.
 * Pure functions only; the HTTP layer is in app.js.
 */

const TAX_RATE = 0.2;

const customers = new Map([
  ['c-ada', { id: 'c-ada', name: 'Ada Lovelace', loyalty: { tier: 'gold', since: '2021-03-01' } }],
  ['c-grace', { id: 'c-grace', name: 'Grace Hopper', loyalty: { tier: 'silver', since: '2023-07-15' } }],
  ['c-linus', { id: 'c-linus', name: 'Linus Torvalds' }],
]);

const orders = [
  {
    id: 1001,
    customerId: 'c-ada',
    createdAt: '2024-05-01T10:00:00Z',
    items: [
      { sku: 'BOOK-ANALYTICAL-ENGINE', quantity: 2, unitPriceCents: 1299 },
      { sku: 'PEN-FOUNTAIN', quantity: 1, unitPriceCents: 4500 },
    ],
  },
  {
    id: 1002,
    customerId: 'c-grace',
    createdAt: '2024-05-02T14:30:00Z',
    items: [{ sku: 'COBOL-MANUAL', quantity: 1, unitPriceCents: 2599 }],
  },
  {
    id: 1003,
    customerId: 'c-linus',
    createdAt: '2024-05-03T08:15:00Z',
    items: [
      { sku: 'KEYBOARD-MECH', quantity: 1, unitPriceCents: 8900 },
      { sku: 'PENGUIN-PLUSH', quantity: 3, unitPriceCents: 999 },
    ],
  },
  {
    id: 1004,
    customerId: 'c-ada',
    createdAt: '2024-05-04T19:45:00Z',
    items: [{ sku: 'PUNCH-CARDS-500', quantity: 4, unitPriceCents: 350 }],
  },
];

export function findCustomer(customerId) {
  return customers.get(customerId) ?? null;
}

/** Subtotal, tax and total of an order, in cents. */
export function orderTotals(order) {
  const subtotalCents = order.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
  const taxCents = Math.round(subtotalCents * TAX_RATE);
  return { subtotalCents, taxCents, totalCents: subtotalCents + taxCents };
}

export function getOrder(id) {
  const order = orders.find((candidate) => candidate.id === id);
  if (!order) return null;
  const customer = findCustomer(order.customerId);
  return {
    id: order.id,
    createdAt: order.createdAt,
    customer: customer ? { id: customer.id, name: customer.name } : null,
    items: order.items.map((item) => ({ ...item, lineTotalCents: item.quantity * item.unitPriceCents })),
    ...orderTotals(order),
  };
}

/** Newest first, with totals, as the orders page shows them. */
export function listOrders() {
  return [...orders]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((order) => ({
      id: order.id,
      createdAt: order.createdAt,
      itemCount: order.items.reduce((sum, item) => sum + item.quantity, 0),
      totalCents: orderTotals(order).totalCents,
    }));
}
