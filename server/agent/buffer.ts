/**
 * The agent's bounded on-disk buffer: every sample is appended here first and
 * dropped only after the server has acknowledged storing it, so samples
 * survive a lost connection and a restart of the agent (kill -9 included).
 *
 * On disk, in `dir`:
 * - `seg-<firstSeq, 16 digits>.jsonl`: one sample per line,
 *   `{"seq":N,"ts":EPOCH_MS,"values":{…}}\n`, seqs increasing, at most
 *   `segmentSamples` lines. The newest file is the one being written; the
 *   name order is the sample order.
 * - `seg-<firstSeq>.acks`: acknowledged seqs of that segment, one record per
 *   line, `+A` or `+A-B` (inclusive). A record torn by a crash and glued to
 *   the next one holds two `+` and is refused, so it can never ack a sample
 *   that was not acked; a torn last record is cut off at open. Both files go
 *   once every sample of the segment is acknowledged (never the segment being
 *   written: its name keeps the seq counter when everything else is gone).
 *
 * Bound: at most `maxSamples` lines on disk; the next append beyond drops the
 * oldest whole segment, with one log line (count and time range).
 *
 * In memory: per segment, three typed arrays (line offsets and a state byte
 * per sample, ~9 bytes a sample, < 1 MB for 24 h at 1 Hz); samples are read
 * back from disk when handed out.
 *
 * Durability: a line is in the OS's page cache before `append` resolves (a
 * crash of the process, kill -9 included, loses nothing); `fdatasync` runs at
 * most once per `syncIntervalMs` after a write, at segment change and on
 * close, so a power cut loses at most the last interval. Ack records are not
 * synced.
 *
 * What may be sent twice: after a crash of the process, only samples in flight
 * at that moment or whose `ack()` had not resolved (the server may have
 * stored them); after a power cut, also those whose ack record was not on
 * disk yet. All harmless: the server keeps one sample per host, metric and
 * timestamp. Nothing unacked is lost, except what a power cut takes.
 *
 * One process per directory: there is no lock file.
 */
import { Buffer } from 'node:buffer';
import fsSync from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { AgentSample } from '../../shared/agent-protocol.ts';
import { createLogger } from '../lib/log.ts';

export type { AgentSample };

/** A sample as stored: its sequence number is its id for `release` and `ack`. */
export interface Buffered extends AgentSample {
  readonly seq: number;
}

export interface AppendOptions {
  /**
   * Hand the sample out at once (the agent sends it live): `takeOldest`
   * skips it until it is acked, or released after a failed send.
   */
  inFlight?: boolean;
}

export interface DiskBuffer {
  /** Writes a sample at the end and returns it with its sequence number. */
  append(sample: AgentSample, opts?: AppendOptions): Promise<Buffered>;
  /** Up to `max` of the oldest samples neither acked nor in flight, oldest first; marks them in flight. */
  takeOldest(max: number): Promise<Buffered[]>;
  /** Samples in flight that were not acked (send failed, connection lost) are offered again. Unknown seqs, and calls after close, are ignored. */
  release(seqs: readonly number[]): void;
  /** The server stored these: they are never offered again. Unknown and already acked seqs are ignored, and so is any ack after close. */
  ack(seqs: readonly number[]): Promise<void>;
  /** Samples held and not yet acked (in flight included). */
  readonly pending: number;
  /** Of those, the ones in flight. */
  readonly inFlight: number;
  /** Samples dropped unacked since open because the buffer was full. */
  readonly dropped: number;
  /** Syncs and closes the file; later calls reject. */
  close(): Promise<void>;
}

export interface DiskBufferOptions {
  dir: string;
  /** Samples kept on disk at most (acked ones of a partly acked segment count too). */
  maxSamples: number;
  /** Samples per segment file; default `maxSamples / 24`, at most 3600. */
  segmentSamples?: number;
  /** Longest time a written sample waits for `fdatasync`; default 1000. */
  syncIntervalMs?: number;
  log?: (msg: string) => void;
}

