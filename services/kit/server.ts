/**
 * Listening and graceful shutdown. build (createApp) is separate from listen,
 * so tests drive the app through app.callback() without a socket.
 */
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import type Koa from "koa";
import type { Logger } from "./logger.ts";
import { exit, onShutdownSignal } from "./runtime.ts";
import { HttpProblem, KitProblems } from "./http/problems.ts";

/**
 * How much of a request the server reads, and for how long: a client that
 * sends more header bytes gets 431, one that takes longer for its headers
 * or its whole request gets 408 (the body's own limit is the app's, 413).
 */
export const REQUEST_LIMITS = { maxHeaderBytes: 16 * 1024, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 } as const;

/**
 * The answer to a request the HTTP parser refused before the app saw it
 * (oversized headers, a timeout, bytes that are not HTTP): problem+json like
 * every other answer, then the connection closes.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const kind =
    err.code === "HPE_HEADER_OVERFLOW" ? KitProblems.headersTooLarge
    : err.code === "ERR_HTTP_REQUEST_TIMEOUT" || err.code === "ERR_HTTP_HEADERS_TIMEOUT" ? KitProblems.requestTimeout
    : KitProblems.badRequest;
  const body = JSON.stringify(new HttpProblem(kind).toDocument());
  socket.end(
    `HTTP/1.1 ${kind.status} ${kind.title}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${new TextEncoder().encode(body).length}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export interface ServeOptions {
  host: string;
  port: number;
  logger: Logger;
  shutdownTimeoutMs: number;
  /** Runs after the server stopped taking requests (close clients, flush). */
  onShutdown?: () => Promise<void>;
}

export interface RunningServer {
  server: Server;
  /** Stops accepting, waits for requests in flight (bounded), then runs onShutdown. */
  close(): Promise<void>;
}

/** Starts the HTTP server; SIGINT/SIGTERM close it gracefully and end the process. */
export async function serve(app: Koa, options: ServeOptions): Promise<RunningServer> {
  const server = createServer(
    { maxHeaderSize: REQUEST_LIMITS.maxHeaderBytes, headersTimeout: REQUEST_LIMITS.headersTimeoutMs, requestTimeout: REQUEST_LIMITS.requestTimeoutMs },
    app.callback(),
  );
  server.keepAliveTimeout = 65_000;
  server.on("clientError", answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  options.logger.info({ host: options.host, port: options.port }, "listening");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections?.();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          options.logger.warn("shutdown timeout: closing connections still open");
          server.closeAllConnections?.();
          resolve();
        }, options.shutdownTimeoutMs);
      });
      await Promise.race([stopped, timeout]);
      clearTimeout(timer);
      await options.onShutdown?.();
    })());

  onShutdownSignal((signal) => {
    options.logger.info({ signal }, "shutting down");
    close().then(
      () => exit(0),
      (err) => {
        options.logger.error({ err }, "shutdown failed");
        exit(1);
      },
    );
  });
  return { server, close };
}
