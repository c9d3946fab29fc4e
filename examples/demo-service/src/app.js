import { featureFlags } from './features.js';
import { getOrder, listOrders } from './orders.js';

export const GREETING = 'Hello from demo-service';

/**
 * The routes, as a function of (method, path) → { status, body }, so tests need no network.
 * @param {{ serviceEnv: string, version: string }} options
 */
export function createApp({ serviceEnv, version }) {
  const features = featureFlags(serviceEnv);

  return function handle(method, path) {
    if (method !== 'GET') return { status: 405, body: { error: 'method not allowed' } };

    if (path === '/health') return { status: 200, body: { status: 'ok' } };

    if (path === '/') {
      return { status: 200, body: { service: 'demo-service', message: GREETING, version, env: serviceEnv } };
    }

    if (path === '/api/orders') {
      const orders = listOrders();
      return { status: 200, body: { count: orders.length, orders } };
    }

    const match = /^\/api\/orders\/(\d+)$/.exec(path);
    if (match) {
      const order = getOrder(Number(match[1]));
      if (!order) return { status: 404, body: { error: `order ${match[1]} not found` } };
      if (features.orderEta) order.estimatedDelivery = estimatedDelivery(order.createdAt);
      return { status: 200, body: order };
    }

    return { status: 404, body: { error: 'not found' } };
  };
}

function estimatedDelivery(createdAt) {
  const threeDays = 3 * 24 * 60 * 60 * 1000;
  return new Date(Date.parse(createdAt) + threeDays).toISOString().slice(0, 10);
}
