import { expect } from "chai";
import { kernelAddress } from "../../support/system.ts";

describe("the test harness's reading of /proc/net/tcp addresses", () => {
  it("reads IPv4, IPv6 and IPv4-mapped IPv6 addresses as the kernel prints them", () => {
    expect(kernelAddress("0100007F")).to.equal("127.0.0.1");
    expect(kernelAddress("00000000")).to.equal("0.0.0.0");
    expect(kernelAddress("00000000000000000000000001000000")).to.equal("0:0:0:0:0:0:0:1");
    expect(kernelAddress("00000000000000000000000000000000")).to.equal("0:0:0:0:0:0:0:0");
    // ::ffff:127.0.0.1, where Java servers (Kafka) listen for 127.0.0.1
    expect(kernelAddress("0000000000000000FFFF00000100007F")).to.equal("127.0.0.1");
    expect(kernelAddress("0000000000000000FFFF00000000000A")).to.equal("10.0.0.0");
  });
});
