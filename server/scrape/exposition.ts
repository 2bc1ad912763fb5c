/**
 * Prometheus text exposition (format 0.0.4, and OpenMetrics 1.0 text as far as
 * it is the same) → metric families. Strict and all-or-nothing: the first bad
 * line throws an ExpositionError naming it, and nothing is returned.
 *
 * A hand-written scanner walks each line once (no regular expressions), so the
 * cost is linear in the body and no input can make it backtrack. Label values
 * of a line without a backslash are plain slices of it.
 *
 * Family rules (as client_golang's expfmt, except where noted):
 * - A sample belongs to the family its name fits: counter `x` ← `x`, `x_total`,
 *   `x_created`; histogram `x` ← `x_bucket`, `x_sum`, `x_count`, `x_created`;
 *   summary `x` ← `x` (with `quantile`), `x_sum`, `x_count`, `x_created`.
 * - A sample with no TYPE line before it is untyped, in a family of its own
 *   name. A TYPE line for a name whose untyped samples came earlier starts a
 *   new family for the samples that follow; the earlier ones stay untyped.
 * - OpenMetrics: `unknown` = untyped; `info` and `stateset` are read as gauges;
 *   `gaugehistogram` is refused. `# EOF` ends the body; timestamps are seconds
 *   and exemplars are skipped when the body ends with `# EOF`.
 * - A label with an empty value is dropped (Prometheus treats it as absent).
 * - A trailing `\r` on a line is ignored.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** Label pairs sorted by name. */
export type Labels = ReadonlyArray<readonly [name: string, value: string]>;

export interface Sample {
  /** The sample's own name: `x_total`, `x_bucket`, `x_sum`, … */
  readonly name: string;
  /** Sorted by label name; no empty values. */
  readonly labels: Labels;
  /** Name and labels as one canonical string, `x_total{a="1",b="2"}` (formatSeriesName). */
  readonly series: string;
  /** Finite, except a summary quantile, which may be NaN or ±Inf. */
  readonly value: number;
  /** The sample's own timestamp in epoch ms, when the line has one. */
  readonly timestampMs?: number;
  /** 1-based line number in the body. */
  readonly line: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help?: string;
  /** From an OpenMetrics `# UNIT` line, as written (`seconds`, `bytes`, …). */
  readonly unit?: string;
  readonly samples: readonly Sample[];
  /** The line of the family's first HELP, TYPE, UNIT or sample line. */
  readonly line: number;
}

export interface ParseLimits {
  /** UTF-8 bytes of the whole body. */
  maxBytes: number;
  maxLines: number;
  /** Characters (UTF-16 code units) in one line. */
  maxLineLength: number;
  /** Characters of one label value, after unescaping. */
  maxLabelValueLength: number;
  maxLabelsPerSample: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxBytes: 4 * 1024 * 1024,
  maxLines: 50_000,
  maxLineLength: 64 * 1024,
  maxLabelValueLength: 1024,
  maxLabelsPerSample: 32,
});

export interface ParseOptions extends Partial<ParseLimits> {
  /** OpenMetrics rules (seconds timestamps, exemplars). Default: when the body ends with `# EOF`. */
  openMetrics?: boolean;
  /**
   * Called for a gauge (or untyped) sample whose value is NaN or ±Inf, which
   * is then left out instead of failing the body. Real exporters emit these
   * (a Micrometer gauge whose object was collected reads NaN): a scrape skips
   * them, a push is strict (no callback).
   */
  onNonFiniteGauge?: (line: number, series: string) => void;
}

/** Bad input. `line` is 1-based; 0 when the error is not about one line (the message then has no `line N:` prefix). */
export class ExpositionError extends Error {
  override name = 'ExpositionError';
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(line > 0 ? `line ${line}: ${detail}` : detail);
  }
}

/** `name{a="1",b="2"}`: labels in the order given (pass them sorted), values escaped as in the exposition format. */
export function formatSeriesName(name: string, labels: Labels): string {
  return seriesKey(name, labels, true);
}

