/**
 * The processes of the system under test, found without touching the
 * harness: the harness spawns its servers, placement and `dapr run` as
 * direct children of this process; the CLI's descendants are the daprd
 * sidecars (--app-id) and the apps (services/<app>/main.js or .ts). Memory
 * is VmRSS from /proc/<pid>/status, summed over each process and its
 * descendants. Nothing here signals a process.
 */
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";

interface Proc {
  pid: number;
  ppid: number;
  argv: string[];
}

function readProcs(): Map<number, Proc> {
  const procs = new Map<number, Proc>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name is in parentheses and may hold spaces: the fields after the last ")" are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean);
      procs.set(Number(entry), { pid: Number(entry), ppid, argv });
    } catch {
      // gone meanwhile
    }
  }
  return procs;
}

function descendants(procs: Map<number, Proc>, root: number): number[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    for (const proc of procs.values()) if (proc.ppid === out[i]) out.push(proc.pid);
  }
  return out;
}

export interface Tracked {
  /** "order", "order daprd", "redis", "placement", "dapr CLI". */
  name: string;
  kind: "app" | "sidecar" | "server" | "control";
  /** The process itself first, then its descendants. */
  pids: number[];
  appId?: string;
}

/** The system's processes: the children this process started, and the CLI's apps and sidecars. */
export function discoverSystem(appIds: readonly string[]): Tracked[] {
  const procs = readProcs();
  const tracked: Tracked[] = [];
  const children = [...procs.values()].filter((p) => p.ppid === process.pid);
  const cli = children.find((p) => p.argv.some((a) => /(^|\/)dapr$/.test(a)) && p.argv.includes("run") && p.argv.includes("-f"));
  for (const child of children) {
    if (child === cli) continue;
    const exe = child.argv[0] ?? "";
    if (exe.endsWith("/placement") || exe === "placement") tracked.push({ name: "placement", kind: "control", pids: descendants(procs, child.pid) });
    else if (child.argv.some((a) => a.endsWith("server.sh"))) {
      const server = child.argv[child.argv.findIndex((a) => a.endsWith("server.sh")) + 1] ?? "server";
      tracked.push({ name: server, kind: "server", pids: descendants(procs, child.pid) });
    } else {
      // A server script that exec'd its server (redis-server rewrites its title: "redis-server 127.0.0.1:6679").
      const name = (exe.split(" ")[0] ?? "server").split("/").pop() ?? "server";
      tracked.push({ name, kind: "server", pids: descendants(procs, child.pid) });
    }
  }
  if (!cli) return tracked;
  const under = descendants(procs, cli.pid).slice(1).map((pid) => procs.get(pid)!).filter(Boolean);
  const claimed = new Set<number>();
  for (const appId of appIds) {
    const daprd = under.find((p) => (p.argv[0] ?? "").endsWith("daprd") && p.argv[p.argv.indexOf("--app-id") + 1] === appId);
    if (daprd) {
      const pids = descendants(procs, daprd.pid);
      pids.forEach((pid) => claimed.add(pid));
      tracked.push({ name: `${appId} daprd`, kind: "sidecar", pids, appId });
    }
    const pattern = new RegExp(`services/${appId}/main\\.(js|ts)$`);
    const app = under.find((p) => !claimed.has(p.pid) && p.argv.some((a) => pattern.test(a)));
    if (app) {
      const pids = descendants(procs, app.pid);
      pids.forEach((pid) => claimed.add(pid));
      tracked.push({ name: appId, kind: "app", pids, appId });
    }
  }
  // The CLI itself (it stays up, relaying the apps' output).
  tracked.push({ name: "dapr CLI", kind: "control", pids: [cli.pid] });
  return tracked;
}

