import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp, GREETING } from '../src/app.js';
import { orderTotals } from '../src/orders.js';

const handle = createApp({ serviceEnv: 'test', version: 'test' });

test('health answers ok', () => {
  assert.deepEqual(handle('GET', '/health'), { status: 200, body: { status: 'ok' } });
});

test('home greets', () => {
  const { status, body } = handle('GET', '/');
  assert.equal(status, 200);
  assert.equal(body.message, GREETING);
  assert.match(body.message, /^Hello/);
});

test('orders are listed newest first with totals', () => {
  const { status, body } = handle('GET', '/api/orders');
  assert.equal(status, 200);
  assert.equal(body.count, 4);
  assert.deepEqual(body.orders.map((order) => order.id), [1004, 1003, 1002, 1001]);
  assert.equal(body.orders[3].totalCents, 8518);
});

test('an order has line totals, tax and an estimated delivery', () => {
  const { status, body } = handle('GET', '/api/orders/1001');
  assert.equal(status, 200);
  assert.equal(body.customer.name, 'Ada Lovelace');
  assert.equal(body.subtotalCents, 7098);
  assert.equal(body.taxCents, 1420);
  assert.equal(body.totalCents, 8518);
  assert.equal(body.estimatedDelivery, '2024-05-04');
});

test('totals are computed from the items', () => {
  const totals = orderTotals({ items: [{ quantity: 3, unitPriceCents: 100 }] });
  assert.deepEqual(totals, { subtotalCents: 300, taxCents: 60, totalCents: 360 });
});

test('unknown routes and orders are 404', () => {
  assert.equal(handle('GET', '/api/orders/9999').status, 404);
  assert.equal(handle('GET', '/nope').status, 404);
  assert.equal(handle('POST', '/api/orders').status, 405);
});
