/**
 * Listening and graceful shutdown. build (createApp) is separate from listen,
 * so tests drive the app through app.callback() without a socket.
 */
import { createServer } from "node:http";
import type { Server } from "node:http";
import type Koa from "koa";
import type { Logger } from "./logger.ts";
import { exit, onShutdownSignal } from "./runtime.ts";

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
  const server = createServer(app.callback());
  server.keepAliveTimeout = 65_000;
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
