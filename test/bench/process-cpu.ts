import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time of processes, for benchmarks that split one workload over several processes: the bench process
 * itself (all its threads, so a worker thread counts) with `process.cpuUsage()`, others (the emulators)
 * from `/proc/<pid>/stat`. CPU per event is far steadier than events/s on a busy machine.
 */
const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) a process has used so far, in microseconds, from /proc/<pid>/stat. */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces, so count fields from the closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

/** CPU time of this process (every thread), in microseconds. */
export function ownCpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * The whole machine's busy and idle time so far (every CPU, from /proc/stat), in microseconds: busy counts
 * what no process's own figure shows, such as the kernel's softirq work for loopback networking.
 */
export function machineCpuMicros(): { busy: number; idle: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const toMicros = (ticks: number) => (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  return {
    busy: toMicros(user! + nice! + system! + irq! + softirq! + steal!),
    idle: toMicros(idle! + iowait!),
  };
}

/**
 * CPU used by this process and by each of `pids` between `start()` and `stop()`, in microseconds, and the
 * machine's busy share over the same time (0..1 of all its cores).
 */
export function cpuMeter(pids: readonly number[]): { stop(): { own: number; others: number[]; machineBusy: number } } {
  const own0 = ownCpuMicros();
  const others0 = pids.map(processCpuMicros);
  const machine0 = machineCpuMicros();
  return {
    stop: () => {
      const machine = machineCpuMicros();
      const busy = machine.busy - machine0.busy;
      const idle = machine.idle - machine0.idle;
      return {
        own: ownCpuMicros() - own0,
        others: pids.map((pid, i) => processCpuMicros(pid) - others0[i]!),
        machineBusy: busy + idle > 0 ? busy / (busy + idle) : 0,
      };
    },
  };
}
