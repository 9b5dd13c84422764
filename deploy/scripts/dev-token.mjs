#!/usr/bin/env node
// Mints a bearer token from the development issuer (deploy/dev/credentials.json),
// which the gateway accepts under npm start and the tests; a real identity
// provider's tokens take its place in production (README: "Who may call what").
//   node deploy/scripts/dev-token.mjs --role customer --sub dev-customer-ada --email ada@example.com [--ttl 3600]
//   npm run token -- --role operator --sub alice
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { importJWK, SignJWT } from "jose";

const { values } = parseArgs({
  options: {
    role: { type: "string", multiple: true, default: [] },
    sub: { type: "string" },
    email: { type: "string" },
    ttl: { type: "string", default: "3600" },
    audience: { type: "string" },
  },
});
if (!values.sub) {
  console.error("usage: dev-token.mjs --sub <subject> [--role customer|operator|courier ...] [--email <email>] [--ttl <seconds>]");
  process.exit(64);
}
const credentials = JSON.parse(readFileSync(join(import.meta.dirname, "../dev/credentials.json"), "utf8"));
const jwk = credentials.issuer_private_jwk;
const token = await new SignJWT({ roles: values.role, ...(values.email ? { email: values.email } : {}) })
  .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: "JWT" })
  .setSubject(values.sub)
  .setIssuer(credentials.issuer)
  .setAudience(values.audience ?? credentials.audience)
  .setIssuedAt()
  .setExpirationTime(`${Number(values.ttl)}s`)
  .sign(await importJWK(jwk, jwk.alg));
console.log(token);
