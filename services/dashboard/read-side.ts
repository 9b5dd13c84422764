/**
 * The read model as the app uses it: connected in the background (the
 * connection string comes from the secret store, through a sidecar that may
 * not be up yet), and again after a failed attempt, every few seconds. Until
 * then every use fails with DependencyUnavailableError, so that events are
 * delivered again later, requests are answered 503 and /readyz says why.
 *
 * Once connected, a use that fails because the database cannot be reached is
 * a DependencyUnavailableError too. When they go on failing for longer than
 * `replaceAfterMs`, the connection is replaced by a new one: after MongoDB
 * (FerretDB here) was killed and started again, the driver's connection
 * could stay on "server selection" errors for minutes while a new
 * connection worked at once, and the read side fell behind for good.
 */
import { DependencyUnavailableError } from "../kit/failures.ts";
import type { Logger } from "../kit/logger.ts";
import type { ProjectedEvent } from "./projection.ts";
import type { OrderSearch, ReadModel, Summary } from "./store.ts";
import type { OrderView } from "./projection.ts";

/** What the app needs of the read model (ReadModel, or a fake in unit tests). */
export interface Projections {
  apply(event: ProjectedEvent): Promise<boolean>;
  summary(now?: Date): Promise<Summary>;
  searchOrders(search: OrderSearch): Promise<{ items: OrderView[]; total: number }>;
  ping(): Promise<void>;
  /** Drops every view and statistic (a rebuild's first step). */
  clear(): Promise<void>;
}

/** The driver's errors that say the database could not be reached (nothing was written). */
const UNREACHABLE = new Set(["MongoServerSelectionError", "MongoNetworkError", "MongoNetworkTimeoutError", "MongoPoolClearedError", "MongoTopologyClosedError", "PoolClearedError"]);

export function isUnreachable(err: unknown): boolean {
  return UNREACHABLE.has((err as { name?: string } | null)?.name ?? "");
}

export interface ReadSideOptions {
  /** Between connection attempts. */
  retryMs?: number;
  /** How long uses may fail as unreachable before the connection is replaced. */
  replaceAfterMs?: number;
  now?: () => number;
}

export class ReadSide implements Projections {
  #model: ReadModel | undefined;
  #why = "not connected yet";
  #stopped = false;
  /** Since when every use has failed as unreachable (none succeeded since). */
  #failingSince: number | undefined;
  #connecting: Promise<void>;
  /** A replacement connection is being opened (one at a time). */
  #replacing = false;
  readonly #open: () => Promise<ReadModel>;
  readonly #logger: Logger;
  readonly #retryMs: number;
  readonly #replaceAfterMs: number;
  readonly #now: () => number;

  constructor(open: () => Promise<ReadModel>, logger: Logger, options: ReadSideOptions = {}) {
    this.#open = open;
    this.#logger = logger;
    this.#retryMs = options.retryMs ?? 2000;
    this.#replaceAfterMs = options.replaceAfterMs ?? 15_000;
    this.#now = options.now ?? Date.now;
    this.#connecting = this.#connect();
  }

  /** Opens a connection, again and again until one works; then it is the one used. */
  async #connect(): Promise<void> {
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        const model = await this.#open();
        if (this.#stopped) {
          await model.close();
          return;
        }
        const previous = this.#model;
        this.#model = model;
        this.#failingSince = undefined;
        this.#logger.info({ attempt, replaced: previous !== undefined }, "connected to MongoDB");
        // Not awaited: a wedged connection may never finish closing.
        previous?.close().catch((err: unknown) => this.#logger.warn({ err }, "closing the replaced MongoDB connection failed"));
        return;
      } catch (err) {
        this.#why = (err as Error).message;
        if (attempt === 1 || attempt % 10 === 0) this.#logger.warn({ err, attempt }, "cannot connect to MongoDB yet; trying again");
        await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
      }
    }
  }

  /** Runs `use` on the model; an unreachable database becomes DependencyUnavailableError. */
  async #run<T>(use: (model: ReadModel) => Promise<T>): Promise<T> {
    const model = this.#model;
    if (!model) throw new DependencyUnavailableError(`MongoDB: ${this.#why}`);
    try {
      const result = await use(model);
      if (model === this.#model) this.#failingSince = undefined;
      return result;
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      this.#unreachable(model, err as Error);
      throw new DependencyUnavailableError(`MongoDB: ${(err as Error).message}`);
    }
  }

  #unreachable(model: ReadModel, err: Error): void {
    if (model !== this.#model) return; // the connection was replaced meanwhile
    this.#why = err.message;
    const now = this.#now();
    this.#failingSince ??= now;
    if (this.#replacing || now - this.#failingSince < this.#replaceAfterMs) return;
    this.#replacing = true;
    this.#logger.warn({ err, failingMs: now - this.#failingSince }, "MongoDB unreachable through this connection for a while; opening a new one");
    this.#connecting = this.#connect().finally(() => {
      this.#replacing = false;
    });
  }

  apply(event: ProjectedEvent) {
    return this.#run((model) => model.apply(event));
  }

  summary(now?: Date) {
    return this.#run((model) => model.summary(now));
  }

  searchOrders(search: OrderSearch) {
    return this.#run((model) => model.searchOrders(search));
  }

  ping() {
    return this.#run((model) => model.ping());
  }

  clear() {
    return this.#run((model) => model.clear());
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await this.#connecting;
    await this.#model?.close();
  }
}