const EMPTY = 0; // no sample: not written yet, or its line is unreadable
const PENDING = 1;
const IN_FLIGHT = 2;
const ACKED = 3;

const NAME = /^seg-(\d{16})\.(jsonl|acks)$/;
const ACK_RECORD = /^\+(\d{1,16})(?:-(\d{1,16}))?$/;
const MAX_SEGMENT_BYTES = 0xffff_ffff; // offsets are Uint32
const READ_GAP_BYTES = 64 * 1024; // read two slots in one call when they are closer than this
const NEWLINE = 0x0a;

interface Segment {
  firstSeq: number;
  /** Per slot (seq - firstSeq): state, and the line's byte range in the file. */
  state: Uint8Array;
  start: Uint32Array;
  end: Uint32Array;
  /** Slots in use: the next seq is firstSeq + used (for the active segment). */
  used: number;
  /** Readable lines in the file (they count against maxSamples). */
  lines: number;
  pending: number;
  inFlight: number;
  /** No PENDING slot below this index. */
  cursor: number;
  bytes: number;
  firstTs: number;
  lastTs: number;
}

const pad = (seq: number) => String(seq).padStart(16, '0');
const isoOrRaw = (ts: number) => (Number.isFinite(ts) && Math.abs(ts) < 8.64e15 ? new Date(ts).toISOString() : String(ts));

function newSegment(firstSeq: number, slots: number): Segment {
  return {
    firstSeq,
    state: new Uint8Array(slots),
    start: new Uint32Array(slots),
    end: new Uint32Array(slots),
    used: 0,
    lines: 0,
    pending: 0,
    inFlight: 0,
    cursor: 0,
    bytes: 0,
    firstTs: Number.NaN,
    lastTs: Number.NaN,
  };
}

/** A copy of a loading segment with room for `slots`. */
function grown(seg: Segment, slots: number): Segment {
  const bigger = newSegment(seg.firstSeq, Math.max(slots, seg.state.length * 2));
  bigger.state.set(seg.state);
  bigger.start.set(seg.start);
  bigger.end.set(seg.end);
  return { ...seg, state: bigger.state, start: bigger.start, end: bigger.end };
}

function isErrno(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await fs.unlink(file);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

/** Makes created and deleted names durable; not every platform can fsync a directory. */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch (err) {
    if (!isErrno(err, 'EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES')) throw err;
  } finally {
    await fh?.close();
  }
}

function parseLine(text: string): Buffered | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined; // the caller logs the line as corrupt
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { seq, ts, values } = raw as Record<string, unknown>;
  if (!Number.isSafeInteger(seq) || typeof ts !== 'number' || typeof values !== 'object' || values === null || Array.isArray(values)) return undefined;
  return { seq: seq as number, ts, values: values as AgentSample['values'] };
}

const SEQ_KEY = Buffer.from('{"seq":');
const TS_KEY = Buffer.from(',"ts":');
const VALUES_KEY = Buffer.from(',"values":{');
const CLOSE_BRACE = 0x7d;

function startsWith(buf: Buffer, at: number, key: Buffer): boolean {
  if (at + key.length > buf.length) return false;
  for (let k = 0; k < key.length; k++) if (buf[at + k] !== key[k]) return false;
  return true;
}

/**
 * The seq and ts of a line as `append` writes it, `{"seq":N,"ts":T,"values":{…}}`,
 * read from the bytes without parsing the values (a full day loads in tens of
 * ms and no garbage); undefined when the frame is damaged. Damage inside the
 * values shows when the line is read back.
 */