/** `escape` false: the caller knows no value holds a backslash, quote or newline. */
function seriesKey(name: string, labels: Labels, escape: boolean): string {
  if (labels.length === 0) return name;
  let out = name;
  for (let i = 0; i < labels.length; i++) {
    const [k, v] = labels[i]!;
    out += (i === 0 ? '{' : ',') + k + '="' + (escape ? escapeLabelValue(v) : v) + '"';
  }
  return out + '}';
}

/** True when `a` and `b` hold the same labels, but for the one at index `skip` (`b`'s, and `a`'s too when they match). */
export function sameLabelsExcept(a: Labels, b: Labels, skip: number): boolean {
  if (a.length !== b.length || a[skip]?.[0] !== b[skip]?.[0]) return false;
  for (let k = 0; k < a.length; k++) {
    if (k !== skip && (a[k]![0] !== b[k]![0] || a[k]![1] !== b[k]![1])) return false;
  }
  return true;
}

const NEEDS_ESCAPE = /[\\"\n]/;

export function escapeLabelValue(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** Parses a whole body. Throws ExpositionError on the first problem. */
export function parseExposition(text: string, options: ParseOptions = {}): MetricFamily[] {
  const limits: ParseLimits = {
    maxBytes: options.maxBytes ?? DEFAULT_PARSE_LIMITS.maxBytes,
    maxLines: options.maxLines ?? DEFAULT_PARSE_LIMITS.maxLines,
    maxLineLength: options.maxLineLength ?? DEFAULT_PARSE_LIMITS.maxLineLength,
    maxLabelValueLength: options.maxLabelValueLength ?? DEFAULT_PARSE_LIMITS.maxLabelValueLength,
    maxLabelsPerSample: options.maxLabelsPerSample ?? DEFAULT_PARSE_LIMITS.maxLabelsPerSample,
  };
  checkBytes(text, limits.maxBytes);
  const parser = new Parser(limits, options.openMetrics ?? endsWithEof(text), options.onNonFiniteGauge);
  const n = text.length;
  let start = 0;
  let lineNo = 0;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = n;
    lineNo++;
    if (lineNo > limits.maxLines) throw new ExpositionError(lineNo, `the body has more than ${limits.maxLines} lines (the limit)`);
    const cr = end > start && text.charCodeAt(end - 1) === CR ? 1 : 0;
    const length = end - cr - start;
    if (length > limits.maxLineLength) {
      throw new ExpositionError(lineNo, `the line is ${length} characters long, more than the limit of ${limits.maxLineLength}`);
    }
    parser.parseLine(text.slice(start, end - cr), lineNo);
    start = end + 1;
  }
  return parser.finish();
}

/**
 * Parses a label set `{a="1",b="2"}` standing alone (as in a pushed series
 * name): the same syntax and limits as in a sample. Returns the labels sorted.
 */
export function parseLabelSet(text: string, limits: Partial<Pick<ParseLimits, 'maxLabelValueLength' | 'maxLabelsPerSample'>> = {}): Labels {
  const scanner = new Scanner({
    ...DEFAULT_PARSE_LIMITS,
    maxLabelValueLength: limits.maxLabelValueLength ?? DEFAULT_PARSE_LIMITS.maxLabelValueLength,
    maxLabelsPerSample: limits.maxLabelsPerSample ?? DEFAULT_PARSE_LIMITS.maxLabelsPerSample,
  });
  scanner.reset(text, 0);
  if (scanner.peek() !== LBRACE) scanner.fail('a label set starts with "{"');
  const labels = scanner.labels();
  if (scanner.i !== text.length) scanner.fail(`unexpected ${scanner.excerpt()} after the label set`);
  return labels;
}

/**
 * The text format's numbers, as Go's strconv.ParseFloat reads them minus hex
 * and underscores: decimal with optional exponent, `Inf`/`Infinity` with an
 * optional sign, `NaN` (case-insensitive). Undefined when it is none of these.
 */
export function parseNumber(t: string): number | undefined {
  const n = t.length;
  if (n === 0) return undefined;
  let i = 0;
  let c = t.charCodeAt(0);
  if (c === PLUS || c === MINUS) {
    i = 1;
    c = t.charCodeAt(1);
  }
  if (isLetter(c)) {
    const word = t.slice(i).toLowerCase();
    if (word === 'inf' || word === 'infinity') return t.charCodeAt(0) === MINUS ? -Infinity : Infinity;
    if (word === 'nan' && i === 0) return NaN;
    return undefined;
  }
  let digits = 0;
  while (i < n && isDigit(t.charCodeAt(i))) i++, digits++;
  if (i < n && t.charCodeAt(i) === DOT) {
    i++;
    while (i < n && isDigit(t.charCodeAt(i))) i++, digits++;
  }
  if (digits === 0) return undefined;
  if (i < n && (t.charCodeAt(i) | 0x20) === LOWER_E) {
    i++;
    if (i < n && (t.charCodeAt(i) === PLUS || t.charCodeAt(i) === MINUS)) i++;
    let expDigits = 0;
    while (i < n && isDigit(t.charCodeAt(i))) i++, expDigits++;
    if (expDigits === 0) return undefined;
  }
  return i === n ? Number(t) : undefined;
}

// ---------------------------------------------------------------------------

const TAB = 9;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const COLON = 58;
const EQUALS = 61;
const BACKSLASH = 92;
const UNDERSCORE = 95;
const LOWER_E = 101;
const LOWER_N = 110;
const LBRACE = 123;
const RBRACE = 125;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isBlank = (c: number) => c === SPACE || c === TAB;
const isLabelStart = (c: number) => isLetter(c) || c === UNDERSCORE;
const isLabelChar = (c: number) => isLabelStart(c) || isDigit(c);
const isMetricStart = (c: number) => isLabelStart(c) || c === COLON;
const isMetricChar = (c: number) => isLabelChar(c) || c === COLON;

/** Shown in messages instead of a token that may be 64 kB long. */
function quote(token: string): string {
  return JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
}

/** A series name or value as written, shortened for messages. */
function short(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function checkBytes(text: string, maxBytes: number): void {
  // A UTF-16 code unit is at least one UTF-8 byte and at most three.
  if (text.length * 3 <= maxBytes) return;
  if (text.length <= maxBytes && Buffer.byteLength(text) <= maxBytes) return;
  // Too large: find the line on which it passes the limit.
  let bytes = 0;
  let start = 0;
  for (let lineNo = 1; ; lineNo++) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    bytes += Buffer.byteLength(text.slice(start, end)) + 1;
    if (bytes > maxBytes || end === text.length) {
      throw new ExpositionError(lineNo, `the body is larger than ${maxBytes} bytes (the limit)`);
    }
    start = end + 1;
  }
}

function endsWithEof(text: string): boolean {
  let end = text.length;
  while (end > 0 && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === CR)) end--;
  return end >= 5 && text.startsWith('# EOF', end - 5) && (end === 5 || text.charCodeAt(end - 6) === 10);
}

