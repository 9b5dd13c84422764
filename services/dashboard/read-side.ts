/**
 * The read model as the app uses it: connected in the background (the
 * connection string comes from the secret store, through a sidecar that may
 * not be up yet), and again after a failed attempt, every few seconds. Until
 * then every use fails with DependencyUnavailableError, so that events are
 * delivered again later, requests are answered 503 and /readyz says why.
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
}

export class ReadSide implements Projections {
  #model: ReadModel | undefined;
  #why = "not connected yet";
  #stopped = false;
  readonly #connected: Promise<void>;

  constructor(open: () => Promise<ReadModel>, logger: Logger, retryMs = 2000) {
    this.#connected = (async () => {
      for (let attempt = 1; !this.#stopped; attempt++) {
        try {
          this.#model = await open();
          logger.info({ attempt }, "connected to MongoDB");
          return;
        } catch (err) {
          this.#why = (err as Error).message;
          if (attempt === 1 || attempt % 10 === 0) logger.warn({ err, attempt }, "cannot connect to MongoDB yet; trying again");
          await new Promise((resolve) => setTimeout(resolve, retryMs));
        }
      }
    })();
  }

  #use(): ReadModel {
    if (!this.#model) throw new DependencyUnavailableError(`MongoDB: ${this.#why}`);
    return this.#model;
  }

  apply(event: ProjectedEvent) {
    return this.#use().apply(event);
  }

  summary(now?: Date) {
    return this.#use().summary(now);
  }

  searchOrders(search: OrderSearch) {
    return this.#use().searchOrders(search);
  }

  ping() {
    return this.#use().ping();
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await this.#connected;
    await this.#model?.close();
  }
}
