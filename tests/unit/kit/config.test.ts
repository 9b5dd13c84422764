import { expect } from "chai";
import { ConfigError, loadKitConfig, readByteSize, readInteger } from "../../../services/kit/config.ts";

describe("kit config", () => {
  it("uses Dapr's variable names and sensible defaults", () => {
    const config = loadKitConfig({ APP_PORT: "8101", DAPR_HTTP_PORT: "3601", APP_API_TOKEN: "s3cret" }, "order", 8001);
    expect(config).to.include({ appId: "order", appPort: 8101, daprHttpPort: 3601, appApiToken: "s3cret", host: "127.0.0.1" });
    expect(config.daprApiToken).to.equal(undefined);
    expect(config.bodyLimitBytes).to.equal(1024 * 1024);
  });

  it("names the variable that is not a port", () => {
    expect(() => loadKitConfig({ APP_PORT: "eighty" }, "order", 8001)).to.throw(ConfigError, /^APP_PORT: must be an integer/);
    expect(() => loadKitConfig({ DAPR_HTTP_PORT: "70000" }, "order", 8001)).to.throw(ConfigError, /^DAPR_HTTP_PORT: must be between 1 and 65535/);
  });

  it("names a log level that does not exist", () => {
    expect(() => loadKitConfig({ LOG_LEVEL: "loud" }, "order", 8001)).to.throw(ConfigError, /^LOG_LEVEL: must be one of/);
  });

  it("reads sizes in bytes, kb and mb", () => {
    expect(readByteSize({ B: "512kb" }, "B", 1)).to.equal(512 * 1024);
    expect(readByteSize({ B: "2MB" }, "B", 1)).to.equal(2 * 1024 * 1024);
    expect(readByteSize({}, "B", 7)).to.equal(7);
    expect(() => readByteSize({ B: "lots" }, "B", 1)).to.throw(ConfigError, /^B:/);
  });

  it("keeps integers within their bounds", () => {
    expect(readInteger({ N: " 42 " }, "N", 0, 0, 100)).to.equal(42);
    expect(() => readInteger({ N: "101" }, "N", 0, 0, 100)).to.throw(ConfigError, /between 0 and 100/);
  });
});
