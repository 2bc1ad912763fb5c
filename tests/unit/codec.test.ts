/**
 * The series block codec: exact round trips for every value shape a monitor
 * stores and for seeded random blocks, compactness, rejection of bad input,
 * corrupt and truncated blocks failing with a BlockError (checked for hangs
 * in a worker with a deadline), mergeSeries and seriesLength.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  BlockError,
  decodeSeries,
  encodeSeries,
  FORMAT_VERSION,
  MAX_SAMPLES,
  MAX_TS,
  mergeSeries,
  seriesLength,
} from '../../server/store/codec.ts';
import { seededRandom as prng } from '../helpers/random.ts';

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
const YEAR_2200_MS = Date.UTC(2200, 0, 1);

/** Ticks every `intervalMs` from `startMs`, each late by 0–5 ms. */
function ticks(n: number, intervalMs: number, r: () => number, startMs = 1_760_000_000_000): number[] {
  return Array.from({ length: n }, (_, i) => startMs + i * intervalMs + Math.floor(r() * 6));
}

/** Value shapes a monitor stores; each takes the ticks and a PRNG. */
const SHAPES: Record<string, (ts: number[], r: () => number) => number[]> = {
  'cpu % with one decimal and noise': (ts, r) => ts.map(() => round(8 + r() * 12, 1)),
  'memory MB integers drifting slowly': (ts, r) => {
    let mb = 6000;
    return ts.map(() => (mb += Math.round((r() - 0.5) * 6)));
  },
  'disk % with one decimal, almost constant': (ts, r) => {
    let pct = 63.4;
    return ts.map(() => (r() < 0.05 ? (pct = round(pct + 0.1, 1)) : pct));
  },
  'free GB with two decimals': (ts, r) => {
    let gb = 212.5;
    return ts.map(() => round((gb -= r() * 0.02), 2));
  },
  'network bytes/s integers that jump': (ts, r) => ts.map(() => (r() < 0.3 ? Math.floor(r() * 5_000_000) : r() < 0.2 ? 0 : Math.floor(r() * 20_000))),
  'a constant (cpu count 8)': (ts) => ts.map(() => 8),
  'a 0/1 series (host up)': (ts, r) => {
    let up = 1;
    return ts.map(() => (r() < 0.05 ? (up = 1 - up) : up));
  },
  'a rate with arbitrary float noise': (ts, r) => ts.map(() => 12.345678901 + (r() - 0.5) * 0.1),
  'histogram percentiles with four decimals': (ts, r) => ts.map(() => round(0.2 + r() * 0.1, 4)),
  "a counter's per-second rate over jittered ticks": (ts, r) => ts.map((t, i) => (i === 0 ? 1000 : Math.floor(r() * 900) / ((t - ts[i - 1]!) / 1000))),
};

/** What decodeSeries must return for these inputs: the same numbers, -0 as 0. */
function assertRoundTrip(ts: readonly number[], values: readonly number[], what = ''): Uint8Array {
  const block = encodeSeries(ts, values);
  const decoded = decodeSeries(block);
  // deepEqual in strict mode compares with Object.is: stricter than ===, and it tells -0 from 0.
  assert.deepEqual(Array.from(decoded.ts), ts, `timestamps ${what}`);
  assert.deepEqual(Array.from(decoded.values), values.map((v) => (v === 0 ? 0 : v)), `values ${what}`);
  assert.equal(seriesLength(block), ts.length, `seriesLength ${what}`);
  return block;
}

