import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { round, type Source } from '../source.ts';

export interface FsStats {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

/** Usage as `df` shows it: used ÷ (used + available to unprivileged users). */
export function diskFigures(s: FsStats) {
  const used = (s.blocks - s.bfree) * s.bsize;
  const avail = s.bavail * s.bsize;
  if (!(used + avail > 0)) throw new Error('filesystem reports no blocks');
  return {
    'disk.usage_percent': round((used / (used + avail)) * 100, 1),
    'disk.free_gb': round(avail / 1024 ** 3, 2),
  };
}

/** The root filesystem via statfs(2): a syscall, no `df` child process. */
export function createDiskSource(mountPath = path.parse(process.cwd()).root): Source<'disk.usage_percent' | 'disk.free_gb'> {
  return {
    id: 'disk',
    metrics: ['disk.usage_percent', 'disk.free_gb'],
    async collect() {
      return diskFigures(await statfs(mountPath));
    },
  };
}
