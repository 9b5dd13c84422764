import { expect } from "chai";
import { toDaprError } from "../../../services/kit/dapr/adapters.ts";
import { DaprError, DaprUnavailableError, EtagInvalidError, EtagMismatchError } from "../../../services/kit/ports/errors.ts";

/** What the SDK's HTTP client throws for a non-2xx answer of the sidecar. */
function sdkError(status: number, body: unknown): Error {
  return new Error(JSON.stringify({ error: "x", error_msg: typeof body === "string" ? body : JSON.stringify(body), status }));
}

describe("Dapr adapter errors", () => {
  it("turns a 409 into EtagMismatchError carrying the key", () => {
    const err = toDaprError(sdkError(409, { errorCode: "ERR_STATE_SAVE", message: "possible etag mismatch" }), "POST /state/s", "k1");
    expect(err).to.be.instanceOf(EtagMismatchError);
    expect((err as EtagMismatchError).key).to.equal("k1");
  });

  it("turns a malformed ETag (400) into EtagInvalidError", () => {
    const err = toDaprError(sdkError(400, { errorCode: "ERR_STATE_SAVE", message: "invalid etag value" }), "POST /state/s");
    expect(err).to.be.instanceOf(EtagInvalidError);
  });

  it("keeps Dapr's status and error code for other failures", () => {
    const err = toDaprError(sdkError(500, { errorCode: "ERR_PUBSUB_PUBLISH_MESSAGE", message: "broker down" }), "POST /publish");
    expect(err).to.be.instanceOf(DaprError).and.not.instanceOf(EtagMismatchError);
    expect(err).to.include({ status: 500, code: "ERR_PUBSUB_PUBLISH_MESSAGE" });
    expect(err.message).to.contain("broker down");
  });

  it("reports an unreachable sidecar as DaprUnavailableError", () => {
    const err = toDaprError(new Error("request to http://127.0.0.1:3500 failed, reason: connect ECONNREFUSED"), "GET /state");
    expect(err).to.be.instanceOf(DaprUnavailableError);
  });
});
