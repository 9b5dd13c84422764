/**
 * Reads JSON request bodies with a size limit. Malformed JSON is a 400, a body
 * over the limit a 413, another media type a 415; the parsed value lands on
 * ctx.request.body.
 */
import type { Context, Next } from "koa";
import { HttpProblem, KitProblems } from "./problems.ts";

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function isJson(contentType: string): boolean {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json");
}

async function readLimited(ctx: Context, limit: number): Promise<string> {
  const declared = Number(ctx.get("content-length") || "NaN");
  if (declared > limit) throw new HttpProblem(KitProblems.payloadTooLarge, `The body may be at most ${limit} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) {
      ctx.req.resume();
      throw new HttpProblem(KitProblems.payloadTooLarge, `The body may be at most ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** Koa middleware that parses JSON bodies of at most `limit` bytes. */
export function jsonBody(limit: number) {
  return async function parseJsonBody(ctx: Context, next: Next): Promise<void> {
    const hasBody = METHODS_WITH_BODY.has(ctx.method) && (ctx.get("content-length") !== "" || ctx.get("transfer-encoding") !== "");
    if (!hasBody || ctx.get("content-length") === "0") return next();
    const contentType = ctx.get("content-type");
    const unsupported = () => new HttpProblem(KitProblems.unsupportedMediaType, `Send application/json, not "${contentType || "none"}"`);
    if (contentType !== "" && !isJson(contentType)) throw unsupported();
    const text = await readLimited(ctx, limit);
    // An empty body (sent chunked, say) needs no type; any other needs JSON's.
    if (text.trim() !== "" && contentType === "") throw unsupported();
    if (text.trim() !== "") {
      try {
        (ctx.request as { body?: unknown }).body = JSON.parse(text);
      } catch (err) {
        throw new HttpProblem(KitProblems.malformedJson, `The body is not valid JSON: ${(err as Error).message}`);
      }
    }
    return next();
  };
}
