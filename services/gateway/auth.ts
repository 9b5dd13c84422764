/**
 * Who is calling: the gateway authenticates every call that is not public,
 * with an API key (machines) or an OIDC/JWT bearer token (people and apps),
 * and authorizes it by the operation's access (contracts/api/operations.ts).
 *
 * - API keys (`x-api-key`) are never stored: the secret store holds the
 *   SHA-256 of each, with who it stands for ({subject, role, email?}), as a
 *   JSON object in one secret. The set is read again every minute, so a key
 *   added or revoked there takes effect without a restart.
 * - Bearer tokens (`Authorization: Bearer`) are JWTs checked with jose: the
 *   signature against the issuer's JWKS (fetched from its URL, or, for the
 *   development issuer, read from the secret store), the issuer, the
 *   audience and the expiry. The roles come from a claim (`roles` unless
 *   configured), the customer's email from `email`, a courier's name from
 *   `sub`.
 *
 * 401 says the credentials are missing or wrong (with WWW-Authenticate, RFC
 * 9110 §11.6.1); 403 that they are good but may not do this.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify } from "jose";
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import { ROLES } from "../contracts/api/operations.ts";
import type { Access, Role } from "../contracts/api/operations.ts";
import { sha256Hex } from "../kit/digest.ts";
import { HttpProblem } from "../kit/http/problems.ts";
import type { SecretReader } from "../kit/ports/ports.ts";
import { GatewayProblems } from "./errors.ts";

/** An authenticated caller. */
export interface Principal {
  /** Who: the key's subject, or the token's `sub`. A courier's subject is their name. */
  subject: string;
  roles: Role[];
  /** A customer's email: their orders are those placed with it. */
  email?: string;
  /** How they proved it. */
  via: "api-key" | "bearer";
}

/** What an API key stands for, in the secret store (under the key's SHA-256, hex). */
export interface ApiKeyRecord {
  subject: string;
  role: Role;
  email?: string;
}

const REALM = 'Bearer realm="logistics"';

function unauthorized(detail: string, error?: { code: "invalid_token"; description: string }): HttpProblem {
  const challenge = error ? `${REALM}, error="${error.code}", error_description="${error.description.replace(/"/g, "'")}"` : REALM;
  return new HttpProblem(GatewayProblems.unauthenticated, detail, { headers: { "WWW-Authenticate": challenge } });
}

function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** The hashed API keys from the secret store, read again once they are older than `maxAgeMs`. */
export class ApiKeys {
  readonly #secrets: SecretReader;
  readonly #store: string;
  readonly #name: string;
  readonly #maxAgeMs: number;
  #keys: Map<string, ApiKeyRecord> | undefined;
  #readAt = 0;

  constructor(secrets: SecretReader, store: string, name: string, maxAgeMs = 60_000) {
    this.#secrets = secrets;
    this.#store = store;
    this.#name = name;
    this.#maxAgeMs = maxAgeMs;
  }

  async find(key: string): Promise<ApiKeyRecord | undefined> {
    const keys = await this.#load();
    return keys.get(await sha256Hex(key));
  }

  async #load(): Promise<Map<string, ApiKeyRecord>> {
    if (this.#keys && Date.now() - this.#readAt < this.#maxAgeMs) return this.#keys;
    let raw: string | undefined;
    try {
      raw = (await this.#secrets.get(this.#store, this.#name))[this.#name];
    } catch (err) {
      // The last set read stays good while the store is away.
      if (this.#keys) return this.#keys;
      throw new HttpProblem(GatewayProblems.upstreamUnavailable, "The API keys cannot be read from the secret store", { cause: err });
    }
    const parsed = raw ? (JSON.parse(raw) as Record<string, ApiKeyRecord>) : {};
    this.#keys = new Map(Object.entries(parsed).filter(([, record]) => isRole(record.role) && typeof record.subject === "string"));
    this.#readAt = Date.now();
    return this.#keys;
  }
}

export interface TokenOptions {
  issuer: string;
  audience: string;
  /** The claim holding the roles: an array, or a space-separated string. */
  rolesClaim: string;
  keys: JWTVerifyGetKey;
}

/** The issuer's keys: from its JWKS URL, or a JWKS document kept in the secret store (the development issuer). */
export function issuerKeys(options: { jwksUrl?: string | undefined; secrets: SecretReader; store: string; secretName: string }): JWTVerifyGetKey {
  if (options.jwksUrl) return createRemoteJWKSet(new URL(options.jwksUrl));
  let local: JWTVerifyGetKey | undefined;
  return async (header, token) => {
    if (!local) {
      const raw = (await options.secrets.get(options.store, options.secretName))[options.secretName];
      if (!raw) throw new Error(`secret ${options.secretName} (the issuer's JWKS) is missing`);
      local = createLocalJWKSet(JSON.parse(raw));
    }
    return local(header, token);
  };
}

function rolesOf(payload: JWTPayload, claim: string): Role[] {
  // A dotted claim reaches into objects (realm_access.roles, as some providers put it).
  let value: unknown = payload;
  for (const part of claim.split(".")) value = (value as Record<string, unknown> | undefined)?.[part];
  const list = Array.isArray(value) ? value : typeof value === "string" ? value.split(" ") : [];
  return list.filter(isRole);
}

export class Authenticator {
  readonly #apiKeys: ApiKeys;
  readonly #tokens: TokenOptions;

  constructor(apiKeys: ApiKeys, tokens: TokenOptions) {
    this.#apiKeys = apiKeys;
    this.#tokens = tokens;
  }

  /** The caller the headers prove; 401 when they prove nothing. */
  async authenticate(headers: { apiKey?: string | undefined; authorization?: string | undefined }): Promise<Principal> {
    if (headers.apiKey) {
      const record = await this.#apiKeys.find(headers.apiKey);
      if (!record) throw unauthorized("The API key is not known");
      return { subject: record.subject, roles: [record.role], ...(record.email ? { email: record.email } : {}), via: "api-key" };
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? "");
    if (bearer) return this.#verify(bearer[1]!);
    if (headers.authorization) throw unauthorized("Only Bearer tokens are taken in Authorization", { code: "invalid_token", description: "not a Bearer token" });
    throw unauthorized("Credentials are needed: an x-api-key header or an Authorization: Bearer token");
  }

  async #verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#tokens.keys, { issuer: this.#tokens.issuer, audience: this.#tokens.audience }));
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) {
        const why = err instanceof joseErrors.JWTExpired ? "the token has expired" : err instanceof joseErrors.JWTClaimValidationFailed ? `the token's ${err.claim} claim is not accepted` : "the token is not valid";
        throw unauthorized(`The bearer token was refused: ${why}`, { code: "invalid_token", description: why });
      }
      throw new HttpProblem(GatewayProblems.upstreamUnavailable, "The token issuer's keys cannot be read", { cause: err });
    }
    if (!payload.sub) throw unauthorized("The bearer token names no subject", { code: "invalid_token", description: "no sub claim" });
    const email = typeof payload.email === "string" ? payload.email : undefined;
    return { subject: payload.sub, roles: rolesOf(payload, this.#tokens.rolesClaim), ...(email ? { email } : {}), via: "bearer" };
  }
}

/** The role a principal calls an operation in: operator first; undefined when none of theirs may (403). */
export function roleFor(principal: Principal, access: Exclude<Access, "public">): Role | undefined {
  if (principal.roles.includes("operator") && access.roles.includes("operator")) return "operator";
  return access.roles.find((role) => principal.roles.includes(role));
}