/** A cursor over one line, with the token readers both samples and pushed names use. */
class Scanner {
  s = '';
  i = 0;
  lineNo = 0;
  /** Whether the line has a backslash at all. */
  escapes = false;

  constructor(readonly limits: ParseLimits) {}

  reset(s: string, lineNo: number): void {
    this.s = s;
    this.i = 0;
    this.lineNo = lineNo;
    this.escapes = s.indexOf('\\') !== -1;
  }

  fail(detail: string): never {
    throw new ExpositionError(this.lineNo, detail);
  }

  peek(): number {
    return this.i < this.s.length ? this.s.charCodeAt(this.i) : -1;
  }

  atEnd(): boolean {
    return this.i >= this.s.length;
  }

  skipBlanks(): void {
    const s = this.s;
    while (this.i < s.length && isBlank(s.charCodeAt(this.i))) this.i++;
  }

  /** The rest of the line from here, shortened, for messages. */
  excerpt(): string {
    return quote(this.s.slice(this.i, this.i + 41));
  }

  /** Up to the next blank or the end of the line. */
  token(): string {
    const s = this.s;
    const start = this.i;
    let i = start;
    while (i < s.length && !isBlank(s.charCodeAt(i))) i++;
    this.i = i;
    return s.slice(start, i);
  }