describe('encodeSeries / decodeSeries', () => {
  it('round-trips each value shape exactly in blocks of 60 at 1 s, 12 at 5 s and 3,600 at 1 s', () => {
    const r = prng(1);
    for (const [name, make] of Object.entries(SHAPES)) {
      for (const [n, intervalMs] of [[60, 1000], [12, 5000], [3600, 1000]] as const) {
        const ts = ticks(n, intervalMs, r);
        assertRoundTrip(ts, make(ts, r), `${name}, ${n} samples`);
      }
    }
  });

  it('stores the mix of decimal shapes at under 2 bytes per sample in 60-tick blocks', () => {
    const r = prng(2);
    const decimal = Object.keys(SHAPES).slice(0, 7); // cpu … host up: the shapes with a decimal scale
    let bytes = 0;
    let samples = 0;
    for (let b = 0; b < 50; b++) {
      for (const name of decimal) {
        const ts = ticks(60, 1000, r);
        bytes += encodeSeries(ts, SHAPES[name]!(ts, r)).length;
        samples += 60;
      }
    }
    assert.ok(bytes / samples <= 2, `${(bytes / samples).toFixed(2)} bytes per sample`);
  });

  it('stores a constant on exact 1 s ticks in a header-sized block however long', () => {
    const ts = Array.from({ length: 3600 }, (_, i) => 1_760_000_000_000 + i * 1000);
    const block = assertRoundTrip(ts, ts.map(() => 42.5));
    assert.ok(block.length <= 20, `${block.length} bytes`);
  });

  it('starts every block with the format version byte', () => {
    assert.equal(encodeSeries([1000], [1])[0], FORMAT_VERSION);
    assert.equal(encodeSeries([], [])[0], FORMAT_VERSION);
    assert.equal(encodeSeries([1, 2, 3], [0.1 + 0.2, Math.PI, 1e300])[0], FORMAT_VERSION);
  });

  it('round-trips an empty series and a single sample, at ts 0, now and in the year 2200', () => {
    assertRoundTrip([], []);
    for (const t of [0, 1, 1_760_000_000_123, YEAR_2200_MS, -1, MAX_TS, -MAX_TS]) {
      for (const v of [0, 8, -3.25, 0.1 + 0.2, 1e300, -1e-300, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, -(2 ** 60)]) {
        assertRoundTrip([t], [v], `ts ${t}, value ${v}`);
      }
    }
  });

  it('round-trips huge timestamp gaps, up to the whole allowed range in one step', () => {
    assertRoundTrip([0, 1, YEAR_2200_MS, YEAR_2200_MS + 1, YEAR_2200_MS + 2], [1, 2, 3, 4, 5]);
    assertRoundTrip([-MAX_TS, -MAX_TS + 1, MAX_TS], [1.5, 2.5, 3.5]);
    assertRoundTrip([-MAX_TS, MAX_TS - 1, MAX_TS], [0.1, 0.2, 0.3]);
    const ts = [0, 1000, 2000, 3_000_000_000_000, 3_000_000_001_000, 3_000_000_001_001, YEAR_2200_MS];
    assertRoundTrip(ts, [1, 2, 3, 4, 5, 6, 7]);
  });

  it('round-trips values needing every decimal scale, and ones no scale fits', () => {
    const ts = [1, 2, 3, 4];
    for (let d = 0; d <= 9; d++) assertRoundTrip(ts, [1, -2.5, 10 ** -d, 123 + 7 * 10 ** -d], `scale ${d}`);
    assertRoundTrip(ts, [1, 0.5, 0.25, 0.125]);
    assertRoundTrip(ts, [0.1 + 0.2, 0.3, 1e-10, 2 ** 51 + 1]);
    assertRoundTrip(ts, [2 ** 53, -(2 ** 53), 2 ** 51, 2 ** 52 + 2]);
    assertRoundTrip(ts, [5e-324, -5e-324, 2.2250738585072014e-308, -Number.MAX_VALUE]);
  });

  it('keeps values with up to nine decimals on the decimal path, at the smallest scale', () => {
    const r = prng(8);
    const ts = Array.from({ length: 60 }, (_, i) => i * 1000); // ts[0] = 0: the mode byte is byte 3
    for (let d = 0; d <= 9; d++) {
      // The first value needs exactly d decimals, so no smaller scale fits.
      const block = encodeSeries(ts, ts.map((_, i) => (i === 0 ? 1 / 10 ** d : round(r() * 100, d))));
      assert.equal(block[3], d, `${d} decimals`);
    }
    assert.equal(encodeSeries(ts, ts.map((_, i) => (i === 0 ? 1e-10 : round(r() * 100, 1))))[3], 255, 'ten decimals take the float path');
    // Integers up to ±2^50 are scaled integers even when consecutive ones are 2^51 apart; beyond, floats.
    const extremes = [2 ** 50, -(2 ** 50), 2 ** 50, -(2 ** 50)];
    assert.equal(assertRoundTrip([0, 1, 2, 3], extremes)[3], 0, '±2^50');
    assert.equal(assertRoundTrip([0, 1, 2, 3], [...extremes.slice(0, 3), 2 ** 50 + 1])[3], 255, '2^50 + 1');
  });

  it('stores -0 as 0 on both the decimal and the float path', () => {
    assert.ok(Object.is(decodeSeries(encodeSeries([1, 2], [-0, 1])).values[0], 0));
    assert.ok(Object.is(decodeSeries(encodeSeries([1, 2], [-0, Math.PI])).values[0], 0));
    assert.ok(Object.is(decodeSeries(encodeSeries([1, 2], [Math.PI, -0])).values[1], 0));
  });

  it('round-trips thousands of seeded random blocks of mixed shapes, lengths 1 to 3,600', () => {
    const r = prng(3);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const sign = () => (r() < 0.5 ? -1 : 1);
    const values: Array<() => number> = [
      () => sign() * round(r() * 10 ** Math.floor(r() * 8), Math.floor(r() * 10)), // decimals at any scale
      () => sign() * Math.floor(r() * 2 ** 53), // integers up to 2^53
      () => sign() * r() * 10 ** Math.floor(-300 + r() * 601), // 1e-300 … 1e300
      () => Math.floor(r() * 10) * 0.1 + 0.2, // 0.1 + 0.2 and friends
      () => Math.floor(r() * 1000) * 5e-324, // subnormals
      () => pick([0, -0, 1, 8, Math.PI, -1e300]), // repeats, so XOR '0' records and reused windows occur
    ];
    let samples = 0;
    for (let b = 0; b < 3000; b++) {
      const u = r();
      const n = u < 0.7 ? 1 + Math.floor(r() * 100) : u < 0.95 ? 100 + Math.floor(r() * 900) : 1000 + Math.floor(r() * 2601);
      const gaps: number[] = [];
      const intervalMs = pick([1, 1000, 5000, 60_000]);
      for (let i = 1; i < n; i++) gaps.push(r() < 0.01 ? 1 + Math.floor(r() * 1e13) : Math.max(1, intervalMs + Math.floor((r() - 0.5) * 10)));
      const span = gaps.reduce((s, g) => s + g, 0);
      const start = pick([0, Math.floor(r() * (YEAR_2200_MS - span)), -MAX_TS, MAX_TS - span]);
      const ts = [start];
      for (const g of gaps) ts.push(ts.at(-1)! + g);
      // A monitor's shape for the whole block, or a mix of one to three value kinds sample by sample.
      const kinds = Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(values));
      const vs = r() < 0.3 ? pick(Object.values(SHAPES))(ts, r) : ts.map(() => pick(kinds)());
      assertRoundTrip(ts, vs, `block ${b} (${n} samples)`);
      samples += n;
    }
    assert.ok(samples > 500_000, `${samples} samples`); // the length distribution really reached long blocks
  });

  it('rejects bad input with a RangeError naming the problem', () => {
    const cases: Array<[string, ArrayLike<number>, ArrayLike<number>, RegExp]> = [
      ['length mismatch', [1, 2], [1], /^ts and values differ in length \(2 vs 1\)$/],
      ['NaN value', [1, 2], [1, NaN], /^values\[1\] is not finite \(NaN\)$/],
      ['Infinity', [1, 2], [Infinity, 1], /^values\[0\] is not finite \(Infinity\)$/],
      ['-Infinity', [1, 2, 3], [1, 2, -Infinity], /^values\[2\] is not finite \(-Infinity\)$/],
      ['a string value', [1], ['5' as unknown as number], /^values\[0\] is not finite \(5\)$/],
      ['fractional ts', [1000, 1000.5], [1, 2], /^ts\[1\] is not an integer \(1000\.5\)$/],
      ['NaN ts', [NaN], [1], /^ts\[0\] is not an integer \(NaN\)$/],
      ['repeated ts', [1000, 2000, 2000], [1, 2, 3], /^ts\[2\] is not after ts\[1\] \(2000 <= 2000\)$/],
      ['decreasing ts', [2000, 1000], [1, 2], /^ts\[1\] is not after ts\[0\] \(1000 <= 2000\)$/],
      ['ts beyond the range', [0, MAX_TS + 2], [1, 2], /^ts\[1\] is out of range \(2251799813685250\)$/],
      ['ts below the range', [-MAX_TS - 2], [1], /^ts\[0\] is out of range \(-2251799813685250\)$/],
      ['too many samples', { length: MAX_SAMPLES + 1 }, { length: MAX_SAMPLES + 1 }, /^too many samples for one block \(1048577 > 1048576\)$/],
    ];
    for (const [what, ts, values, message] of cases) {
      assert.throws(() => encodeSeries(ts, values), (e: unknown) => e instanceof RangeError && message.test(e.message), what);
    }
  });
});

