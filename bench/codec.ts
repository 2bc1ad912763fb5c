/**
 * Micro-benchmark of server/store/codec.ts, standalone (not part of
 * `npm run bench`): `node --import tsx bench/codec.ts [--quick]`.
 *
 * For each value shape a monitor stores, in blocks of 60 samples at ~1 s
 * (ticks jitter 0–5 ms), 12 at ~5 s and 3,600 at ~1 s, it prints bytes per
 * sample (timestamps + values, header included) of the codec's real blocks
 * next to the layouts it was chosen over, whose sizes are counted here
 * without encoding: fixed-width bit packing of zigzagged delta-of-delta
 * timestamps, byte varints, byte varints with zero-run lengths, and
 * Gorilla-style prefix buckets per delta. Blocks whose values take the float
 * path also show raw float64 values. Then encode and decode throughput in
 * samples/s (best of several rounds: the figure least disturbed by other
 * work on the machine). Every block is decoded and compared before it
 * counts; a mismatch exits with code 1.
 */
import { decodeSeries, encodeSeries } from '../server/store/codec.ts';
import { seededRandom as prng } from '../tests/helpers/random.ts';

const quick = process.argv.includes('--quick');

// ---------------------------------------------------------------- data

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

interface Shape {
  name: string;
  /** Part of the goal's mix (≤ 2 bytes/sample); the others are reported on their own. */
  inMix: boolean;
  /** Values for ticks `tsMs`; `rand` is the block's PRNG. */
  make(tsMs: number[], rand: () => number): number[];
}

const SHAPES: Shape[] = [
  {
    name: 'cpu % (1 dec, noisy)',
    inMix: true,
    make: (ts, r) => {
      let base = 8 + r() * 20;
      return ts.map(() => ((base += (r() - 0.5) * 2), round(Math.max(0, base + (r() - 0.5) * 8), 1)));
    },
  },
  {
    name: 'memory MB (int, drift)',
    inMix: true,
    make: (ts, r) => {
      let mb = 3000 + Math.floor(r() * 8000);
      return ts.map(() => (mb += Math.round((r() - 0.5) * 6)));
    },
  },
  {
    name: 'disk % (1 dec, ~const)',
    inMix: true,
    make: (ts, r) => {
      let pct = round(40 + r() * 50, 1);
      return ts.map(() => (r() < 0.05 ? (pct = round(pct + 0.1, 1)) : pct));
    },
  },
  {
    name: 'free GB (2 dec)',
    inMix: true,
    make: (ts, r) => {
      let gb = 50 + r() * 400;
      return ts.map(() => ((gb -= r() * 0.02), round(gb, 2)));
    },
  },
  {
    name: 'net B/s (int, jumps)',
    inMix: true,
    make: (ts, r) => ts.map(() => (r() < 0.3 ? Math.floor(r() * 5_000_000) : r() < 0.2 ? 0 : Math.floor(200 + r() * 20_000))),
  },
  { name: 'cpu count (const 8)', inMix: true, make: (ts) => ts.map(() => 8) },
  {
    name: 'host up (0/1)',
    inMix: true,
    make: (ts, r) => {
      let up = 1;
      return ts.map(() => (r() < 0.02 ? (up = 1 - up) : up));
    },
  },
  {
    name: 'float noise (12.3456789…)',
    inMix: false,
    make: (ts, r) => ts.map(() => 12.345678901 + (r() - 0.5) * 0.1),
  },
  {
    name: 'ratio (float, rarely changes)',
    inMix: false,
    make: (ts, r) => {
      let k = 3;
      return ts.map(() => (r() < 0.05 ? (k = 1 + Math.floor(r() * 20)) : k) / 7);
    },
  },
  {
    name: 'percentile (4 dec, 0.2437)',
    inMix: false,
    make: (ts, r) => ts.map(() => round(0.2 + r() * 0.1, 4)),
  },
  {
    name: 'counter rate (Δ/Δt, raw)',
    inMix: false,
    make: (ts, r) => ts.map((t, i) => (i === 0 ? 1234.5 : Math.floor(800 + r() * 900) / ((t - ts[i - 1]!) / 1000))),
  },
  {
    name: 'counter rate (2 dec)',
    inMix: false,
    make: (ts, r) => ts.map((t, i) => round(i === 0 ? 1234.5 : Math.floor(800 + r() * 900) / ((t - ts[i - 1]!) / 1000), 2)),
  },
];

