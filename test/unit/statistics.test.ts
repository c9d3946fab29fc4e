/**
 * Reference values computed with scipy 1.17.1 (special.gammaln, stats.binom.sf, stats.fisher_exact
 * alternative='greater', stats.norm.cdf, stats.mannwhitneyu alternative='greater' method='asymptotic').
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  binomialUpperTail, fisherExactGreater, logBinomialCoefficient, logGamma, mannWhitneyGreater, normalCdf, normalUpperTail,
  type WeightedValue,
} from '../../workflows/policy/statistics.js';

function assertClose(actual: number, expected: number, relative: number, label: string): void {
  const tolerance = Math.max(Math.abs(expected) * relative, 1e-300);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: got ${actual}, expected ${expected} (±${tolerance})`);
}

const bins = (values: number[], counts: number[]): WeightedValue[] => values.map((value, i) => ({ value, count: counts[i] ?? 0 }));

describe('logGamma and logBinomialCoefficient', () => {
  const gammaTable: [number, number][] = [
    [0.1, 2.252712651734206], [0.5, 0.5723649429247], [1, 0], [2, 0], [10.5, 13.940625219403763],
    [100, 359.1342053695754], [1_000_001, 12815518.384658169],
  ];
  for (const [x, expected] of gammaTable) {
    it(`ln Γ(${x})`, () => {
      if (expected === 0) assert.ok(Math.abs(logGamma(x)) < 1e-14, `${logGamma(x)}`);
      else assertClose(logGamma(x), expected, 1e-13, `lnΓ(${x})`);
    });
  }
  it('rejects x ≤ 0', () => assert.throws(() => logGamma(0), /x > 0/));

  const binomialTable: [number, number, number][] = [[10, 3, 4.787491742782047], [1000, 500, 689.4672615678519], [1_000_000, 5000, 31473.890901640058]];
  for (const [n, k, expected] of binomialTable) {
    it(`ln C(${n}, ${k})`, () => assertClose(logBinomialCoefficient(n, k), expected, 1e-12, `lnC(${n},${k})`));
  }
  it('is exact at the edges and -Infinity outside', () => {
    assert.equal(logBinomialCoefficient(5, 0), 0);
    assert.equal(logBinomialCoefficient(5, 5), 0);
    assert.equal(logBinomialCoefficient(5, 6), Number.NEGATIVE_INFINITY);
    assert.equal(logBinomialCoefficient(5, -1), Number.NEGATIVE_INFINITY);
  });
});

describe('binomialUpperTail P(X ≥ k)', () => {
  const table: [k: number, n: number, p: number, expected: number][] = [
    [5, 100, 0.005, 0.00015859923883408935],
    [3, 50, 0.005, 0.0020555441095586064],
    [1, 50, 0.005, 0.22168744293135792],
    [12, 250, 0.005, 7.755506792144378e-9],
    [50, 50, 0.01, 1.000000000000001e-100],
    [100, 100, 0.005, 7.888609052210134e-231],
    [5000, 1_000_000, 0.005, 0.501894779836406],
    [5300, 1_000_000, 0.005, 1.2918755459636661e-5],
    [4800, 1_000_000, 0.005, 0.9978783473259236],
    [2, 1000, 0.01, 0.9995207555464211],
    [20, 1000, 0.01, 0.003288359787727457],
  ];
  for (const [k, n, p, expected] of table) {
    it(`k=${k} n=${n} p=${p}`, () => assertClose(binomialUpperTail(k, n, p), expected, 1e-8, `binom(${k},${n},${p})`));
  }
  it('handles the degenerate cases', () => {
    assert.equal(binomialUpperTail(0, 10, 0.3), 1);
    assert.equal(binomialUpperTail(11, 10, 0.3), 0);
    assert.equal(binomialUpperTail(1, 10, 0), 0);
    assert.equal(binomialUpperTail(10, 10, 1), 1);
    assert.equal(binomialUpperTail(0, 0, 0.5), 1);
    assert.ok(binomialUpperTail(1_000_000, 1_000_000, 0.5) < 1e-300);
  });
});

describe('fisherExactGreater', () => {
  const table: [table: [number, number, number, number], expected: number][] = [
    [[3, 50, 0, 950], 0.00011795362496765303],
    [[1, 50, 0, 950], 0.05],
    [[12, 250, 5, 4750], 9.34719760522218e-13],
    [[0, 100, 5, 100], 1],
    [[50, 100, 50, 100], 0.5562077878520212],
    [[5100, 1_000_000, 5000, 1_000_000], 0.16167835410084389],
    [[10, 1000, 10, 1000], 0.5885422383037667],
    [[100, 100, 0, 1900], 9.12357575619526e-172],
    [[100, 100, 1900, 1900], 1],
    [[4, 1000, 0, 19000], 6.214432871469198e-6],
    [[1, 1, 0, 1], 0.5],
  ];
  for (const [[failuresA, totalA, failuresB, totalB], expected] of table) {
    it(`${failuresA}/${totalA} vs ${failuresB}/${totalB}`, () => {
      assertClose(fisherExactGreater({ failuresA, totalA, failuresB, totalB }), expected, 1e-8, 'fisher');
    });
  }
  it('is 1 with no failures or no traffic', () => {
    assert.equal(fisherExactGreater({ failuresA: 0, totalA: 100, failuresB: 0, totalB: 100 }), 1);
    assert.equal(fisherExactGreater({ failuresA: 0, totalA: 0, failuresB: 0, totalB: 0 }), 1);
  });
});

describe('normalCdf', () => {
  const table: [number, number][] = [
    [-5, 2.866515718791933e-7], [-3, 0.0013498980316300933], [-1.96, 0.024997895148220435],
    [0, 0.5], [1, 0.8413447460685429], [3, 0.9986501019683699], [7.5, 0.9999999999999681],
  ];
  for (const [x, expected] of table) it(`Φ(${x})`, () => assertClose(normalCdf(x), expected, 1e-9, `Φ(${x})`));
  it('keeps relative precision in the far lower tail (1e-7 past 7 sd) and is 0 past 37 sd', () => {
    assertClose(normalCdf(-8), 6.22096057427174e-16, 1e-7, 'Φ(-8)');
    assertClose(normalUpperTail(8), 6.22096057427174e-16, 1e-7, 'Q(8)');
    assert.equal(normalCdf(-38), 0);
    assert.equal(normalCdf(38), 1);
  });
});

describe('mannWhitneyGreater', () => {
  it('matches scipy on raw samples', () => {
    const a = bins([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], Array(10).fill(1));
    const b = bins([5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5, 12.5, 13.5, 14.5], Array(10).fill(1));
    const result = mannWhitneyGreater(a, b);
    assert.equal(result.uA, 15);
    assertClose(result.pGreater, 0.9963577214952601, 1e-9, 'p');
  });

  const table: [name: string, a: WeightedValue[], b: WeightedValue[], u: number, p: number][] = [
    ['ties across samples', bins([10, 20, 30, 40], [3, 5, 2, 1]), bins([10, 20, 25, 30], [4, 4, 3, 2]), 73, 0.47588315008380166],
    ['all slow vs all fast', bins([1500], [50]), bins([20], [950]), 47500, 1.5126654651220243e-219],
    ['two tied values, shifted weights', bins([50, 52], [1000, 1000]), bins([50, 52], [1200, 800]), 2_200_000, 1.0380274389507639e-10],
    [
      'faster histogram (one-sided: no evidence)',
      bins([5, 10, 25, 50, 100, 250], [100, 400, 300, 150, 40, 10]),
      bins([5, 10, 25, 50, 100, 250, 500], [1500, 7000, 6000, 4000, 1200, 250, 50]),
      8_962_250, 0.9999999962709047,
    ],
    [
      'slower histogram',
      bins([5, 10, 25, 50, 100, 250, 500, 800, 1000, 2500], [10, 60, 120, 200, 300, 200, 80, 20, 8, 2]),
      bins([5, 10, 25, 50, 100, 250, 500, 800, 1000, 2500], [150, 700, 600, 400, 120, 25, 5, 0, 0, 0]),
      1_688_050, 4.895976074028627e-217,
    ],
  ];
  for (const [name, a, b, u, p] of table) {
    it(name, () => {
      const result = mannWhitneyGreater(a, b);
      assertClose(result.uA, u, 1e-12, 'U');
      assertClose(result.pGreater, p, 1e-7, 'p');
    });
  }

  it('merges bins of the same value and ignores empty bins', () => {
    const split = mannWhitneyGreater(bins([10, 20, 10, 40], [1, 5, 2, 0]), bins([10, 20, 20], [4, 1, 3]));
    const merged = mannWhitneyGreater(bins([10, 20], [3, 5]), bins([10, 20], [4, 4]));
    assert.deepEqual(split, merged);
    assert.equal(split.sizeA, 8);
  });

  it('has p = 1 when every observation ties', () => {
    const result = mannWhitneyGreater(bins([3], [15]), bins([3], [20]));
    assert.equal(result.uA, 150);
    assert.equal(result.z, 0);
    assert.equal(result.pGreater, 1);
  });

  it('is fast on many distinct values (no n·m pairing)', () => {
    const many = (offset: number) => Array.from({ length: 200_000 }, (_, i) => ({ value: i + offset, count: 5 }));
    const result = mannWhitneyGreater(many(0.5), many(0));
    assert.equal(result.sizeA, 1_000_000);
    assert.ok(result.pGreater > 0.05, `${result.pGreater}`);
  });
});