/** Valid blocks of every kind: empty, one sample, two, decimal narrow and wide, float, long. */
function sampleBlocks(): Uint8Array[] {
  const r = prng(4);
  const blocks = [encodeSeries([], []), encodeSeries([5], [1.5]), encodeSeries([5], [Math.E]), encodeSeries([1, 9], [3, 4])];
  for (const [name, make] of Object.entries(SHAPES)) {
    const ts = ticks(name.startsWith('memory') ? 600 : 60, 1000, r);
    blocks.push(encodeSeries(ts, make(ts, r)));
  }
  blocks.push(encodeSeries([0, MAX_TS - 1, MAX_TS], [2 ** 50, -(2 ** 50), 0]));
  return blocks;
}

/** A copy of the block with `edit` applied. */
function edited(block: Uint8Array, edit: (b: Uint8Array) => void): Uint8Array {
  const out = block.slice();
  edit(out);
  return out;
}

/** The same block with `count` random bytes xor-ed with a nonzero byte. */
const flip = (block: Uint8Array, r: () => number, count: number) =>
  edited(block, (b) => {
    for (let i = 0; i < count; i++) b[Math.floor(r() * b.length)]! ^= 1 + Math.floor(r() * 255);
  });

// Bytes of this block: 0 version, 1 count, 2–3 zigzag(ts[0]), 4 mode, 5 zigzag(values[0]),
// 6–7 smallest ts delta, 8 ts width, 9 value width, 10 the fields.
const smallBlock = encodeSeries([1000, 2000, 3001], [1, 2, 3]);
// 3 ts fields of 1 bit and 3 value fields of 2 bits: 9 bits, so the top 7 bits of the last byte are padding.
const paddedBlock = encodeSeries([0, 1000, 2000, 3001], [1, 2, 3, 3]);