interface BlockKind {
  label: string;
  samples: number;
  intervalMs: number;
  blocks: number;
}

const KINDS: BlockKind[] = [
  { label: '60 @ 1 s', samples: 60, intervalMs: 1000, blocks: quick ? 200 : 2000 },
  { label: '12 @ 5 s', samples: 12, intervalMs: 5000, blocks: quick ? 500 : 5000 },
  { label: '3600 @ 1 s', samples: 3600, intervalMs: 1000, blocks: quick ? 4 : 40 },
];

function ticks(kind: BlockKind, r: () => number): number[] {
  const start = 1_760_000_000_000 + Math.floor(r() * 1e9);
  return Array.from({ length: kind.samples }, (_, i) => start + i * kind.intervalMs + Math.floor(r() * 6));
}

// ---------------------------------------------------------------- alternative layouts (sizes only)

const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);
const varintBytes = (v: number) => (v < 128 ? 1 : Math.ceil(Math.log2(v + 1) / 7));
const bitLength = (z: number) => (z === 0 ? 0 : Math.floor(Math.log2(z)) + 1);

/** Header fields every layout has: version, count, first timestamp, mode, first value, first timestamp delta. */
function headerBytes(ts: number[], firstValueBytes: number): number {
  return 1 + varintBytes(ts.length) + varintBytes(zigzag(ts[0]!)) + 1 + firstValueBytes + (ts.length > 1 ? varintBytes(ts[1]! - ts[0]!) : 0);
}

const maxOf = (xs: number[]) => xs.reduce((m, x) => (x > m ? x : m), 0);

/**
 * The streams of the alternatives: zigzagged delta-of-delta timestamps and zigzagged deltas of the scaled values
 * (null: no decimal scale fits); and the bits of the codec's own timestamp fields (deltas minus the smallest).
 */
function streams(ts: number[], values: number[]) {
  const tsZ: number[] = [];
  for (let i = 2; i < ts.length; i++) tsZ.push(zigzag(ts[i]! - 2 * ts[i - 1]! + ts[i - 2]!));
  const deltas = ts.slice(1).map((t, i) => t - ts[i]!);
  const chosenTsBits = deltas.length ? deltas.length * bitLength(Math.max(...deltas) - Math.min(...deltas)) : 0;
  for (let d = 0; d <= 9; d++) {
    const p = 10 ** d;
    const k = values.map((v) => Math.round(v * p) + 0);
    if (k.every((x, i) => x / p === values[i] && Math.abs(x) <= 2 ** 50)) {
      return { tsZ, chosenTsBits, valueZ: k.slice(1).map((x, i) => zigzag(x - k[i]!)), firstK: k[0]! };
    }
  }
  return { tsZ, chosenTsBits, valueZ: null, firstK: 0 };
}

const varintStream = (zs: number[]) => zs.reduce((s, z) => s + varintBytes(z), 0);

/** Byte varints where a run of zeros is a 0 followed by varint(run length − 1). */
function varintRunStream(zs: number[]): number {
  let bytes = 0;
  for (let i = 0; i < zs.length; i++) {
    if (zs[i] !== 0) {
      bytes += varintBytes(zs[i]!);
      continue;
    }
    let run = 1;
    while (i + 1 < zs.length && zs[i + 1] === 0) run++, i++;
    bytes += 1 + varintBytes(run - 1);
  }
  return bytes;
}