  metricName(): string {
    const s = this.s;
    const start = this.i;
    if (!isMetricStart(this.peek())) this.fail(`invalid metric name ${quote(this.token())} (expected [a-zA-Z_:][a-zA-Z0-9_:]*)`);
    let i = start + 1;
    while (i < s.length && isMetricChar(s.charCodeAt(i))) i++;
    this.i = i;
    return s.slice(start, i);
  }

  /** At `{`: reads the label set through `}`; returns the labels sorted by name, empty values dropped. */
  labels(): Array<[string, string]> {
    const s = this.s;
    const n = s.length;
    const { maxLabelsPerSample, maxLabelValueLength } = this.limits;
    const escapes = this.escapes;
    const labels: Array<[string, string]> = [];
    let sorted = true;
    let i = this.i + 1; // past {
    for (;;) {
      while (i < n && isBlank(s.charCodeAt(i))) i++;
      if (i < n && s.charCodeAt(i) === RBRACE) break;
      const nameStart = i;
      if (i >= n || !isLabelStart(s.charCodeAt(i))) {
        if (i >= n) this.failAt(i, 'the label set is not closed with "}"');
        while (i < n && !isBlank(s.charCodeAt(i)) && s.charCodeAt(i) !== EQUALS) i++;
        this.failAt(i, `invalid label name ${quote(s.slice(nameStart, i))} (expected [a-zA-Z_][a-zA-Z0-9_]*)`);
      }
      i++;
      while (i < n && isLabelChar(s.charCodeAt(i))) i++;
      const name = s.slice(nameStart, i);
      if (labels.length === maxLabelsPerSample) this.failAt(i, `more than ${maxLabelsPerSample} labels on one sample (the limit)`);
      while (i < n && isBlank(s.charCodeAt(i))) i++;
      if (i >= n || s.charCodeAt(i) !== EQUALS) {
        this.failAt(i, `expected "=" after label name ${quote(name)}, found ${i >= n ? 'the end of the line' : quote(s.slice(i, i + 41))}`);
      }
      i++;
      while (i < n && isBlank(s.charCodeAt(i))) i++;
      if (i >= n || s.charCodeAt(i) !== QUOTE) this.failAt(i, `expected a quoted value for label ${quote(name)}`);
      i++;
      let value: string;
      if (!escapes) {
        const close = s.indexOf('"', i);
        if (close === -1 && n - i <= maxLabelValueLength) this.failAt(n, `the value of label ${quote(name)} is not closed with a quote`);
        if (close === -1 || close - i > maxLabelValueLength) {
          this.failAt(i, `the value of label ${quote(name)} is longer than ${maxLabelValueLength} characters (the limit)`);
        }
        value = s.slice(i, close);
        i = close + 1;
      } else {
        value = '';
        let chunk = i;
        for (;;) {
          if (i >= n) this.failAt(i, `the value of label ${quote(name)} is not closed with a quote`);
          const c = s.charCodeAt(i);
          if (c === QUOTE) break;
          if (c === BACKSLASH) {
            const e = s.charCodeAt(i + 1);
            let unescaped: string;
            if (e === BACKSLASH) unescaped = '\\';
            else if (e === QUOTE) unescaped = '"';
            else if (e === LOWER_N) unescaped = '\n';
            else this.failAt(i, `invalid escape ${s.slice(i, i + 2)} in the value of label ${quote(name)} (only \\\\, \\" and \\n)`);
            value += s.slice(chunk, i) + unescaped;
            i += 2;
            chunk = i;
          } else {
            i++;
          }
          if (value.length + (i - chunk) > maxLabelValueLength) {
            this.failAt(i, `the value of label ${quote(name)} is longer than ${maxLabelValueLength} characters (the limit)`);
          }
        }
        value += s.slice(chunk, i);
        i++; // closing quote
      }
      if (labels.length > 0 && name <= labels[labels.length - 1]![0]) sorted = false;
      labels.push([name, value]);
      while (i < n && isBlank(s.charCodeAt(i))) i++;
      const c = i < n ? s.charCodeAt(i) : -1;
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === RBRACE) break;
      this.failAt(i, `expected "," or "}" after the value of label ${quote(name)}, found ${i >= n ? 'the end of the line' : quote(s.slice(i, i + 41))}`);
    }
    this.i = i + 1; // past }
    if (!sorted) {
      labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (let k = 1; k < labels.length; k++) {
        if (labels[k]![0] === labels[k - 1]![0]) this.fail(`duplicate label ${quote(labels[k]![0])}`);
      }
    }
    for (let k = labels.length - 1; k >= 0; k--) if (labels[k]![1] === '') labels.splice(k, 1);
    return labels;
  }

  private failAt(i: number, detail: string): never {
    this.i = i;
    return this.fail(detail);
  }
}

