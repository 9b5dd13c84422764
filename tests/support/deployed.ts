/**
 * What the attachments to a deployed platform (kubernetes.ts, compose.ts)
 * share: the process-level hooks the local suites use (killing a server, a
 * broker's backlog...) are not there, since the suite talks to the platform,
 * not to its processes; and the email binding logs in with the development
 * file's credentials.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningSystem } from "./system.ts";

type ProcessHooks = "servers" | "pids" | "appPid" | "sidecarPid" | "backlog" | "dropUnread" | "killServer" | "startServer" | "killSidecar" | "crash" | "secrets";

/** The hooks of RunningSystem a deployed platform does not offer, each failing with what and where. */
export function processHooksOf(where: string, root: string): Pick<RunningSystem, ProcessHooks> {
  const unavailable = (what: string): never => {
    throw new Error(`${what} is not available on ${where} (the suite there talks to the platform, not to its processes)`);
  };
  const devFile = JSON.parse(readFileSync(join(root, "components/secrets.dev.json"), "utf8")) as Record<string, string>;
  return {
    secrets: { SMTP_USER: devFile.SMTP_USER!, SMTP_PASSWORD: devFile.SMTP_PASSWORD! },
    servers: {},
    pids: () => [],
    appPid: () => undefined,
    sidecarPid: () => undefined,
    backlog: () => unavailable("a broker's backlog"),
    dropUnread: () => unavailable("dropping a broker's events"),
    killServer: async () => unavailable("killing a server"),
    startServer: async () => unavailable("starting a server"),
    killSidecar: async () => unavailable("killing a sidecar"),
    crash: async () => unavailable("a crash"),
  };
}