/** Gorilla-style buckets, in bits: '0' zero; '10'+7; '110'+9; '1110'+12; '1111'+6-bit width+width. */
const bucketBits = (zs: number[]) =>
  zs.reduce((s, z) => s + (z === 0 ? 1 : z < 128 ? 9 : z < 512 ? 12 : z < 4096 ? 16 : 10 + bitLength(z)), 0);

/** One width per stream and block, the stream zigzagged: bits. */
const zigzagPackBits = (zs: number[]) => zs.length * bitLength(maxOf(zs));

interface Sizes {
  chosen: number;
  zigzagPack: number;
  varint: number;
  varintRuns: number;
  buckets: number;
  /** Only for blocks on the float path: timestamps as chosen, values as raw float64. */
  rawFloat: number | null;
  float: boolean;
}

function sizes(ts: number[], values: number[], block: Uint8Array): Sizes {
  const { tsZ, chosenTsBits, valueZ, firstK } = streams(ts, values);
  if (!valueZ) {
    // Float path: the alternatives differ only in the timestamps; values cost what the codec spends on them.
    const head = headerBytes(ts, 8);
    const xorBytes = block.length - head - 1 - chosenTsBits / 8;
    return {
      chosen: block.length,
      zigzagPack: head + 1 + zigzagPackBits(tsZ) / 8 + xorBytes,
      varint: head + varintStream(tsZ) + xorBytes,
      varintRuns: head + varintRunStream(tsZ) + xorBytes,
      buckets: head + bucketBits(tsZ) / 8 + xorBytes,
      rawFloat: head + 1 + Math.ceil(chosenTsBits / 8) + 8 * (ts.length - 1),
      float: true,
    };
  }
  const head = headerBytes(ts, varintBytes(zigzag(firstK)));
  return {
    chosen: block.length,
    zigzagPack: head + 2 + Math.ceil((zigzagPackBits(tsZ) + zigzagPackBits(valueZ)) / 8),
    varint: head + varintStream(tsZ) + varintStream(valueZ),
    varintRuns: head + varintRunStream(tsZ) + varintRunStream(valueZ),
    buckets: head + Math.ceil((bucketBits(tsZ) + bucketBits(valueZ)) / 8),
    rawFloat: null,
    float: false,
  };
}

// ---------------------------------------------------------------- measuring

function sameSeries(ts: number[], values: number[], block: Uint8Array): boolean {
  const d = decodeSeries(block);
  if (d.ts.length !== ts.length) return false;
  for (let i = 0; i < ts.length; i++) if (d.ts[i] !== ts[i] || d.values[i] !== values[i]) return false;
  return true;
}

/**
 * Samples per second of `fn` over `samples` samples: the best of several rounds of at least `roundMs`,
 * so that other work on a shared machine shows less in the figure.
 */
function throughput(samples: number, fn: () => void, rounds = quick ? 3 : 9, roundMs = 50): number {
  fn(); // warm-up
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    let reps = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      fn();
      reps++;
      elapsed = performance.now() - start;
    } while (elapsed < roundMs);
    best = Math.max(best, (samples * reps) / (elapsed / 1000));
  }
  return best;
}

interface Row {
  kind: string;
  shape: string;
  inMix: boolean;
  samples: number;
  total: Sizes;
  floatBlocks: number;
  blocks: number;
  encodePerS: number;
  decodePerS: number;
}

