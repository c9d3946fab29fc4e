/** Memory and CPU of a process, from /proc (Linux), and of this process. */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ: clock ticks per second on Linux

/** kB fields of /proc/<pid>/status as bytes: VmHWM is the peak resident set size, VmRSS the current one. */
export function memoryOf(pid: number): { peakRssBytes: number; rssBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { peakRssBytes: kB('VmHWM'), rssBytes: kB('VmRSS') };
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (1-based) → indexes 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Samples this process's RSS every `everyMs` and keeps the peak (for an in-process worker). */
export function sampleOwnRss(everyMs = 100): { peakBytes(): number; stop(): void } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, everyMs);
  timer.unref();
  return { peakBytes: () => Math.max(peak, process.memoryUsage().rss), stop: () => clearInterval(timer) };
}

export const MiB = 1024 * 1024;
