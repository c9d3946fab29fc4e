import { errorCase, tailLatencyCase, healthyVersion, withFault } from './models.js';
import { defaultCanary } from './local.js';
import { ourSchedule, rolledBack } from './schedules.js';
import { simulateCanary } from './simulate.js';
import { median } from './report.js';
import { quantile } from './simulatedDetection.js';
import type { CanaryConfig } from '../../config/schema.js';
function detect(faultCase: typeof errorCase, canary: CanaryConfig, seeds: number, cap: number) {
  const out: number[] = [];
  for (let s = 1; s <= seeds; s++) {
    const sim = simulateCanary({ requestsPerSecond: 100, percent: 5, durationSeconds: cap, stable: healthyVersion, canary: withFault(healthyVersion, faultCase.fault) }, s);
    const d = ourSchedule(sim.trafficAt, canary, { stepSeconds: 600, capSeconds: cap });
    out.push(rolledBack(d) ? d.atSeconds : Infinity);
  }
  return `median ${median(out)} p90 ${quantile(out, 0.9)} share<=30 ${out.filter((v) => v <= 30).length / seeds}`;
}
function falseRb(canary: CanaryConfig, n: number) {
  let k = 0;
  for (let s = 1; s <= n; s++) {
    const sim = simulateCanary({ requestsPerSecond: 100, percent: 5, durationSeconds: 600, stable: healthyVersion, canary: healthyVersion }, 1000 + s);
    if (rolledBack(ourSchedule(sim.trafficAt, canary, { stepSeconds: 600 }))) k++;
  }
  return `${k}/${n}`;
}
const i5 = { ...defaultCanary, intervalSeconds: 5 };
const a01 = { ...defaultCanary, judge: { ...defaultCanary.judge, alpha: 0.01 } };
console.log('A default', detect(errorCase, defaultCanary, 200, 120));
console.log('A interval 5', detect(errorCase, i5, 200, 120));
console.log('A alpha .01', detect(errorCase, a01, 200, 120));
console.log('B2 alpha .01', detect(tailLatencyCase, a01, 40, 600));
console.log('false interval5', falseRb(i5, 30));
console.log('false alpha .01', falseRb(a01, 30));
