import { expect } from "chai";
import { MalformedEventError, parseCloudEvent } from "../../../services/kit/events/cloudevents.ts";

describe("CloudEvent parsing", () => {
  it("reads the envelope and keeps Dapr's extensions", () => {
    const event = parseCloudEvent({ id: "1", type: "order.created", source: "order", specversion: "1.0", data: { order_id: "o1" }, traceparent: "tp" });
    expect(event).to.include({ id: "1", type: "order.created", source: "order", traceparent: "tp" });
    expect(event.data).to.deep.equal({ order_id: "o1" });
  });

  it("parses data that arrives as a JSON string", () => {
    const event = parseCloudEvent({ id: "1", type: "t", source: "s", datacontenttype: "application/json", data: '{"a":1}' });
    expect(event.data).to.deep.equal({ a: 1 });
  });

  it("names what a malformed delivery lacks", () => {
    expect(() => parseCloudEvent({ type: "t" })).to.throw(MalformedEventError, "lacks id, source");
    expect(() => parseCloudEvent("text")).to.throw(MalformedEventError, "not a JSON object");
    expect(() => parseCloudEvent({ id: "1", type: "t", source: "s", data: "{oops" })).to.throw(MalformedEventError, "not valid JSON");
  });
});
