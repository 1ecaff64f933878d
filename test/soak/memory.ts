/**
 * The soak's memory watch: `process.memoryUsage()` every second while the load runs, the live heap
 * after every major GC (from `perf_hooks` GC entries, so without forcing a collection), and the
 * RSS band check.
 *
 * The band: once warmed up, RSS may rise at most `bandMiB` above what it was at the end of the
 * warm-up, for the rest of the load. RSS (not the heap) because it is what an orchestrator kills
 * a container for; the heap figures beside it say where a rise came from. A flat live heap with a
 * rising RSS is V8 letting garbage pile up before it collects (see README, "Memory"), a rising
 * live heap is retention.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from "node:perf_hooks";
import v8 from "node:v8";

export interface MemorySample {
  /** Seconds since the load started. */
  t: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface Band {
  warmupSeconds: number;
  bandMiB: number;
  /** RSS at the end of the warm-up, and the least and most after it, in MiB. */
  atWarmup: number;
  min: number;
  max: number;
  end: number;
  /** max − atWarmup. */
  rise: number;
  /** The live heap (heapUsed right after a major GC) in MiB: the first after the warm-up and the last. */
  liveAfterWarmup: number | undefined;
  liveAtEnd: number | undefined;
  majorGcs: number;
  held: boolean;
}

const MiB = 1024 * 1024;

type GcEntry = PerformanceEntry & { detail?: { kind?: number } };

export class MemoryWatch {
  readonly samples: MemorySample[] = [];
  /** heapUsed right after each major (mark-compact) GC, with its time. */
  readonly live: { t: number; heapUsed: number }[] = [];
  #started = 0;
  #timer: NodeJS.Timeout | undefined;
  #observer: PerformanceObserver | undefined;

  start(): void {
    this.#started = performance.now();
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), 1000);
    this.#observer = new PerformanceObserver((list) => {
      // A GC entry's detail.kind says which collector ran (Node's types leave `detail` out).
      const major = list
        .getEntries()
        .some((entry) => (entry as GcEntry).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
      if (major) this.live.push({ t: this.#now(), heapUsed: process.memoryUsage().heapUsed });
    });
    this.#observer.observe({ entryTypes: ["gc"] });
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#observer?.disconnect();
    this.#sample();
  }

  band(warmupSeconds: number, bandMiB: number): Band {
    const atWarmup = this.samples.findLast((s) => s.t <= warmupSeconds) ?? this.samples[0]!;
    const after = this.samples.filter((s) => s.t > warmupSeconds);
    const rss = after.map((s) => s.rss / MiB);
    const max = Math.max(...rss);
    const liveAfter = this.live.filter((l) => l.t > warmupSeconds);
    return {
      warmupSeconds,
      bandMiB,
      atWarmup: atWarmup.rss / MiB,
      min: Math.min(...rss),
      max,
      end: rss.at(-1)!,
      rise: max - atWarmup.rss / MiB,
      liveAfterWarmup: liveAfter[0] && liveAfter[0].heapUsed / MiB,
      liveAtEnd: liveAfter.at(-1) && liveAfter.at(-1)!.heapUsed / MiB,
      majorGcs: this.live.length,
      held: max - atWarmup.rss / MiB <= bandMiB,
    };
  }

  /** One line per `every` seconds: RSS, heap total/used, external, array buffers (MiB). */
  timeline(every: number): string[] {
    const f = (bytes: number) => (bytes / MiB).toFixed(0).padStart(4);
    // The first sample of every `every` seconds, and the last (stop()'s) unless it follows one shown.
    const shown = this.samples.filter(
      (s, i) => i === 0 || Math.floor(s.t / every) > Math.floor(this.samples[i - 1]!.t / every),
    );
    const last = this.samples.at(-1)!;
    if (shown.at(-1) !== last && last.t - shown.at(-1)!.t >= 1) shown.push(last);
    return shown.map(
      (s) =>
        `  ${s.t.toFixed(0).padStart(4)} s  rss ${f(s.rss)}  heapTotal ${f(s.heapTotal)}  heapUsed ${f(s.heapUsed)}  external ${f(s.external)}  arrayBuffers ${f(s.arrayBuffers)}`,
    );
  }

  #now(): number {
    return (performance.now() - this.#started) / 1000;
  }

  #sample(): void {
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    this.samples.push({ t: this.#now(), rss, heapTotal, heapUsed, external, arrayBuffers });
  }
}

/** V8's old-space limit, and the growth factor V8 allows itself above the live heap under it. */
export function heapLimit(): { limitMiB: number; maxGrowingFactor: number } {
  const limitMiB = v8.getHeapStatistics().heap_size_limit / MiB;
  // V8 (heap-controller.cc, 64-bit): factor 4 from a 2 GiB limit up, 1.3 at 256 MiB and below,
  // linear between. The limit above counts the young generation too, so this is approximate.
  const factor = limitMiB >= 2048 ? 4 : 1.3 + (0.7 * (Math.max(limitMiB, 256) - 256)) / (2048 - 256);
  return { limitMiB, maxGrowingFactor: factor };
}
