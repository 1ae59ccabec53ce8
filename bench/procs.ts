/** Child processes for the benches: start a Node script on a free port, read its CPU, stop it. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
    server.on('error', reject);
  });
}

export function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', () => {
      resolve(0);
    });
  });
}

/** POSTs a JSON body; resolves with the status and the answer's text. */
export function post(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', () => {
      resolve({ status: 0, text: '' });
    });
    req.end(body);
  });
}

export interface Started {
  readonly child: ChildProcess;
  readonly base: string;
  /** Milliseconds from spawn to the first 200 from the ready URL. */
  readonly readyMs: number;
  /** CPU time the process (and its children) had used by then (user + system), ms. */
  readonly readyCpuMs: number;
}

export async function startNode(
  script: string,
  env: Record<string, string>,
  readyPath: string,
  nodeArgs: readonly string[] = [],
): Promise<Started> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited: ${stderr.slice(0, 2000)}`);
    if ((await get(`${base}${readyPath}`)) === 200) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { child, base, readyMs, readyCpuMs: treeCpuUs(child.pid ?? 0) / 1000 };
}

/** Stops a child with SIGTERM (it drains) or SIGKILL, and waits for it to exit. */
export async function stop(s: Started, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    s.child.once('exit', () => {
      resolve();
    });
    s.child.kill(signal);
  });
}

/** utime + stime of one process, in µs, from /proc (Linux, 100 ticks a second); 0 once gone. */
export function cpuUs(pid: number): number {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / 100;
}

/** The pids of a process's living children (all threads' children). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text !== '') out.push(...text.split(' ').map(Number));
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** CPU of a process and its living descendants (a cluster primary and its workers), µs. */
export function treeCpuUs(pid: number): number {
  let total = cpuUs(pid);
  for (const c of childPids(pid)) total += treeCpuUs(c);
  return total;
}
