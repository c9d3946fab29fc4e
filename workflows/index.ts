export { prToProduction } from './prToProduction.js';
export { deployLock } from './deployLock.js';