function measure(kind: BlockKind, shape: Shape, seed: number): Row {
  const r = prng(seed);
  const data: Array<{ ts: number[]; values: number[] }> = [];
  for (let b = 0; b < kind.blocks; b++) {
    const ts = ticks(kind, r);
    data.push({ ts, values: shape.make(ts, r) });
  }
  const blocks = data.map((d) => encodeSeries(d.ts, d.values));
  const total: Sizes = { chosen: 0, zigzagPack: 0, varint: 0, varintRuns: 0, buckets: 0, rawFloat: 0, float: false };
  let floatBlocks = 0;
  data.forEach((d, i) => {
    const block = blocks[i]!;
    if (!sameSeries(d.ts, d.values, block)) {
      console.error(`round trip failed: ${shape.name}, ${kind.label}, block ${i}`);
      process.exit(1);
    }
    const s = sizes(d.ts, d.values, block);
    total.chosen += s.chosen;
    total.zigzagPack += s.zigzagPack;
    total.varint += s.varint;
    total.varintRuns += s.varintRuns;
    total.buckets += s.buckets;
    if (s.float) floatBlocks++, (total.rawFloat! += s.rawFloat!);
  });
  const samples = kind.samples * kind.blocks;
  // Typed-array inputs, as the store would pass them.
  const typed = data.map((d) => ({ ts: Float64Array.from(d.ts), values: Float64Array.from(d.values) }));
  const encodePerS = throughput(samples, () => {
    for (const d of typed) encodeSeries(d.ts, d.values);
  });
  const decodePerS = throughput(samples, () => {
    for (const b of blocks) decodeSeries(b);
  });
  return { kind: kind.label, shape: shape.name, inMix: shape.inMix, samples, total, floatBlocks, blocks: kind.blocks, encodePerS, decodePerS };
}

// ---------------------------------------------------------------- report

const perSample = (bytes: number, samples: number) => (bytes / samples).toFixed(2);
const mps = (x: number) => (x / 1e6).toFixed(1);

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

const head = ['block', 'shape', 'B/sample', 'zigzag pack', 'varint', 'varint+runs', 'buckets', 'raw f64', 'enc M/s', 'dec M/s'];
const out: string[][] = [head];
let seed = 1;
for (const kind of KINDS) {
  const rows = SHAPES.map((shape) => measure(kind, shape, seed++));
  for (const row of rows) {
    const t = row.total;
    out.push([
      row.kind,
      row.shape + (row.floatBlocks ? ` [float ${Math.round((100 * row.floatBlocks) / row.blocks)}%]` : ''),
      perSample(t.chosen, row.samples),
      perSample(t.zigzagPack, row.samples),
      perSample(t.varint, row.samples),
      perSample(t.varintRuns, row.samples),
      perSample(t.buckets, row.samples),
      row.floatBlocks ? perSample(t.rawFloat!, row.samples) : '',
      mps(row.encodePerS),
      mps(row.decodePerS),
    ]);
  }
  // The mix: equal numbers of samples of each shape in the goal's mix; throughput as total samples over total time.
  for (const [label, pick] of [
    ['MIX (goal ≤ 2.00)', (r: Row) => r.inMix],
    ['all shapes', () => true],
  ] as const) {
    const picked = rows.filter(pick);
    const samples = picked.reduce((s, r) => s + r.samples, 0);
    const sum = (f: (r: Row) => number) => picked.reduce((s, r) => s + f(r), 0);
    const time = (f: (r: Row) => number) => samples / sum((r) => r.samples / f(r));
    out.push([
      kind.label,
      label,
      perSample(sum((r) => r.total.chosen), samples),
      perSample(sum((r) => r.total.zigzagPack), samples),
      perSample(sum((r) => r.total.varint), samples),
      perSample(sum((r) => r.total.varintRuns), samples),
      perSample(sum((r) => r.total.buckets), samples),
      '',
      mps(time((r) => r.encodePerS)),
      mps(time((r) => r.decodePerS)),
    ]);
  }
}
printTable(out);
console.log(
  '\nB/sample: timestamps + values + header of the codec\'s real blocks (ts: deltas minus the smallest, one width per block).\n' +
    'zigzag pack: the same with zigzagged delta-of-delta timestamps. varint, varint+runs, buckets: zigzagged delta-of-delta ts\n' +
    'and value deltas as byte varints, varints with zero runs, Gorilla-style prefix buckets (sizes counted, not encoded).\n' +
    'raw f64: float-path blocks with values as plain float64 instead of Gorilla XOR. [float n%]: share of blocks with no\n' +
    'exact decimal scale. MIX: the first seven shapes, equal samples each. M/s: million samples per second.',
);