/** VmRSS of one process in KiB, or undefined once it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return undefined;
  }
}

export function rssOf(entry: Tracked): number | undefined {
  const values = entry.pids.map(rssKiB).filter((v): v is number => v !== undefined);
  return values.length > 0 ? values.reduce((s, v) => s + v, 0) : undefined;
}

const CLOCK_TICKS = (() => {
  const run = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const ticks = Number(run.stdout?.trim());
  return run.status === 0 && ticks > 0 ? ticks : 100;
})();

/** CPU time (user + system) the tracked processes used so far, in ms. */
export function cpuMsOf(tracked: Tracked[]): number {
  let ticks = 0;
  for (const pid of tracked.flatMap((t) => t.pids)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime and stime: fields 14 and 15 of stat, 12 and 13 after the command name.
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

/** The machine's busy and total CPU time so far (all cores, in ticks), from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((s, v) => s + v, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Idle snapshots and the peak RSS of each tracked process while load runs. */
export class RssSampler {
  readonly idle = new Map<string, number>();
  readonly peak = new Map<string, number>();
  readonly tracked: Tracked[];
  #timer: NodeJS.Timeout | undefined;
  #active = 0;

  constructor(tracked: Tracked[]) {
    this.tracked = tracked;
  }

  snapshotIdle(): void {
    for (const entry of this.tracked) {
      const rss = rssOf(entry);
      if (rss !== undefined) this.idle.set(entry.name, rss);
    }
  }

  #sample(): void {
    for (const entry of this.tracked) {
      const rss = rssOf(entry);
      if (rss !== undefined && rss > (this.peak.get(entry.name) ?? 0)) this.peak.set(entry.name, rss);
    }
  }

  /** Samples every 500 ms while `work` runs (nested calls share one timer). */
  async during<T>(work: () => Promise<T>): Promise<T> {
    this.#active += 1;
    if (this.#active === 1) {
      this.#sample();
      this.#timer = setInterval(() => this.#sample(), 500);
    }
    try {
      return await work();
    } finally {
      this.#sample();
      this.#active -= 1;
      if (this.#active === 0) clearInterval(this.#timer);
    }
  }
}

/** Whether an npm test run (mocha) is running on this machine: it shares the 2 cores. */
export function otherLoad(): string | undefined {
  const mocha = [...readProcs().values()].filter((p) => p.pid !== process.pid && p.argv.some((a) => /mocha/.test(a)));
  return mocha.length > 0 ? `mocha (npm test) running, pid ${mocha.map((p) => p.pid).join(", ")}` : undefined;
}

/** A sidecar's log file and its app's (`<app>_daprd_<ts>.log`, `<app>_app_<ts>.log` under the app's .dapr/logs). */
export function logFiles(root: string, appId: string, daprPid: number | undefined, daprPort: number, since: number): { daprd?: string; app?: string } {
  let daprd: string | undefined;
  if (daprPid !== undefined) {
    try {
      const target = readlinkSync(`/proc/${daprPid}/fd/1`);
      if (target.endsWith(".log")) daprd = target;
    } catch {
      // not ours to read, or gone
    }
  }
  const dir = join(root, "services", appId, ".dapr", "logs");
  if (!daprd && existsSync(dir)) {
    // The CLI names files by its start time; the first line names the sidecar's port.
    for (const file of readdirSync(dir).filter((f) => f.startsWith(`${appId}_daprd_`)).sort().reverse()) {
      const path = join(dir, file);
      if (statSync(path).mtimeMs < since) continue;
      const head = readFileSync(path, "utf8").slice(0, 300);
      if (head.includes(`HTTP Port: ${daprPort}.`) || head.includes(`HTTP Port: ${daprPort}\n`)) {
        daprd = path;
        break;
      }
    }
  }
  const app = daprd?.replace(/_daprd_(\d+)\.log$/, "_app_$1.log");
  return { ...(daprd ? { daprd } : {}), ...(app && existsSync(app) ? { app } : {}) };
}

export interface LogTally {
  errors: number;
  warnings: number;
  breakerOpened: number;
  /** Error and warning messages (numbers masked) by how often they came. */
  messages: Map<string, number>;
}

function emptyTally(): LogTally {
  return { errors: 0, warnings: 0, breakerOpened: 0, messages: new Map() };
}

/**
 * Counts error and warning lines (daprd's logfmt or the apps' pino JSON) and
 * circuit breakers opening, apart for the lines before `split` (start-up) and
 * from it on.
 */
export async function tallyLog(path: string, split: number): Promise<{ startup: LogTally; running: LogTally }> {
  const startup = emptyTally();
  const running = emptyTally();
  let tally = startup;
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  for await (const line of lines) {
    let level: "error" | "warn" | undefined;
    let message: string;
    let at: number | undefined;
    // The CLI prefixes each app line ("== APP - order == {…}"); pino's level is a name or a number.
    const brace = line.indexOf("{");
    if (brace >= 0 && brace < 40 && !line.startsWith("time=")) {
      try {
        const entry = JSON.parse(line.slice(brace)) as { level?: number | string; msg?: string; time?: number | string };
        const lv = entry.level;
        if (lv === "error" || lv === "fatal" || (typeof lv === "number" && lv >= 50)) level = "error";
        else if (lv === "warn" || lv === 40) level = "warn";
        message = entry.msg ?? "";
        at = typeof entry.time === "number" ? entry.time : entry.time ? Date.parse(entry.time) : undefined;
      } catch {
        continue;
      }
    } else {
      const lv = /\blevel=(\w+)/.exec(line)?.[1];
      if (lv === "error" || lv === "fatal") level = "error";
      else if (lv === "warning" || lv === "warn") level = "warn";
      message = /\bmsg="((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? "";
      const time = /^time="([^"]+)"/.exec(line)?.[1];
      at = time ? Date.parse(time) : undefined;
    }
    // Lines without a time (the CLI's own) belong to the phase of the line before.
    if (at !== undefined) tally = at < split ? startup : running;
    if (/Circuit breaker .* changed state from \w+ to open/.test(message)) tally.breakerOpened += 1;
    if (level === undefined) continue;
    if (level === "error") tally.errors += 1;
    else tally.warnings += 1;
    const key = `${level}: ${message.replace(/\\"/g, '"').replace(/\d+(\.\d+)?/g, "N").slice(0, 140)}`;
    tally.messages.set(key, (tally.messages.get(key) ?? 0) + 1);
  }
  return { startup, running };
}