interface TypeDef {
  type: MetricType;
  /** Sample name endings the family accepts ('' = the family's own name). */
  suffixes: readonly string[];
}

const TYPES = new Map<string, TypeDef>([
  ['counter', { type: 'counter', suffixes: ['', '_total', '_created'] }],
  ['gauge', { type: 'gauge', suffixes: [''] }],
  ['histogram', { type: 'histogram', suffixes: ['_bucket', '_sum', '_count', '_created'] }],
  ['summary', { type: 'summary', suffixes: ['', '_sum', '_count', '_created'] }],
  ['untyped', { type: 'untyped', suffixes: [''] }],
  ['unknown', { type: 'untyped', suffixes: [''] }],
  ['info', { type: 'gauge', suffixes: ['_info'] }],
  ['stateset', { type: 'gauge', suffixes: [''] }],
]);
const UNTYPED = TYPES.get('untyped')!;
const TYPED_SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created', '_info'];

interface Builder {
  name: string;
  def: TypeDef;
  help?: string;
  unit?: string;
  samples: Sample[];
  line: number;
  /** 0 until a TYPE line sets the type. */
  typeLine: number;
  helpLine: number;
  unitLine: number;
  /** Histograms: each label set's buckets (by the label set without `le`). */
  bucketSets?: Map<string, BucketSet>;
  /** Summaries: label set + quantile, by numeric value. */
  quantiles?: Set<string>;
}

interface BucketSet {
  family: Builder;
  key: string;
  /** The labels of its first bucket, `le` included. */
  labels: Labels;
  line: number;
  bounds: Set<number>;
}

function accepts(f: Builder, name: string): boolean {
  if (!name.startsWith(f.name)) return false;
  for (const suffix of f.def.suffixes) {
    if (name.length === f.name.length + suffix.length && name.endsWith(suffix)) return true;
  }
  return false;
}

class Parser {
  private readonly scan: Scanner;
  private readonly families: Builder[] = [];
  private readonly byName = new Map<string, Builder>();
  /** Series key → line, to refuse the same series twice. */
  private readonly seen = new Map<string, number>();
  private current: Builder | undefined;
  /** The name of the last sample, while `current` is its family. */
  private lastName = '';
  private lastBuckets: BucketSet | undefined;
  private eofLine = 0;

  constructor(
    limits: ParseLimits,
    private readonly openMetrics: boolean,
    private readonly onNonFiniteGauge?: (line: number, series: string) => void,
  ) {
    this.scan = new Scanner(limits);
  }

