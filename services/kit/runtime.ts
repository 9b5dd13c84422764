/**
 * The one place that knows which JavaScript runtime runs the service.
 * Everything else uses web-standard globals and `node:` builtins that both
 * Node.js and Deno provide.
 */
import process from "node:process";

export type RuntimeName = "node" | "deno";

/** Which runtime executes this process. */
export function runtimeName(): RuntimeName {
  return "Deno" in globalThis ? "deno" : "node";
}

/** The runtime's version string, for logs and /healthz. */
export function runtimeVersion(): string {
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  return deno ? deno.version.deno : process.versions.node;
}

/** The process environment as a plain record (read once, by loadConfig). */
export function processEnv(): Record<string, string | undefined> {
  return { ...process.env };
}

/** Calls `handler` once on SIGINT or SIGTERM. */
export function onShutdownSignal(handler: (signal: string) => void): void {
  let called = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (called) return;
      called = true;
      handler(signal);
    });
  }
}

/** Ends the process with the given exit code. */
export function exit(code: number): never {
  process.exit(code);
}