function scanFrame(buf: Buffer, start: number, end: number): { seq: number; ts: number } | undefined {
  if (!startsWith(buf, start, SEQ_KEY)) return undefined;
  let at = start + SEQ_KEY.length;
  const seqFrom = at;
  let seq = 0;
  for (let c = buf[at] as number; at < end && c >= 0x30 && c <= 0x39; c = buf[++at] as number) seq = seq * 10 + (c - 0x30);
  if (at === seqFrom || at - seqFrom > 15 || !startsWith(buf, at, TS_KEY)) return undefined;
  at += TS_KEY.length;
  const tsFrom = at;
  let ts = 0;
  for (let c = buf[at] as number; at < end && c >= 0x30 && c <= 0x39; c = buf[++at] as number) ts = ts * 10 + (c - 0x30);
  if (at === tsFrom || at - tsFrom > 15 || !startsWith(buf, at, VALUES_KEY)) {
    // Not a whole positive number of ms: rare enough to afford a string.
    for (let c = buf[at] as number; at < end && ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x2b || c === 0x65 || c === 0x45); c = buf[++at] as number);
    ts = at === tsFrom ? Number.NaN : Number(buf.toString('latin1', tsFrom, at));
    if (!Number.isFinite(ts) || !startsWith(buf, at, VALUES_KEY)) return undefined;
  }
  if (end - (at + VALUES_KEY.length) < 2 || buf[end - 1] !== CLOSE_BRACE || buf[end - 2] !== CLOSE_BRACE) return undefined;
  return { seq, ts };
}

/**
 * Writes all of `buf` at `position`, synchronously: a few µs into the page
 * cache, where the thread-pool round trip of an async write costs ~50 µs of
 * CPU. fdatasync, the slow part, stays async.
 */
function writeAll(fh: FileHandle, buf: Buffer, position: number): void {
  for (let done = 0; done < buf.length; ) done += fsSync.writeSync(fh.fd, buf, done, buf.length - done, position + done);
}

/** Seqs of a segment as `+A-B` records, ascending. */
function ackRecords(seqs: number[]): string {
  seqs.sort((a, b) => a - b);
  let out = '';
  for (let i = 0; i < seqs.length; ) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === (seqs[j] as number) + 1) j++;
    out += i === j ? `+${seqs[i]}\n` : `+${seqs[i]}-${seqs[j]}\n`;
    i = j + 1;
  }
  return out;
}