  parseLine(line: string, lineNo: number): void {
    const sc: Scanner = this.scan;
    sc.reset(line, lineNo);
    sc.skipBlanks();
    if (sc.atEnd()) return;
    if (this.eofLine) sc.fail(`nothing may follow "# EOF" (line ${this.eofLine})`);
    if (sc.peek() === HASH) this.comment();
    else this.sample();
  }

  finish(): MetricFamily[] {
    for (const f of this.families) {
      if (!f.bucketSets) continue;
      for (const set of f.bucketSets.values()) {
        if (!set.bounds.has(Infinity)) throw new ExpositionError(set.line, `histogram ${short(set.key)} has no le="+Inf" bucket`);
      }
    }
    return this.families.map((f) => ({ name: f.name, type: f.def.type, help: f.help, unit: f.unit, samples: f.samples, line: f.line }));
  }

  private comment(): void {
    const sc: Scanner = this.scan;
    sc.i++; // #
    sc.skipBlanks();
    const keyword = sc.token();
    if (keyword === 'EOF' && sc.s === '# EOF') {
      this.eofLine = sc.lineNo;
      return;
    }
    if (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT') return; // a plain comment
    if (!isBlank(sc.peek())) sc.fail(`# ${keyword} needs a metric name`);
    sc.skipBlanks();
    const name = sc.metricName();
    if (!sc.atEnd() && !isBlank(sc.peek())) {
      sc.i -= name.length;
      sc.fail(`invalid metric name ${quote(sc.token())} in # ${keyword}`);
    }
    sc.skipBlanks();
    if (keyword === 'HELP') this.help(name);
    else if (keyword === 'TYPE') this.type(name);
    else this.unit(name);
  }

  private help(name: string): void {
    const sc: Scanner = this.scan;
    const s = sc.s;
    let text = '';
    let chunk = sc.i;
    for (let i = sc.i; i < s.length; i++) {
      if (s.charCodeAt(i) !== BACKSLASH) continue;
      const e = s.charCodeAt(i + 1);
      const unescaped = e === BACKSLASH ? '\\' : e === LOWER_N ? '\n' : e === QUOTE ? '"' : undefined;
      if (unescaped === undefined) sc.fail(`invalid escape ${s.slice(i, i + 2)} in # HELP (only \\\\, \\n and \\")`);
      text += s.slice(chunk, i) + unescaped;
      i++;
      chunk = i + 1;
    }
    text += s.slice(chunk);
    const f = this.byName.get(name) ?? this.create(name, UNTYPED);
    if (f.helpLine) sc.fail(`a second # HELP for ${name} (the first is on line ${f.helpLine})`);
    f.help = text;
    f.helpLine = sc.lineNo;
    this.current = f;
    this.lastName = '';
  }

  private type(name: string): void {
    const sc: Scanner = this.scan;
    const word = sc.token();
    if (word === '') sc.fail(`# TYPE ${name} needs a type`);
    const def = TYPES.get(word);
    if (!def) {
      if (word === 'gaugehistogram') sc.fail(`type gaugehistogram of ${name} is not supported`);
      sc.fail(`unknown type ${quote(word)} for ${name} (counter, gauge, histogram, summary or untyped)`);
    }
    sc.skipBlanks();
    if (!sc.atEnd()) sc.fail(`unexpected ${sc.excerpt()} after # TYPE ${name} ${word}`);
    let f = this.byName.get(name);
    if (f?.typeLine) sc.fail(`a second # TYPE for ${name} (the first is on line ${f.typeLine})`);
    // Untyped samples already read under this name keep their family; the TYPE starts a new one.
    if (!f || f.samples.length > 0) f = this.create(name, def);
    f.def = def;
    f.typeLine = sc.lineNo;
    this.current = f;
    this.lastName = '';
  }

  private unit(name: string): void {
    const sc: Scanner = this.scan;
    const unit = sc.token();
    sc.skipBlanks();
    if (!sc.atEnd()) sc.fail(`unexpected ${sc.excerpt()} after # UNIT ${name} ${unit}`);
    const f = this.byName.get(name) ?? this.create(name, UNTYPED);
    if (f.unitLine) sc.fail(`a second # UNIT for ${name} (the first is on line ${f.unitLine})`);
    if (unit !== '') f.unit = unit;
    f.unitLine = sc.lineNo;
    this.current = f;
    this.lastName = '';
  }

  private create(name: string, def: TypeDef): Builder {
    const f: Builder = { name, def, samples: [], line: this.scan.lineNo, typeLine: 0, helpLine: 0, unitLine: 0 };
    this.families.push(f);
    this.byName.set(name, f);
    return f;
  }

  private familyOf(name: string): Builder {
    const current = this.current;
    if (current && accepts(current, name)) return current;
    const exact = this.byName.get(name);
    if (exact?.typeLine && accepts(exact, name)) return exact;
    for (const suffix of TYPED_SUFFIXES) {
      if (!name.endsWith(suffix)) continue;
      const f = this.byName.get(name.slice(0, name.length - suffix.length));
      if (f?.typeLine && accepts(f, name)) return f;
    }
    if (!exact) return this.create(name, UNTYPED);
    if (accepts(exact, name)) return exact;
    const expected = exact.def.suffixes.map((x) => exact.name + x).join(', ');
    return this.scan.fail(`sample ${name} does not fit ${exact.def.type} ${exact.name} (expected ${expected})`);
  }

  private sample(): void {
    const sc: Scanner = this.scan;
    const name = sc.metricName();
    if (!sc.atEnd() && !isBlank(sc.peek()) && sc.peek() !== LBRACE) {
      sc.i -= name.length;
      sc.fail(`invalid metric name ${quote(sc.token())} (expected [a-zA-Z_:][a-zA-Z0-9_:]*)`);
    }
    sc.skipBlanks();
    const labels = sc.peek() === LBRACE ? sc.labels() : [];
    sc.skipBlanks();
    const series = seriesKey(name, labels, sc.escapes);
    const shown = series.length > 80 ? short(series) : series;
    const valueToken = sc.token();
    if (valueToken === '') sc.fail(`${shown} has no value`);
    const value = parseNumber(valueToken);
    if (value === undefined) sc.fail(`invalid value ${quote(valueToken)} for ${shown}`);
    sc.skipBlanks();
    let timestampMs: number | undefined;
    if (!sc.atEnd() && !(this.openMetrics && sc.peek() === HASH)) {
      timestampMs = this.timestamp(shown);
      sc.skipBlanks();
    }
    if (!sc.atEnd()) {
      if (this.openMetrics && sc.peek() === HASH) this.exemplar(shown);
      else sc.fail(`unexpected ${sc.excerpt()} after the value of ${shown}`);
    }

    // Consecutive samples mostly share a name (one per label set): skip the lookup for them.
    const f = name === this.lastName ? this.current! : this.familyOf(name);
    const first = this.seen.get(series);
    if (first !== undefined) sc.fail(`duplicate series ${shown} (first on line ${first})`);
    this.seen.set(series, sc.lineNo);
    const isQuantile = f.def.type === 'summary' && name === f.name;
    if (!Number.isFinite(value) && !isQuantile) {
      if (this.onNonFiniteGauge && (f.def.type === 'gauge' || f.def.type === 'untyped')) {
        this.onNonFiniteGauge(sc.lineNo, series);
        this.current = f;
        this.lastName = name;
        return;
      }
      sc.fail(`${shown} has the value ${short(valueToken)}; only finite numbers are accepted (NaN and ±Inf only as a summary quantile)`);
    }
    if (f.def.type === 'histogram' && name.length === f.name.length + 7 && name.endsWith('_bucket')) this.bucket(f, name, labels);
    if (isQuantile) this.quantile(f, name, labels);
    f.samples.push(timestampMs === undefined ? { name, labels, series, value, line: sc.lineNo } : { name, labels, series, value, timestampMs, line: sc.lineNo });
    this.current = f;
    this.lastName = name;
  }

  private timestamp(series: string): number {
    const sc: Scanner = this.scan;
    const token = sc.token();
    if (this.openMetrics) {
      const seconds = parseNumber(token);
      if (seconds === undefined || !Number.isFinite(seconds)) sc.fail(`invalid timestamp ${quote(token)} for ${series} (seconds)`);
      return seconds * 1000;
    }
    let k = token.charCodeAt(0) === MINUS ? 1 : 0;
    if (k === token.length) sc.fail(`invalid timestamp ${quote(token)} for ${series} (integer milliseconds)`);
    for (; k < token.length; k++) {
      if (!isDigit(token.charCodeAt(k))) sc.fail(`invalid timestamp ${quote(token)} for ${series} (integer milliseconds)`);
    }
    const ms = Number(token);
    if (!Number.isSafeInteger(ms)) sc.fail(`timestamp ${quote(token)} of ${series} is out of range`);
    return ms;
  }

  /** OpenMetrics ` # {labels} value [timestamp]` after a sample: checked, then dropped. */
  private exemplar(series: string): void {
    const sc: Scanner = this.scan;
    sc.i++; // #
    sc.skipBlanks();
    if (sc.peek() !== LBRACE) sc.fail(`expected an exemplar label set after "#" on ${series}`);
    sc.labels();
    sc.skipBlanks();
    const value = sc.token();
    if (parseNumber(value) === undefined) sc.fail(`invalid exemplar value ${quote(value)} on ${series}`);
    sc.skipBlanks();
    if (!sc.atEnd()) {
      const ts = sc.token();
      if (parseNumber(ts) === undefined) sc.fail(`invalid exemplar timestamp ${quote(ts)} on ${series}`);
      sc.skipBlanks();
      if (!sc.atEnd()) sc.fail(`unexpected ${sc.excerpt()} after the exemplar on ${series}`);
    }
  }

  private bucket(f: Builder, name: string, labels: Labels): void {
    const sc: Scanner = this.scan;
    const at = labels.findIndex((l) => l[0] === 'le');
    if (at === -1) sc.fail(`histogram bucket ${short(formatSeriesName(name, labels))} has no "le" label`);
    const le = labels[at]![1];
    const bound = parseNumber(le);
    if (bound === undefined || Number.isNaN(bound)) sc.fail(`invalid bucket bound le=${quote(le)} on ${name}`);
    // A label set's buckets come one after another: reuse its entry rather than format its key again.
    let set = this.lastBuckets;
    if (set?.family !== f || !sameLabelsExcept(set.labels, labels, at)) {
      const key = formatSeriesName(f.name, labels.filter((_, k) => k !== at));
      f.bucketSets ??= new Map();
      set = f.bucketSets.get(key);
      if (!set) f.bucketSets.set(key, (set = { family: f, key, labels, line: sc.lineNo, bounds: new Set() }));
      this.lastBuckets = set;
    }
    if (set.bounds.has(bound)) sc.fail(`duplicate bucket le="${le}" for ${short(set.key)}`);
    set.bounds.add(bound);
  }

  private quantile(f: Builder, name: string, labels: Labels): void {
    const sc: Scanner = this.scan;
    const q = labels.find((l) => l[0] === 'quantile');
    if (!q) sc.fail(`summary sample ${short(formatSeriesName(name, labels))} has no "quantile" label`);
    const value = parseNumber(q[1]);
    if (value === undefined || !(value >= 0 && value <= 1)) sc.fail(`invalid quantile=${quote(q[1])} on ${name} (expected 0 to 1)`);
    f.quantiles ??= new Set();
    const key = `${formatSeriesName(name, labels.filter((l) => l[0] !== 'quantile'))} ${value}`;
    if (f.quantiles.has(key)) sc.fail(`duplicate quantile="${q[1]}" for ${name}`);
    f.quantiles.add(key);
  }
}
