import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type AgentSample, type Buffered, type DiskBuffer, type DiskBufferOptions, openDiskBuffer } from '../../server/agent/buffer.ts';

const BASE_TS = 1_700_000_000_000;
const BUFFER_MODULE = fileURLToPath(new URL('../../server/agent/buffer.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'glasswatch-buffer-'));
  dirs.push(dir);
  return dir;
}

const sample = (i: number): AgentSample => ({ ts: BASE_TS + i * 1000, values: { 'cpu.usage_percent': i, 'memory.used_bytes': i % 2 ? null : i * 1024 } });

/** Opens a buffer whose log lines land in `logs`. */
async function open(dir: string, opts: Partial<DiskBufferOptions> = {}): Promise<{ buf: DiskBuffer; logs: string[] }> {
  const logs: string[] = [];
  const buf = await openDiskBuffer({ dir, maxSamples: 1000, segmentSamples: 4, log: (msg) => logs.push(msg), ...opts });
  return { buf, logs };
}

async function appendRange(buf: DiskBuffer, from: number, to: number): Promise<Buffered[]> {
  const out: Buffered[] = [];
  for (let i = from; i < to; i++) out.push(await buf.append(sample(i)));
  return out;
}

/** Takes everything still offered, in batches of `batch`. */
async function takeAll(buf: DiskBuffer, batch = 3): Promise<number[]> {
  const seqs: number[] = [];
  for (;;) {
    const got = await buf.takeOldest(batch);
    if (got.length === 0) return seqs;
    seqs.push(...got.map((s) => s.seq));
  }
}

const files = async (dir: string) => (await fs.readdir(dir)).sort();
const segFile = (firstSeq: number, ext = 'jsonl') => `seg-${String(firstSeq).padStart(16, '0')}.${ext}`;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('openDiskBuffer', () => {
  it('creates a missing directory and starts empty', async () => {
    const dir = path.join(await tempDir(), 'nested', 'agent-data');
    const { buf, logs } = await open(dir);
    assert.deepEqual(await files(dir), [segFile(0)]);
    assert.equal(buf.pending, 0);
    assert.deepEqual(await buf.takeOldest(10), []);
    assert.deepEqual(logs, []);
    await buf.close();
  });

  it('returns appended samples unchanged, with their seqs', async () => {
    const { buf } = await open(await tempDir());
    const appended = await appendRange(buf, 0, 3);
    assert.deepEqual(
      appended.map((s) => s.seq),
      [0, 1, 2],
    );
    const taken = await buf.takeOldest(10);
    assert.deepEqual(taken, [
      { seq: 0, ...sample(0) },
      { seq: 1, ...sample(1) },
      { seq: 2, ...sample(2) },
    ]);
    assert.equal(buf.pending, 3, 'taking is not acknowledging');
    await buf.close();
  });

  it('hands out the oldest samples first, across segment files', async () => {
    const { buf } = await open(await tempDir());
    await appendRange(buf, 0, 10);
    const batches: number[][] = [];
    for (let got = await buf.takeOldest(3); got.length > 0; got = await buf.takeOldest(3)) {
      batches.push(got.map((s) => s.seq));
      for (const s of got) assert.equal(s.ts, sample(s.seq).ts);
    }
    assert.deepEqual(batches, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    await buf.close();
  });

  it('never hands out a sample that is in flight, taken or appended live', async () => {
    const { buf } = await open(await tempDir());
    await appendRange(buf, 0, 5);
    const live = await buf.append(sample(5), { inFlight: true });
    await buf.append(sample(6));
    assert.deepEqual(
      (await buf.takeOldest(2)).map((s) => s.seq),
      [0, 1],
    );
    assert.equal(buf.inFlight, 3);
    assert.deepEqual(await takeAll(buf), [2, 3, 4, 6]);
    assert.equal(live.seq, 5);
    assert.deepEqual(await buf.takeOldest(10), []);
    await buf.close();
  });

  it('offers released samples again, oldest first, and ignores unknown seqs', async () => {
    const { buf } = await open(await tempDir());
    await appendRange(buf, 0, 6);
    const first = await buf.takeOldest(4);
    buf.release([first[1]!.seq, first[3]!.seq, 999]);
    assert.equal(buf.inFlight, 2);
    assert.deepEqual(
      (await buf.takeOldest(10)).map((s) => s.seq),
      [1, 3, 4, 5],
    );
    const live = await buf.append(sample(6), { inFlight: true });
    buf.release([live.seq]);
    assert.deepEqual(
      (await buf.takeOldest(10)).map((s) => s.seq),
      [6],
    );
    await buf.close();
  });

  it('deletes a segment file once all its samples are acked, never the one being written', async () => {
    const dir = await tempDir();
    const { buf } = await open(dir);
    await appendRange(buf, 0, 10); // segments 0-3, 4-7, 8-9 (being written)
    assert.deepEqual(await files(dir), [segFile(0), segFile(4), segFile(8)]);

    await buf.ack([0, 1, 2, 3]);
    assert.deepEqual(await files(dir), [segFile(4), segFile(8)]);
    await buf.ack([4, 5, 6, 42]);
    assert.deepEqual(await files(dir), [segFile(4, 'acks'), segFile(4), segFile(8)]);
    assert.equal(await fs.readFile(path.join(dir, segFile(4, 'acks')), 'utf8'), '+4-6\n');
    assert.equal(buf.pending, 3);

    await buf.ack([7, 8, 9]);
    assert.deepEqual(await files(dir), [segFile(8, 'acks'), segFile(8)], 'the segment being written stays');
    assert.equal(buf.pending, 0);
    await buf.append(sample(10), { inFlight: true });
    await buf.append(sample(11), { inFlight: true });
    await buf.ack([10, 11]);
    assert.deepEqual(await files(dir), [segFile(8, 'acks'), segFile(8)]);
    await buf.append(sample(12)); // segment 8 is full: the next one starts and 8 goes
    assert.deepEqual(await files(dir), [segFile(12)]);
    assert.deepEqual(await takeAll(buf), [12]);
    await buf.close();
  });

  for (const how of ['after close', 'without close, as after kill -9'] as const) {
    it(`keeps unacked samples and persisted acks when reopened ${how}`, async () => {
      const dir = await tempDir();
      const first = await open(dir);
      await appendRange(first.buf, 0, 10);
      await first.buf.ack([1, 2, 5]);
      assert.deepEqual(
        (await first.buf.takeOldest(2)).map((s) => s.seq),
        [0, 3],
      );
      await first.buf.append(sample(10), { inFlight: true });
      if (how === 'after close') await first.buf.close();

      const second = await open(dir);
      assert.equal(second.buf.pending, 8);
      assert.equal(second.buf.inFlight, 0, 'nothing is in flight after a restart');
      const taken = await second.buf.takeOldest(100);
      assert.deepEqual(
        taken.map((s) => s.seq),
        [0, 3, 4, 6, 7, 8, 9, 10],
      );
      assert.deepEqual(taken[2], { seq: 4, ...sample(4) });
      assert.equal((await second.buf.append(sample(11))).seq, 11);
      assert.deepEqual(second.logs, []);
      await second.buf.close();
      if (how !== 'after close') await first.buf.close();
    });
  }

  it('loses nothing append() returned for when the process is killed with SIGKILL', async () => {
    const dir = await tempDir();
    const code = `
      import { openDiskBuffer } from ${JSON.stringify(BUFFER_MODULE)};
      const buf = await openDiskBuffer({ dir: process.env.BUFFER_DIR, maxSamples: 100000, segmentSamples: 16, log: () => {} });
      for (let i = 0; i < 100000; i++) {
        const s = await buf.append({ ts: ${BASE_TS} + i * 1000, values: { 'cpu.usage_percent': i } });
        process.stdout.write(s.seq + '\\n');
      }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: REPO_ROOT,
      env: { ...process.env, BUFFER_DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let lastConfirmed = -1;
    let out = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) lastConfirmed = Number(line);
      if (lastConfirmed >= 50) child.kill('SIGKILL');
    });
    const signal = await exited;
    assert.equal(signal, 'SIGKILL', 'the child must die by SIGKILL, not finish');
    assert.ok(lastConfirmed >= 50, `the child confirmed only ${lastConfirmed + 1} samples`);

    const { buf } = await open(dir);
    const taken = await buf.takeOldest(100000);
    assert.ok(taken.length >= lastConfirmed + 1, `${taken.length} samples back, ${lastConfirmed + 1} confirmed`);
    assert.deepEqual(
      taken.map((s) => s.seq),
      range(0, taken.length),
    );
    assert.deepEqual(taken[lastConfirmed], { seq: lastConfirmed, ts: BASE_TS + lastConfirmed * 1000, values: { 'cpu.usage_percent': lastConfirmed } });
    assert.equal((await buf.append(sample(0))).seq, taken.length);
    await buf.close();
  });

  it('cuts off a torn last line and keeps the samples before it', async () => {
    const dir = await tempDir();
    const first = await open(dir);
    await appendRange(first.buf, 0, 3);
    await first.buf.close();
    const file = path.join(dir, segFile(0));
    const sizeBefore = (await fs.stat(file)).size;
    await fs.appendFile(file, '{"seq":3,"ts":17000000');

    const { buf, logs } = await open(dir);
    assert.equal((await fs.stat(file)).size, sizeBefore);
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /torn last line/);
    assert.deepEqual(await takeAll(buf), [0, 1, 2]);
    assert.equal((await buf.append(sample(3))).seq, 3);
    await buf.close();
  });

  it('skips a corrupt line with one log line and keeps the others', async () => {
    const dir = await tempDir();
    const first = await open(dir);
    await appendRange(first.buf, 0, 4);
    await first.buf.close();
    const file = path.join(dir, segFile(0));
    const lines = (await fs.readFile(file, 'utf8')).split('\n');
    lines[2] = '{"seq":2,"ts":oops}';
    await fs.writeFile(file, lines.join('\n'));

    const { buf, logs } = await open(dir);
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /seg-0000000000000000\.jsonl: skipped 1 corrupt line\(s\) \(line 3\)/);
    assert.equal(buf.pending, 3);
    const taken = await buf.takeOldest(10);
    assert.deepEqual(
      taken.map((s) => s.seq),
      [0, 1, 3],
    );
    assert.deepEqual(taken[2], { seq: 3, ...sample(3) });
    await buf.close();
  });

  it('skips a sample whose values were damaged on disk when it is read, with one log line', async () => {
    const dir = await tempDir();
    const first = await open(dir);
    await appendRange(first.buf, 0, 3);
    await first.buf.close();
    const file = path.join(dir, segFile(0));
    const lines = (await fs.readFile(file, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('"cpu.usage_percent":1', '"cpu.usage_percent":1x');
    await fs.writeFile(file, lines.join('\n'));

    const { buf, logs } = await open(dir);
    assert.equal(buf.pending, 3, 'the line looks whole at open');
    assert.deepEqual(
      (await buf.takeOldest(10)).map((s) => s.seq),
      [0, 2],
    );
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /sample 1 is unreadable/);
    assert.equal(buf.pending, 2);
    assert.equal(buf.inFlight, 2);
    await buf.close();
  });

  it('reopens samples whose timestamps are not whole positive milliseconds', async () => {
    const dir = await tempDir();
    const first = await open(dir);
    const odd = [1.5, -2000, 1e21];
    for (const ts of odd) await first.buf.append({ ts, values: {} });
    await first.buf.close();

    const { buf, logs } = await open(dir);
    assert.deepEqual(
      (await buf.takeOldest(10)).map((s) => s.ts),
      odd,
    );
    assert.equal(logs.length, 0);
    await buf.close();
  });

  it('drops the oldest whole segment when full, with one log line per drop', async () => {
    const dir = await tempDir();
    const { buf, logs } = await open(dir, { maxSamples: 10, segmentSamples: 4 });
    await appendRange(buf, 0, 10);
    assert.equal(logs.length, 0);
    assert.equal(buf.dropped, 0);

    await buf.append(sample(10));
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /dropped 4 unacknowledged sample\(s\)/);
    assert.ok(logs[0]!.includes(new Date(sample(0).ts).toISOString()), logs[0]);
    assert.ok(logs[0]!.includes(new Date(sample(3).ts).toISOString()), logs[0]);
    assert.equal(buf.dropped, 4);
    assert.equal(buf.pending, 7);
    assert.deepEqual(await files(dir), [segFile(4), segFile(8)]);

    await appendRange(buf, 11, 14);
    assert.equal(logs.length, 1, 'no drop while there is room');
    await buf.append(sample(14));
    assert.equal(logs.length, 2);
    assert.match(logs[1]!, /dropped 4 unacknowledged/);
    assert.equal(buf.dropped, 8);
    assert.deepEqual(await takeAll(buf), range(8, 15));
    await buf.close();
  });

  it('drops the oldest segments at open when the bound shrank', async () => {
    const dir = await tempDir();
    const first = await open(dir, { maxSamples: 20 });
    await appendRange(first.buf, 0, 12);
    await first.buf.close();

    const { buf, logs } = await open(dir, { maxSamples: 5 });
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /dropped 8 unacknowledged sample\(s\).*\(2 oldest segment file\(s\)\)/);
    assert.deepEqual(await takeAll(buf), [8, 9, 10, 11]);
    await buf.close();
  });

  it('keeps seqs increasing across restarts, even with everything acked or the last line corrupt', async () => {
    const dir = await tempDir();
    const a = await open(dir);
    await appendRange(a.buf, 0, 3);
    await a.buf.ack([0, 1, 2]);
    await a.buf.close();

    const b = await open(dir);
    assert.deepEqual(await files(dir), [segFile(3)], 'the fully acked segment is gone');
    assert.equal((await b.buf.append(sample(3))).seq, 3);
    await b.buf.close();

    const c = await open(dir); // opened and closed with nothing appended
    await c.buf.close();
    const d = await open(dir);
    assert.equal((await d.buf.append(sample(4))).seq, 4);
    await d.buf.close();

    const file = path.join(dir, segFile(4));
    await fs.writeFile(file, 'garbage\n');
    const e = await open(dir);
    assert.equal(e.logs.length, 1);
    assert.match(e.logs[0]!, /corrupt/);
    assert.equal((await e.buf.append(sample(5))).seq, 5, 'the seq of the corrupt line is not reused');
    assert.deepEqual(await takeAll(e.buf), [3, 5]);
    await e.buf.close();
  });

  it('serves concurrent appends, live sends and takes without handing a sample out twice', async () => {
    const { buf } = await open(await tempDir(), { segmentSamples: 16 });
    const ops: Promise<unknown>[] = [];
    const batches: number[][] = [];
    const live = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const inFlight = i % 3 === 0;
      ops.push(buf.append(sample(i), { inFlight }).then((s) => inFlight && live.add(s.seq)));
      if (i % 10 === 5) ops.push(buf.takeOldest(7).then((got) => batches.push(got.map((s) => s.seq))));
    }
    await Promise.all(ops);
    batches.push(await takeAll(buf, 50));

    const taken = batches.flat();
    assert.equal(live.size, 100);
    assert.equal(new Set(taken).size, taken.length, 'a seq was handed out twice');
    assert.deepEqual(
      taken.toSorted((x, y) => x - y),
      range(0, 300).filter((s) => !live.has(s)),
    );
    assert.deepEqual(taken, taken.toSorted((x, y) => x - y), 'batches come oldest first');
    assert.equal(buf.inFlight, 300);
    await buf.close();
  });

  it('refuses a sample without a finite timestamp and writes nothing', async () => {
    const dir = await tempDir();
    const { buf } = await open(dir);
    await assert.rejects(buf.append({ ts: Number.NaN, values: {} }), TypeError);
    assert.equal(buf.pending, 0);
    assert.equal((await fs.stat(path.join(dir, segFile(0)))).size, 0);
    await buf.close();
    await assert.rejects(buf.append(sample(0)), /closed/);
    await assert.rejects(buf.takeOldest(1), /closed/);
    await assert.doesNotReject(buf.ack([0]), 'an ack arriving during shutdown is no error');
  });

  it('applies ack records at open, refusing glued records and cutting a torn one', async () => {
    const dir = await tempDir();
    const first = await open(dir, { segmentSamples: 8 });
    await appendRange(first.buf, 0, 8);
    await first.buf.close();
    // "+3" torn by a crash, then "+1-2" appended: glued, it must not ack 3.
    await fs.writeFile(path.join(dir, segFile(0, 'acks')), '+0\n+3+1-2\n+5-6\n+7');

    const { buf, logs } = await open(dir, { segmentSamples: 8 });
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /skipped 1 unreadable ack record/);
    assert.equal(await fs.readFile(path.join(dir, segFile(0, 'acks')), 'utf8'), '+0\n+3+1-2\n+5-6\n');
    assert.deepEqual(await takeAll(buf), [1, 2, 3, 4, 7]);
    await buf.close();
  });

  it('holds a full day at 1 Hz on disk with a small index in memory', async (t) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    const dir = await tempDir();
    const values: Record<string, number | null> = {};
    for (let i = 0; i < 15; i++) values[`metric.value_${i}`] = i === 7 ? null : 1234.5678 + i;
    const DAY = 86_400;

    gc?.();
    const before = process.memoryUsage();
    const { buf } = await open(dir, { maxSamples: DAY, segmentSamples: 3600 });
    let started = performance.now();
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < DAY; i++) await buf.append({ ts: BASE_TS + i * 1000, values });
    const appendUs = ((performance.now() - started) * 1000) / DAY;
    const cpu = process.cpuUsage(cpuBefore);
    const appendCpuUs = (cpu.user + cpu.system) / DAY;
    gc?.();
    const filled = process.memoryUsage();
    assert.equal(buf.pending, DAY);
    assert.equal(buf.dropped, 0);
    const names = await files(dir);
    let bytes = 0;
    for (const name of names) bytes += (await fs.stat(path.join(dir, name))).size;
    const growthMb = (filled.heapUsed + filled.arrayBuffers - before.heapUsed - before.arrayBuffers) / 1e6;
    t.diagnostic(`append: ${appendUs.toFixed(1)} µs per sample (${appendCpuUs.toFixed(1)} µs of CPU); ${names.length} files, ${(bytes / 1e6).toFixed(1)} MB (${Math.round(bytes / DAY)} bytes per sample)`);
    t.diagnostic(`heap + array buffers grew ${growthMb.toFixed(2)} MB${gc ? '' : ' (no --expose-gc: not collected)'}; rss ${(filled.rss / 1e6).toFixed(0)} MB`);

    await t.test('heap and index memory grow by less than 15 MB', { skip: gc ? false : 'needs node --expose-gc to measure after a collection' }, () => {
      assert.ok(growthMb < 15, `grew ${growthMb.toFixed(2)} MB`);
    });

    await buf.close();
    started = performance.now();
    const reopened = await open(dir, { maxSamples: DAY, segmentSamples: 3600 });
    const openMs = performance.now() - started;
    assert.equal(reopened.buf.pending, DAY);
    started = performance.now();
    let drained = 0;
    let expected = 0;
    for (let got = await reopened.buf.takeOldest(600); got.length > 0; got = await reopened.buf.takeOldest(600)) {
      assert.equal(got[0]!.seq, expected);
      expected += got.length;
      drained += got.length;
      await reopened.buf.ack(got.map((s) => s.seq));
    }
    const perSecond = drained / ((performance.now() - started) / 1000);
    t.diagnostic(`reopen with a full day: ${openMs.toFixed(0)} ms; drain (take 600 + ack): ${Math.round(perSecond)} samples/s`);
    assert.equal(drained, DAY);
    assert.equal(reopened.buf.pending, 0);
    assert.deepEqual(await files(dir), [segFile(DAY)], 'every drained segment file is gone');
    await reopened.buf.close();
  });
});