// A float block: 0 version, 1 count, 2 zigzag(ts[0]), 3 mode, 4–11 values[0] (1.0), 12 smallest ts delta, 13 ts width,
// 14–15 one XOR record: bits '1','1', 5 bits leading zeros (2), 6 bits length − 1 (0), then the 1 bit that differs.
const xorBlock = encodeSeries([0, 1], [1, new Float64Array(new BigUint64Array([0x1ff0000000000000n]).buffer)[0]!]);

/** Hand-made damage, each with the message it must be rejected with. */
const CORRUPTIONS: Array<[string, Uint8Array, RegExp]> = [
  ['version 0', edited(smallBlock, (b) => (b[0] = 0)), /^unknown block format version 0$/],
  ['version 2', edited(smallBlock, (b) => (b[0] = 2)), /^unknown block format version 2$/],
  ['version 255', edited(smallBlock, (b) => (b[0] = 255)), /^unknown block format version 255$/],
  ['an empty block', new Uint8Array(0), /^truncated block \(0 bytes\)$/],
  ['a truncated count', Uint8Array.of(FORMAT_VERSION, 0x80), /^truncated block \(2 bytes\)$/],
  // varint(MAX_SAMPLES + 1) = 2^20 + 1
  ['a count above MAX_SAMPLES', Uint8Array.of(FORMAT_VERSION, 0x81, 0x80, 0x40), /^sample count 1048577 above 1048576$/],
  ['a varint of 9 bytes', Uint8Array.of(FORMAT_VERSION, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 1), /^varint longer than 8 bytes$/],
  ['value mode 10', edited(smallBlock, (b) => (b[4] = 10)), /^unknown value mode 10$/],
  ['a timestamp width of 54 bits', edited(smallBlock, (b) => (b[8] = 54)), /^bit width 54 above 53$/],
  ['a value width of 200 bits', edited(smallBlock, (b) => (b[9] = 200)), /^bit width 200 above 53$/],
  ['a smallest ts delta of 0', edited(smallBlock, (b) => (b[6] = 0)), /^smallest timestamp delta out of range \(0\)$/],
  ['a trailing byte', Uint8Array.of(...smallBlock, 0), /^1 trailing bytes after the samples$/],
  ['trailing bytes after XORs', Uint8Array.of(...encodeSeries([0, 1000, 2000], [Math.PI, Math.E, Math.SQRT2]), 0, 0), /^2 trailing bytes after the samples$/],
  ['nonzero padding', edited(paddedBlock, (b) => (b[b.length - 1]! |= 0x80)), /^nonzero padding bits$/],
  ['a first value of Infinity', edited(xorBlock, (b) => new DataView(b.buffer).setFloat64(4, Infinity, true)), /^first value is not finite$/],
  // One leading zero fewer moves the differing bit into the exponent: 1.0's bits xor 2^62 are Infinity's.
  ['an XOR record making Infinity', edited(xorBlock, (b) => (b[14] = 0b0111)), /^value 1 is not finite$/],
  ['an XOR record reusing a window before any', edited(xorBlock, (b) => (b[14] = 0b01)), /^XOR record reuses a window before any at value 1$/],
];

