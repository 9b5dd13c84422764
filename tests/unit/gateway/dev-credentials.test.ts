/**
 * The development credentials stay in step: the development secret store
 * holds the hash of every development API key (and nothing else as a key)
 * and the public half of the development issuer's key, and the README's tour
 * shows keys that work.
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { devCredentials } from "../../support/credentials.ts";
import { devSecrets, repositoryRoot } from "../../support/fakes.ts";

describe("development credentials", () => {
  const secrets = devSecrets().values;

  it("has the development secret store hold each API key's hash with who it is, and no other key", () => {
    const expected = Object.fromEntries(devCredentials.api_keys.map(({ key, ...who }) => [createHash("sha256").update(key).digest("hex"), who]));
    expect(JSON.parse(secrets.GATEWAY_API_KEYS!)).to.deep.equal(expected);
    for (const { key } of devCredentials.api_keys) expect(secrets.GATEWAY_API_KEYS).to.not.contain(key);
  });

  it("has the development secret store hold the public half of the development issuer's key, and only it", () => {
    const { d, ...publicHalf } = devCredentials.issuer_private_jwk;
    expect(d, "the private key").to.be.a("string");
    expect(JSON.parse(secrets.OIDC_DEV_JWKS!)).to.deep.equal({ keys: [publicHalf] });
  });

  it("shows keys in the README's tour that are the development keys", () => {
    const readme = readFileSync(join(repositoryRoot(), "README.md"), "utf8");
    const shown = [...readme.matchAll(/x-api-key: (lgx_dev_\w+)/g)].map((m) => m[1]);
    expect(shown.length).to.be.greaterThan(0);
    for (const key of shown) expect(devCredentials.api_keys.map((k) => k.key), key).to.include(key);
  });
});
