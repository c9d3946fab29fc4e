export { prToProduction } from './prToProduction.js';