/** Every strict prefix of a block, tagged for messages. */
const TRUNCATIONS = sampleBlocks().flatMap((block, b) =>
  Array.from({ length: block.length }, (_, len) => ({ what: `block ${b} cut to ${len} of ${block.length} bytes`, block: block.slice(0, len) })),
);

/** Thousands of blocks with 1–3 bytes flipped, cut short, or both. */
const DAMAGED = (() => {
  const r = prng(5);
  const bases = sampleBlocks();
  const cut = (b: Uint8Array) => b.slice(0, Math.floor(r() * b.length));
  return Array.from({ length: 6000 }, (_, i) => {
    const base = bases[i % bases.length]!;
    const kind = r();
    return kind < 0.6 ? flip(base, r, 1 + Math.floor(r() * 3)) : kind < 0.8 ? cut(base) : cut(flip(base, r, 1));
  });
})();

/** Runs decodeSeries and seriesLength on every block in a worker; true when it finished within `deadlineMs`, false (worker killed) otherwise. */
function decodesWithin(blocks: Uint8Array[], deadlineMs: number): Promise<boolean> {
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.tsx).then(({ register }) => { register(); return import(workerData.codec); }).then((codec) => {
      for (const b of workerData.blocks) {
        try { codec.decodeSeries(b); } catch {}
        try { codec.seriesLength(b); } catch {}
      }
      parentPort.postMessage('done');
    });`;
  const worker = new Worker(code, {
    eval: true,
    workerData: { blocks, tsx: import.meta.resolve('tsx/esm/api'), codec: import.meta.resolve('../../server/store/codec.ts') },
  });
  return new Promise<boolean>((resolve, reject) => {
    const timer = setTimeout(() => void worker.terminate().then(() => resolve(false)), deadlineMs);
    worker.once('message', () => {
      clearTimeout(timer);
      void worker.terminate().then(() => resolve(true));
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

// A decoder that loops forever on some damaged block would hang this process. Every damaged block this file
// decodes goes through a worker with a deadline first; a failed hook here cancels every test of the file.
before(async () => {
  const all = [...CORRUPTIONS.map(([, block]) => block), ...TRUNCATIONS.map((t) => t.block), ...DAMAGED];
  if (!(await decodesWithin(all, 30_000))) throw new Error('decoding the damaged blocks did not finish within 30 s');
});

describe('decodeSeries on damaged blocks', () => {
  it('rejects each kind of hand-made damage with a BlockError naming it', () => {
    for (const [what, block, message] of CORRUPTIONS) {
      assert.throws(() => decodeSeries(block), (e: unknown) => e instanceof BlockError && message.test(e.message), what);
    }
  });

  it('rejects every truncation of every kind of block', () => {
    assert.ok(TRUNCATIONS.length > 1000, `${TRUNCATIONS.length} truncations`);
    for (const { what, block } of TRUNCATIONS) assert.throws(() => decodeSeries(block), BlockError, what);
  });

  it('throws only BlockErrors on thousands of flipped bytes and truncations; what decodes is valid', () => {
    let threw = 0;
    let decoded = 0;
    for (const [i, block] of DAMAGED.entries()) {
      let series;
      try {
        series = decodeSeries(block);
      } catch (e) {
        assert.ok(e instanceof BlockError, `block ${i} threw ${String(e)}`);
        threw++;
        continue;
      }
      decoded++;
      // Other valid data is fine: it must be a series encodeSeries accepts, and reproduce itself.
      assert.equal(series.values.length, series.ts.length);
      assert.equal(seriesLength(block), series.ts.length);
      const again = decodeSeries(encodeSeries(series.ts, series.values));
      assert.deepEqual(again.ts, series.ts, `block ${i}`);
      assert.deepEqual(again.values, series.values.map((v) => (v === 0 ? 0 : v)), `block ${i}`);
    }
    assert.equal(threw + decoded, DAMAGED.length);
    assert.ok(threw > DAMAGED.length / 2, `only ${threw} of ${DAMAGED.length} damaged blocks were rejected`);
  });
});

describe('seriesLength', () => {
  it('reads the count from the header of blocks of 0, 1, 60 and 3,600 samples', () => {
    const r = prng(6);
    for (const n of [0, 1, 60, 3600]) {
      const ts = ticks(n, 1000, r);
      assert.equal(seriesLength(encodeSeries(ts, SHAPES['cpu % with one decimal and noise']!(ts, r))), n);
      assert.equal(seriesLength(encodeSeries(ts, SHAPES['a rate with arbitrary float noise']!(ts, r))), n);
    }
  });

  it('does not decode the samples: a block cut after the count still gives it', () => {
    const cut = TRUNCATIONS.find((t) => t.what.startsWith('block 4 cut to 4 of'))!; // 60 cpu samples, cut inside ts[0]
    assert.throws(() => decodeSeries(cut.block), BlockError);
    assert.equal(seriesLength(cut.block), 60);
  });

  it('rejects an unknown version and a truncated count', () => {
    const [, version2] = CORRUPTIONS.find(([what]) => what === 'version 2')!;
    assert.throws(() => seriesLength(version2), /^BlockError: unknown block format version 2$/);
    const [, truncatedCount] = CORRUPTIONS.find(([what]) => what === 'a truncated count')!;
    assert.throws(() => seriesLength(truncatedCount), /^BlockError: truncated block \(2 bytes\)$/);
  });
});

describe('mergeSeries', () => {
  const series = (ts: number[], values: number[]) => ({ ts, values });
  const plain = (s: { ts: Float64Array; values: Float64Array }) => ({ ts: Array.from(s.ts), values: Array.from(s.values) });

  it('concatenates disjoint series in timestamp order whichever side comes first', () => {
    const early = series([1000, 2000], [1, 2]);
    const late = series([3000, 4000], [3, 4]);
    const want = { ts: [1000, 2000, 3000, 4000], values: [1, 2, 3, 4] };
    assert.deepEqual(plain(mergeSeries(early, late)), want);
    assert.deepEqual(plain(mergeSeries(late, early)), want);
  });

  it('interleaves samples by timestamp', () => {
    const merged = mergeSeries(series([1000, 3000, 5000], [1, 3, 5]), series([2000, 4000, 6000], [2, 4, 6]));
    assert.deepEqual(plain(merged), { ts: [1000, 2000, 3000, 4000, 5000, 6000], values: [1, 2, 3, 4, 5, 6] });
  });

  it("keeps one sample per duplicate timestamp, with a's value", () => {
    const merged = mergeSeries(series([1000, 2000, 3000], [10, 20, 30]), series([2000, 3000, 4000], [-2, -3, 40]));
    assert.deepEqual(plain(merged), { ts: [1000, 2000, 3000, 4000], values: [10, 20, 30, 40] });
    const redelivered = mergeSeries(series([1000, 2000], [1, 2]), series([1000, 2000], [9, 9]));
    assert.deepEqual(plain(redelivered), { ts: [1000, 2000], values: [1, 2] });
  });

  it('returns the other side when one side is empty, and nothing for two empty sides', () => {
    const s = series([1000, 2000], [1, 2]);
    assert.deepEqual(plain(mergeSeries(s, series([], []))), s);
    assert.deepEqual(plain(mergeSeries(series([], []), s)), s);
    assert.deepEqual(plain(mergeSeries(series([], []), series([], []))), { ts: [], values: [] });
  });

  it('merges late samples into a stored block that re-encodes exactly', () => {
    const stored = decodeSeries(encodeSeries([1000, 2000, 4000], [0.5, 0.6, 0.8]));
    const merged = mergeSeries(stored, series([3000, 4000, 5000], [0.7, 99, 0.9]));
    assert.deepEqual(plain(decodeSeries(encodeSeries(merged.ts, merged.values))), {
      ts: [1000, 2000, 3000, 4000, 5000],
      values: [0.5, 0.6, 0.7, 0.8, 0.9],
    });
  });

  it('rejects a side that is not strictly increasing or whose lengths differ', () => {
    assert.throws(() => mergeSeries(series([2000, 1000], [1, 2]), series([], [])), /^RangeError: a\.ts is not strictly increasing at index 1$/);
    assert.throws(() => mergeSeries(series([], []), series([1000, 1000], [1, 2])), /^RangeError: b\.ts is not strictly increasing at index 1$/);
    assert.throws(() => mergeSeries(series([1000], [1, 2]), series([], [])), /^RangeError: a: ts and values differ in length \(1 vs 2\)$/);
  });
});
