// What the kernel says about processes (Linux /proc): who belongs to a process group,
// whose child a process is, how much CPU it used. For tests that must see that gate left
// no process behind, or that gate was busy when it was signalled.

import { readdirSync, readFileSync } from 'node:fs';

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  /** User + system CPU time, in clock ticks. */
  cpuTicks: number;
}

/** /proc/<pid>/stat; undefined when the process is gone. The name field may hold spaces and parentheses. */
function stat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0], ppid: Number(fields[1]), pgrp: Number(fields[2]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

function all(): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    throw new Error('this test reads /proc (Linux) to see processes, which is missing here');
  }
  return entries.filter((e) => /^\d+$/.test(e)).flatMap((e) => stat(Number(e)) ?? []);
}

/** Processes of the group that are still running (an exited member not yet reaped, a zombie, is not). */
export function liveGroupMembers(group: number): number[] {
  return all()
    .filter((p) => p.pgrp === group && p.state !== 'Z')
    .map((p) => p.pid);
}

export function childrenOf(pid: number): number[] {
  return all()
    .filter((p) => p.ppid === pid)
    .map((p) => p.pid);
}

/** CPU seconds the process has used (assuming the usual 100 ticks a second), 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  return (stat(pid)?.cpuTicks ?? 0) / 100;
}

/** Waits, checking every 20 ms, until `condition` holds; fails naming `what` after `limitMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} after ${limitMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether the process exists and has not exited (a zombie has). */
export function isRunning(pid: number): boolean {
  const p = stat(pid);
  return p !== undefined && p.state !== 'Z';
}
