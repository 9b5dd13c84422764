/**
 * The CloudEvents 1.0 envelope Dapr delivers to subscribers, and how to read
 * one from a request body.
 */

export interface CloudEvent<T = unknown> {
  id: string;
  type: string;
  source: string;
  specversion: string;
  data: T;
  topic?: string;
  pubsubname?: string;
  time?: string;
  traceparent?: string;
  /** Dapr's copy of the traceparent (the only one the official daprd's outbox sets). */
  traceid?: string;
  tracestate?: string;
  datacontenttype?: string;
}

import { PoisonEventError } from "../failures.ts";

/** Why a delivery cannot be read as a CloudEvent; such a delivery is dropped. */
export class MalformedEventError extends PoisonEventError {
  constructor(message: string) {
    super(message);
    this.name = "MalformedEventError";
  }
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Reads the envelope, with `data` parsed when it arrived as a JSON string. */
export function parseCloudEvent(body: unknown): CloudEvent {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new MalformedEventError("the delivery is not a JSON object");
  }
  const raw = body as Record<string, unknown>;
  const id = text(raw.id);
  const type = text(raw.type);
  const source = text(raw.source);
  if (!id || !type || !source) {
    throw new MalformedEventError(`the delivery lacks ${[!id && "id", !type && "type", !source && "source"].filter(Boolean).join(", ")}`);
  }
  let data = raw.data;
  if (data === undefined && typeof raw.data_base64 === "string") {
    data = new TextDecoder().decode(Uint8Array.from(atob(raw.data_base64), (c) => c.charCodeAt(0)));
  }
  if (typeof data === "string" && /json/i.test(String(raw.datacontenttype ?? "application/json"))) {
    try {
      data = JSON.parse(data);
    } catch {
      throw new MalformedEventError("data is not valid JSON");
    }
  }
  return {
    ...(raw as object),
    id,
    type,
    source,
    specversion: text(raw.specversion) ?? "1.0",
    data,
  } as CloudEvent;
}
