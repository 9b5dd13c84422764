/**
 * Typed failures of calls to the Dapr sidecar. Adapters throw these; they
 * never hand back `{error}` objects for callers to forget to check.
 */

/** A call to the sidecar failed; `status` is Dapr's HTTP status, if any. */
export class DaprError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;
  constructor(message: string, options: { status?: number; code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "DaprError";
    this.status = options.status;
    this.code = options.code;
  }
}

/** The sidecar could not be reached (not started, or gone). */
export class DaprUnavailableError extends DaprError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "DaprUnavailableError";
  }
}

/** A call to or through the sidecar took longer than its caller allowed. */
export class DaprTimeoutError extends DaprError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "DaprTimeoutError";
  }
}

/**
 * A state write lost an optimistic-concurrency race: the ETag it carried is
 * stale, or a first-write insert found the key already there.
 */
export class EtagMismatchError extends DaprError {
  readonly key: string | undefined;
  constructor(message: string, key?: string, cause?: unknown) {
    super(message, { status: 409, code: "ERR_STATE_ETAG_MISMATCH", cause });
    this.name = "EtagMismatchError";
    this.key = key;
  }
}

/** Dapr refused a state write because its ETag is malformed. */
export class EtagInvalidError extends DaprError {
  constructor(message: string, cause?: unknown) {
    super(message, { status: 400, code: "ERR_STATE_ETAG_INVALID", cause });
    this.name = "EtagInvalidError";
  }
}
