/**
 * Worker thread: parses Prometheus text and converts it, keeping one
 * converter (the previous scrape's counters) per source. Parsing a large body
 * takes hundreds of milliseconds; here it never delays a tick, a socket
 * delivery or an HTTP answer of the server.
 */
import { parentPort } from 'node:worker_threads';
import { createConverter, type Converter } from './convert.ts';
import { ExpositionError, parseExposition } from './exposition.ts';
import type { ConvertReply, ConvertRequest } from './exposition-pool.ts';

const converters = new Map<string, { converter: Converter; maxSeries: number }>();

function handle(req: ConvertRequest): ConvertReply {
  if (req.op === 'forget') {
    converters.delete(req.key);
    return { id: req.id, ok: true, values: {}, series: [], skipped: 0 };
  }
  let entry = converters.get(req.key);
  if (!entry || entry.maxSeries !== req.maxSeries) {
    entry = { converter: createConverter({ maxSeries: req.maxSeries }), maxSeries: req.maxSeries };
    converters.set(req.key, entry);
  }
  let skipped = 0;
  try {
    const families = parseExposition(req.text, {
      maxLines: req.maxLines,
      ...(req.lenient ? { onNonFiniteGauge: () => void skipped++ } : {}),
    });
    const { values, series } = entry.converter.convert(families, req.tsMs);
    return { id: req.id, ok: true, values: { ...values }, series, skipped };
  } catch (err) {
    const line = err instanceof ExpositionError ? err.line : 0;
    return { id: req.id, ok: false, message: err instanceof Error ? err.message : String(err), line };
  }
}

parentPort!.on('message', (req: ConvertRequest) => parentPort!.postMessage(handle(req)));
