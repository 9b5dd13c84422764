import { expect } from "chai";
import { continueTrace, formatTraceparent, traceHeaders, withTrace } from "../../../services/kit/trace-context.ts";

const PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("W3C trace context", () => {
  it("continues the caller's trace with a span of its own", () => {
    const ctx = continueTrace(PARENT, "vendor=1");
    expect(ctx.traceId).to.equal("0af7651916cd43dd8448eb211c80319c");
    expect(ctx.spanId).to.match(/^[0-9a-f]{16}$/).and.not.equal("b7ad6b7169203331");
    expect(ctx.traceState).to.equal("vendor=1");
    expect(formatTraceparent(ctx)).to.equal(`00-${ctx.traceId}-${ctx.spanId}-01`);
  });

  it("starts a new trace when the header is missing or invalid", () => {
    for (const header of [undefined, "", "garbage", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]) {
      const ctx = continueTrace(header);
      expect(ctx.traceId).to.match(/^[0-9a-f]{32}$/).and.not.equal("0af7651916cd43dd8448eb211c80319c");
      expect(ctx.traceState).to.equal(undefined);
    }
  });

  it("hands the current context to outgoing calls, across awaits", async () => {
    expect(traceHeaders()).to.deep.equal({});
    const ctx = continueTrace(PARENT);
    const headers = await withTrace(ctx, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return traceHeaders();
    });
    expect(headers).to.deep.equal({ traceparent: formatTraceparent(ctx) });
  });
});
