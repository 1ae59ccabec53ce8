/**
 * Event-loop delay during a live reload of the shipped rules, on the main thread (`loadForServing`)
 * and on the worker thread (engine/off-thread.ts): the longest gap between ticks of a 2 ms
 * interval while one reload runs, and the reload's wall time, over several reloads.
 *   npm run bench:reload
 */
import path from 'node:path';
import { createReloader } from '../src/http/reload';
import type { RulesetLoad } from '../src/http/reload';
import { RulesetStore } from '../src/http/ruleset-store';
import { createLogger } from '../src/lib/logger';
import { projectRoot } from '../src/lib/paths';
import { loadForServing, loadRuleset } from '../src/engine/ruleset';
import { createOffThreadLoader } from '../src/engine/off-thread';

const RULES = path.join(projectRoot(), 'rules');
const RUNS = 7;

async function measure(load: RulesetLoad): Promise<{ gaps: number[]; walls: number[] }> {
  const store = new RulesetStore();
  const first = loadRuleset(RULES);
  if (!first.ok) throw new Error('the shipped rules do not load');
  store.set(first.ruleset);
  const reload = createReloader(store, RULES, createLogger('error'), () => undefined, { load });
  await reload(); // warm: worker started, schemas compiled
  const gaps: number[] = [];
  const walls: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let last = performance.now();
    let gap = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      gap = Math.max(gap, now - last);
      last = now;
    }, 2);
    const started = performance.now();
    await reload();
    walls.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 30));
    clearInterval(tick);
    gaps.push(gap);
  }
  return { gaps, walls };
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (xs: number[]): string =>
  `median ${median(xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

async function main(): Promise<void> {
  const main = await measure((dir, options) => loadForServing(dir, () => new Date(), options));
  const loader = createOffThreadLoader();
  const worker = await measure((dir, options) => loader.load(dir, options));
  await loader.close();
  process.stdout.write(
    `| reload of the shipped rules | longest event-loop stall | reload wall time |\n` +
      `| --- | ---: | ---: |\n` +
      `| main thread (before) | ${fmt(main.gaps)} | ${fmt(main.walls)} |\n` +
      `| worker thread (now) | ${fmt(worker.gaps)} | ${fmt(worker.walls)} |\n`,
  );
}

void main();
