/**
 * The development credentials (deploy/dev/credentials.json) the tests call
 * the gateway with: API keys by role, and bearer tokens minted by the
 * development issuer, also ones it must refuse (expired, another audience).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importJWK, SignJWT } from "jose";
import type { JWK } from "jose";
import { repositoryRoot } from "./fakes.ts";

export interface DevApiKey {
  subject: string;
  role: "customer" | "operator" | "courier";
  email?: string;
  key: string;
}

interface DevCredentials {
  issuer: string;
  audience: string;
  api_keys: DevApiKey[];
  issuer_private_jwk: JWK & { kid: string; alg: string };
}

export const devCredentials: DevCredentials = JSON.parse(readFileSync(join(repositoryRoot(), "deploy/dev/credentials.json"), "utf8"));

/** The development API key of `subject` (or the first of `role`). */
export function devApiKey(role: DevApiKey["role"], subject?: string): DevApiKey {
  const found = devCredentials.api_keys.find((k) => k.role === role && (subject === undefined || k.subject === subject));
  if (!found) throw new Error(`no development API key for ${role} ${subject ?? ""}`);
  return found;
}

/** The operator key's header: what most tests call the gateway with. */
export const operatorHeaders = (): Record<string, string> => ({ "x-api-key": devApiKey("operator").key });

/** A token from the development issuer; the options make ones the gateway must refuse. */
export async function devToken(claims: { sub: string; roles?: string[]; email?: string }, options: { expiresIn?: string; audience?: string; issuer?: string; expired?: boolean } = {}): Promise<string> {
  const jwk = devCredentials.issuer_private_jwk;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: claims.roles ?? [], ...(claims.email ? { email: claims.email } : {}) })
    .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(options.issuer ?? devCredentials.issuer)
    .setAudience(options.audience ?? devCredentials.audience)
    .setIssuedAt(options.expired ? now - 7200 : now)
    .setExpirationTime(options.expired ? now - 3600 : now + 3600)
    .sign(await importJWK(jwk, jwk.alg));
}
