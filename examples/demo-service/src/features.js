/**
 * Feature flags per environment (SERVICE_ENV: development, staging or production).
 * New behaviour is switched on here, usually in staging first.
 */
export function featureFlags(serviceEnv) {
  return {
    orderEta: serviceEnv !== 'production',
  };
}
