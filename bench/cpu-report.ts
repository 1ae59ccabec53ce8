/**
 * Preloaded (`node --require`) into a child the bench times: on exit, writes the process's CPU
 * time (user + system, ms) to $BENCH_CPU_FILE, a figure that does not depend on machine load.
 */
import fs from 'node:fs';

const file = process.env.BENCH_CPU_FILE;
if (file !== undefined)
  process.on('exit', () => {
    const u = process.cpuUsage();
    fs.writeFileSync(file, String((u.user + u.system) / 1000));
  });
