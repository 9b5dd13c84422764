/**
 * A small HTTP/1.1 client on node:http with one keep-alive agent, so that
 * latencies measure the system rather than connection set-up or a client
 * library's own queueing. Loopback only: every URL must name 127.0.0.1.
 */
import { Buffer } from "node:buffer";
import http from "node:http";
import { operatorHeaders } from "../../tests/support/credentials.ts";

const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, maxFreeSockets: 1024, scheduling: "lifo" });

export interface Reply {
  status: number;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Sends one request; rejects on a network error or after timeoutMs (with an error whose message is "timeout"). */
export function request(url: string, options: RequestOptions = {}): Promise<Reply> {
  const target = new URL(url);
  if (target.hostname !== "127.0.0.1") return Promise.reject(new Error(`loopback only, not ${target.hostname}`));
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  // The gateway takes the development operator's key; the apps, called straight, ignore it.
  const headers: Record<string, string> = { accept: "application/json", ...operatorHeaders(), ...options.headers };
  if (payload !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      { agent, host: "127.0.0.1", port: target.port, path: `${target.pathname}${target.search}`, method: options.method ?? "GET", headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    const signal = options.signal;
    if (signal) {
      const onAbort = () => req.destroy(new Error("aborted"));
      if (signal.aborted) onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      req.on("close", () => signal.removeEventListener("abort", onAbort));
    }
    req.end(payload);
  });
}

/** Sends a request and parses a JSON answer; rejects unless the status is `expected`. */
export async function json<T>(url: string, options: RequestOptions & { expected?: number } = {}): Promise<T> {
  const reply = await request(url, options);
  if (reply.status !== (options.expected ?? 200)) throw new Error(`${options.method ?? "GET"} ${url}: ${reply.status} ${reply.body.slice(0, 300)}`);
  return JSON.parse(reply.body) as T;
}

/** Closes idle keep-alive sockets (so the process can exit). */
export function closeConnections(): void {
  agent.destroy();
}