export async function openDiskBuffer(opts: DiskBufferOptions): Promise<DiskBuffer> {
  const { dir, maxSamples } = opts;
  if (!Number.isSafeInteger(maxSamples) || maxSamples < 1) throw new RangeError(`maxSamples must be a positive integer, not ${maxSamples}`);
  const segmentSamples = opts.segmentSamples ?? Math.max(1, Math.min(3600, Math.ceil(maxSamples / 24)));
  if (!Number.isSafeInteger(segmentSamples) || segmentSamples < 1 || segmentSamples > maxSamples) {
    throw new RangeError(`segmentSamples must be an integer from 1 to maxSamples (${maxSamples}), not ${segmentSamples}`);
  }
  const syncIntervalMs = opts.syncIntervalMs ?? 1000;
  const log = opts.log ?? ((msg: string) => createLogger('agent-buffer').warn(msg));
  const dataPath = (seg: Segment) => path.join(dir, `seg-${pad(seg.firstSeq)}.jsonl`);
  const ackPath = (seg: Segment) => path.join(dir, `seg-${pad(seg.firstSeq)}.acks`);

  await fs.mkdir(dir, { recursive: true });

  /** Oldest first; the last one is `active`, the one being written. */
  const segments: Segment[] = [];
  let held = 0; // lines on disk
  let unacked = 0; // PENDING + IN_FLIGHT
  let inFlightCount = 0;
  let dropped = 0;

  // ---- loading -------------------------------------------------------------

  /** One read buffer for every segment file at open, grown to the largest. */
  let scratch = Buffer.alloc(0);

  /**
   * Reads one segment file: truncates a torn last line, skips corrupt ones.
   * `completeLines` counts corrupt lines too (each used up a seq).
   */
  async function loadSegment(firstSeq: number, nextFirstSeq: number | undefined): Promise<{ seg: Segment; completeLines: number }> {
    const name = `seg-${pad(firstSeq)}.jsonl`;
    const fh = await fs.open(path.join(dir, name), 'r+');
    let size = 0;
    try {
      size = (await fh.stat()).size;
      if (size > MAX_SEGMENT_BYTES) throw new RangeError(`${name} is larger than a segment file may be`);
      if (scratch.length < size) scratch = Buffer.allocUnsafe(size);
      for (let got = 0; got < size; ) {
        const { bytesRead } = await fh.read(scratch, got, size - got, got);
        if (bytesRead === 0) {
          size = got; // shrank while reading: only this run writes here, so it cannot, but never read stale bytes
          break;
        }
        got += bytesRead;
      }
      const complete = scratch.lastIndexOf(NEWLINE, size - 1) + 1;
      if (complete < size) {
        await fh.truncate(complete);
        log(`${name}: dropped a torn last line (${size - complete} bytes, cut off when the agent stopped)`);
        size = complete;
      }
    } finally {
      await fh.close();
    }
    const buf = scratch;
    let completeLines = 0;
    for (let at = buf.indexOf(NEWLINE); at >= 0 && at < size; at = buf.indexOf(NEWLINE, at + 1)) completeLines++;
    // A segment's seqs stay below the next one's name; the newest has no
    // neighbour, so anything within twice its size is believed.
    const seqLimit = nextFirstSeq ?? firstSeq + 2 * Math.max(segmentSamples, completeLines);
    // Slots sized for one seq per line; grown only if damage glued lines together.
    let seg = newSegment(firstSeq, completeLines);
    const corrupt: number[] = [];
    let lineNo = 0;
    let prevSeq = firstSeq - 1;
    for (let start = 0; start < size; ) {
      const nl = buf.indexOf(NEWLINE, start);
      lineNo++;
      const frame = scanFrame(buf, start, nl);
      if (frame && frame.seq > prevSeq && frame.seq < seqLimit) {
        const i = frame.seq - firstSeq;
        if (i >= seg.state.length) seg = grown(seg, i + 1);
        seg.state[i] = PENDING;
        seg.start[i] = start;
        seg.end[i] = nl + 1;
        if (seg.lines === 0) seg.firstTs = frame.ts;
        seg.lastTs = frame.ts;
        seg.lines++;
        prevSeq = frame.seq;
      } else {
        corrupt.push(lineNo);
      }
      start = nl + 1;
    }
    if (corrupt.length > 0) {
      const which = corrupt.slice(0, 5).join(', ') + (corrupt.length > 5 ? ', …' : '');
      log(`${name}: skipped ${corrupt.length} corrupt line(s) (line ${which})`);
    }
    seg.used = prevSeq - firstSeq + 1;
    seg.pending = seg.lines;
    seg.bytes = size;
    return { seg, completeLines };
  }

  /** Applies a segment's ack records; a torn last record is cut off. */
  async function loadAcks(seg: Segment): Promise<void> {
    const file = ackPath(seg);
    let buf: Buffer;
    try {
      buf = await fs.readFile(file);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    const complete = buf.lastIndexOf(NEWLINE) + 1;
    if (complete < buf.length) await fs.truncate(file, complete);
    let bad = 0;
    for (const line of buf.toString('utf8', 0, complete).split('\n')) {
      if (line === '') continue;
      const m = ACK_RECORD.exec(line);
      const from = m ? Number(m[1]) : Number.NaN;
      const to = m?.[2] === undefined ? from : Number(m[2]);
      if (!(to >= from && from >= seg.firstSeq)) {
        bad++;
        continue;
      }
      const last = Math.min(to - seg.firstSeq, seg.used - 1);
      for (let i = from - seg.firstSeq; i <= last; i++) {
        if (seg.state[i] === PENDING) {
          seg.state[i] = ACKED;
          seg.pending--;
        }
      }
    }
    if (bad > 0) log(`${path.basename(file)}: skipped ${bad} unreadable ack record(s); those samples may be sent again`);
  }

  const entries = await fs.readdir(dir);
  const dataSeqs: number[] = [];
  const ackSeqs = new Set<number>();
  for (const name of entries) {
    const m = NAME.exec(name);
    if (!m) continue;
    if (m[2] === 'jsonl') dataSeqs.push(Number(m[1]));
    else ackSeqs.add(Number(m[1]));
  }
  dataSeqs.sort((a, b) => a - b);

  let nextSeq = 0;
  const emptyFiles: number[] = [];
  for (let k = 0; k < dataSeqs.length; k++) {
    const firstSeq = dataSeqs[k] as number;
    const nextFirstSeq = dataSeqs[k + 1];
    const { seg, completeLines } = await loadSegment(firstSeq, nextFirstSeq);
    nextSeq = Math.max(nextSeq, firstSeq + seg.used);
    // The newest file's corrupt lines used up their seqs too.
    if (nextFirstSeq === undefined) nextSeq = Math.max(nextSeq, firstSeq + completeLines);
    if (seg.lines === 0) {
      emptyFiles.push(firstSeq);
      continue;
    }
    await loadAcks(seg);
    segments.push(seg);
    held += seg.lines;
    unacked += seg.pending;
  }

  scratch = Buffer.alloc(0);

  // The new active segment exists before anything older is deleted, so its
  // name keeps the seq counter. It starts empty: nothing is ever appended to a
  // file written by an earlier run.
  let active = newSegment(nextSeq, segmentSamples);
  let activeFh = await fs.open(dataPath(active), 'w+');
  segments.push(active);
  let activeDirty = false;
  let dirDirty = true;
  await unlinkIfPresent(ackPath(active));

  for (const firstSeq of emptyFiles) {
    if (firstSeq !== active.firstSeq) await unlinkIfPresent(path.join(dir, `seg-${pad(firstSeq)}.jsonl`));
    await unlinkIfPresent(path.join(dir, `seg-${pad(firstSeq)}.acks`));
  }
  for (const firstSeq of ackSeqs) {
    if (!dataSeqs.includes(firstSeq)) await unlinkIfPresent(path.join(dir, `seg-${pad(firstSeq)}.acks`));
  }
  for (const seg of segments.slice()) {
    if (seg !== active && seg.pending === 0) await removeSegment(seg);
  }

  // ---- helpers -------------------------------------------------------------

  function findSegment(seq: number): Segment | undefined {
    let lo = 0;
    let hi = segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const seg = segments[mid] as Segment;
      if (seq < seg.firstSeq) hi = mid - 1;
      else if (seq >= seg.firstSeq + seg.used) lo = mid + 1;
      else return seg;
    }
    return undefined;
  }

  /** Deletes a segment's files: data first, so a crash in between leaves only an orphan ack file. */
  async function removeSegment(seg: Segment): Promise<void> {
    const at = segments.indexOf(seg);
    if (at < 0) return;
    segments.splice(at, 1);
    held -= seg.lines;
    unacked -= seg.pending + seg.inFlight;
    inFlightCount -= seg.inFlight;
    await unlinkIfPresent(dataPath(seg));
    await unlinkIfPresent(ackPath(seg));
    dirDirty = true;
  }

  /** Drops the oldest segments until `incoming` more samples fit; one log line per event. */
  async function makeRoom(incoming: number): Promise<void> {
    let lost = 0;
    let from = Number.NaN;
    let to = Number.NaN;
    let files = 0;
    while (held + incoming > maxSamples) {
      const victim = segments[0] as Segment;
      if (victim === active) break; // cannot happen: the active segment holds < segmentSamples <= maxSamples
      lost += victim.pending + victim.inFlight;
      if (Number.isNaN(from)) from = victim.firstTs;
      to = victim.lastTs;
      files++;
      await removeSegment(victim);
    }
    if (files === 0) return;
    dropped += lost;
    log(
      `buffer full (${maxSamples} samples): dropped ${lost} unacknowledged sample(s) taken ${isoOrRaw(from)} … ${isoOrRaw(to)} (${files} oldest segment file(s))`,
    );
  }

  /** Closes the full active segment and starts the next. */
  async function rollOver(): Promise<void> {
    const old = active;
    await activeFh.datasync();
    await activeFh.close();
    activeDirty = false;
    active = newSegment(nextSeq, segmentSamples);
    activeFh = await fs.open(dataPath(active), 'w+');
    segments.push(active);
    dirDirty = true;
    await syncDir(dir);
    dirDirty = false;
    if (old.pending + old.inFlight === 0) await removeSegment(old);
  }

  async function syncNow(): Promise<void> {
    if (activeDirty) {
      activeDirty = false;
      await activeFh.datasync();
    }
    if (dirDirty) {
      dirDirty = false;
      await syncDir(dir);
    }
  }

  let syncTimer: NodeJS.Timeout | undefined;
  function scheduleSync(): void {
    if (syncTimer !== undefined || closed) return;
    syncTimer = setTimeout(() => {
      syncTimer = undefined;
      serial(syncNow).catch((err: unknown) => log(`fdatasync failed: ${err instanceof Error ? err.message : String(err)}`));
    }, syncIntervalMs);
    syncTimer.unref();
  }

  // Every file operation runs in call order, one at a time. A failed task
  // rejects its own caller only; the queue carries on.
  let tail: Promise<unknown> = Promise.resolve();
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const run = tail.then(task);
    tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new Error(`the agent buffer in ${dir} is closed`);
  };

  await makeRoom(0); // maxSamples may be smaller than at the last run
  await syncNow();

  // ---- operations ----------------------------------------------------------

  async function appendNow(sample: AgentSample, markInFlight: boolean): Promise<Buffered> {
    if (active.used === active.state.length) await rollOver();
    await makeRoom(1);
    const seq = nextSeq;
    const line = Buffer.from(`${JSON.stringify({ seq, ts: sample.ts, values: sample.values })}\n`);
    if (active.bytes + line.length > MAX_SEGMENT_BYTES) {
      if (active.used === 0) throw new RangeError('a sample larger than a segment file may be');
      await rollOver();
      return appendNow(sample, markInFlight);
    }
    // Written at an explicit offset: a failed, partial write is overwritten by the next one.
    writeAll(activeFh, line, active.bytes);
    const i = seq - active.firstSeq;
    active.start[i] = active.bytes;
    active.end[i] = active.bytes + line.length;
    active.bytes += line.length;
    active.used++;
    active.lines++;
    if (active.lines === 1) active.firstTs = sample.ts;
    active.lastTs = sample.ts;
    held++;
    unacked++;
    if (markInFlight) {
      active.state[i] = IN_FLIGHT;
      active.inFlight++;
      inFlightCount++;
    } else {
      active.state[i] = PENDING;
      active.pending++;
    }
    nextSeq++;
    activeDirty = true;
    scheduleSync();
    return { seq, ts: sample.ts, values: sample.values };
  }

  /** Reads the chosen slots of one segment, merging nearby ones into one read. */
  async function readSlots(seg: Segment, slots: number[], out: Buffered[]): Promise<void> {
    const fh = seg === active ? activeFh : await fs.open(dataPath(seg), 'r');
    try {
      for (let a = 0; a < slots.length; ) {
        let b = a;
        while (b + 1 < slots.length && (seg.start[slots[b + 1] as number] as number) - (seg.end[slots[b] as number] as number) <= READ_GAP_BYTES) b++;
        const from = seg.start[slots[a] as number] as number;
        const to = seg.end[slots[b] as number] as number;
        const buf = Buffer.allocUnsafe(to - from);
        const { bytesRead } = await fh.read(buf, 0, buf.length, from);
        for (let k = a; k <= b; k++) {
          const i = slots[k] as number;
          const seq = seg.firstSeq + i;
          const s = (seg.start[i] as number) - from;
          const e = (seg.end[i] as number) - from - 1;
          const sample = e < bytesRead ? parseLine(buf.toString('utf8', s, e)) : undefined;
          if (sample && sample.seq === seq) {
            out.push(sample);
            continue;
          }
          // Changed on disk since it was loaded: give up on this one sample.
          log(`seg-${pad(seg.firstSeq)}.jsonl: sample ${seq} is unreadable now and is skipped`);
          seg.state[i] = EMPTY;
          seg.inFlight--;
          seg.lines--;
          held--;
          unacked--;
          inFlightCount--;
        }
        a = b + 1;
      }
    } finally {
      if (seg !== active) await fh.close();
    }
  }

  async function takeNow(max: number): Promise<Buffered[]> {
    const picked: { seg: Segment; slots: number[] }[] = [];
    let left = max;
    for (const seg of segments) {
      if (left === 0) break;
      if (seg.pending === 0) continue;
      const slots: number[] = [];
      let i = seg.cursor;
      while (i < seg.used && seg.state[i] !== PENDING) i++;
      for (; i < seg.used && slots.length < left; i++) {
        if (seg.state[i] !== PENDING) continue;
        seg.state[i] = IN_FLIGHT;
        slots.push(i);
      }
      seg.cursor = i;
      seg.pending -= slots.length;
      seg.inFlight += slots.length;
      inFlightCount += slots.length;
      left -= slots.length;
      picked.push({ seg, slots });
    }
    const out: Buffered[] = [];
    try {
      for (const { seg, slots } of picked) await readSlots(seg, slots, out);
    } catch (err) {
      releaseNow(picked.flatMap(({ seg, slots }) => slots.map((i) => seg.firstSeq + i)));
      throw err;
    }
    return out;
  }

  function releaseNow(seqs: readonly number[]): void {
    for (const seq of seqs) {
      const seg = findSegment(seq);
      if (!seg) continue;
      const i = seq - seg.firstSeq;
      if (seg.state[i] !== IN_FLIGHT) continue;
      seg.state[i] = PENDING;
      seg.inFlight--;
      seg.pending++;
      inFlightCount--;
      if (i < seg.cursor) seg.cursor = i;
    }
  }

  async function ackNow(seqs: readonly number[]): Promise<void> {
    const bySegment = new Map<Segment, number[]>();
    for (const seq of seqs) {
      const seg = findSegment(seq);
      if (!seg) continue;
      const i = seq - seg.firstSeq;
      const state = seg.state[i];
      if (state === PENDING) seg.pending--;
      else if (state === IN_FLIGHT) {
        seg.inFlight--;
        inFlightCount--;
      } else continue;
      seg.state[i] = ACKED;
      unacked--;
      const list = bySegment.get(seg);
      if (list) list.push(seq);
      else bySegment.set(seg, [seq]);
    }
    for (const [seg, list] of bySegment) {
      if (seg !== active && seg.pending + seg.inFlight === 0) await removeSegment(seg);
      else await fs.appendFile(ackPath(seg), ackRecords(list));
    }
  }

  return {
    append(sample, appendOpts) {
      try {
        ensureOpen();
        if (typeof sample?.ts !== 'number' || !Number.isFinite(sample.ts)) throw new TypeError('sample.ts must be a finite number (epoch ms)');
        if (typeof sample.values !== 'object' || sample.values === null) throw new TypeError('sample.values must be an object');
      } catch (err) {
        return Promise.reject(err);
      }
      return serial(() => appendNow(sample, appendOpts?.inFlight === true));
    },
    takeOldest(max) {
      try {
        ensureOpen();
      } catch (err) {
        return Promise.reject(err);
      }
      const n = Math.floor(max);
      return n > 0 ? serial(() => takeNow(n)) : Promise.resolve([]);
    },
    release(seqs) {
      if (!closed) releaseNow(seqs); // a send failing during shutdown is no error
    },
    ack(seqs) {
      // An ack arriving during shutdown is ignored: those samples are sent again after the restart.
      return closed ? Promise.resolve() : serial(() => ackNow(seqs));
    },
    get pending() {
      return unacked;
    },
    get inFlight() {
      return inFlightCount;
    },
    get dropped() {
      return dropped;
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      clearTimeout(syncTimer);
      syncTimer = undefined;
      return serial(async () => {
        try {
          await syncNow();
        } finally {
          await activeFh.close();
        }
      });
    },
  };
}
