// The reference: the same job done the usual way in a JavaScript Worker —
// jose for the Clerk session token (remote JWKS, RS256), aws4fetch for the
// pre-signed URL, a JavaScript Durable Object for the per-user rate limit,
// the same policy checks and the same responses. For benchmarking only.
import { AwsClient } from "aws4fetch";
import { createRemoteJWKSet, jwtVerify } from "jose";

const PATH = "/api/v1/s3/generatePreSignedURL";
const IMAGES = ["jpg", "jpeg", "png", "gif", "webp", "svg"];
const MIB = 1024 * 1024;
const POLICY = {
  profile: [IMAGES, 5 * MIB], repo: [IMAGES, 5 * MIB], company: [IMAGES, 5 * MIB],
  institution: [IMAGES, 5 * MIB], project: [IMAGES, 5 * MIB], resume: [["pdf"], 10 * MIB],
};
const MIME = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", gif: "image/gif", webp: "image/webp", svg: "image/svg+xml", pdf: "application/pdf" };

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers } });
const error = (status, code, message, headers) => json(status, { status: "error", message, code }, headers);

let jwks;
let jwksUrl;

async function authenticate(request, env) {
  const header = request.headers.get("Authorization");
  let token = null;
  if (header !== null) {
    const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
    if (!m) return null;
    token = m[1];
  } else {
    token = /(?:^|;\s*)__session=([^;]+)/.exec(request.headers.get("Cookie") ?? "")?.[1] ?? null;
  }
  if (!token || token.length > 8192) return null;
  if (jwksUrl !== env.CLERK_JWKS_URL) {
    jwksUrl = env.CLERK_JWKS_URL;
    jwks = createRemoteJWKSet(new URL(jwksUrl), { cacheMaxAge: 600_000, cooldownDuration: 30_000, timeoutDuration: 5000 });
  }
  try {
    const { payload } = await jwtVerify(token, jwks, { algorithms: ["RS256"], issuer: env.CLERK_ISSUER, clockTolerance: 5 });
    const parties = (env.CLERK_AUTHORIZED_PARTIES ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (parties.length && !parties.includes(payload.azp)) return null;
    if (payload.sts === "pending") return null;
    if (typeof payload.sub !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(payload.sub)) return null;
    return payload.sub;
  } catch {
    return null;
  }
}

function validate(body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return ["invalid_json"];
  const type = body.type;
  const fileName = "fileName" in body ? body.fileName : body.filename;
  if (typeof type !== "string" || !type || typeof fileName !== "string" || !fileName) return ["missing_parameters"];
  const rule = Object.hasOwn(POLICY, type) ? POLICY[type] : null;
  if (!rule) return ["invalid_type"];
  if (new TextEncoder().encode(fileName).length > 255 || fileName.startsWith(".") || /[\/\\\u0000-\u001f\u007f-\u009f]/.test(fileName)) return ["invalid_file_name"];
  const ext = fileName.includes(".") ? fileName.split(".").pop().toLowerCase() : "";
  if (!rule[0].includes(ext)) return ["unsupported_file_type"];
  const mime = MIME[ext];
  if (body.contentType != null && (typeof body.contentType !== "string" || body.contentType.trim().toLowerCase() !== mime)) return ["content_type_mismatch"];
  if (body.size != null) {
    if (typeof body.size !== "number" || !Number.isInteger(body.size) || body.size < 1) return ["invalid_size"];
    if (body.size > rule[1]) return ["file_too_large"];
  }
  return [null, { type, fileName, mime, size: body.size ?? null }];
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return json(200, { status: "ok" });
    if (url.pathname !== PATH) return error(404, "not_found", "Not found");
    if (request.method !== "POST") return error(405, "method_not_allowed", "Method not allowed", { Allow: "POST, OPTIONS" });
    const sub = await authenticate(request, env);
    if (!sub) return error(401, "unauthorized", "Authentication required", { "WWW-Authenticate": "Bearer" });

    const max = Number(env.RATE_LIMIT_MAX ?? 20);
    const window = Number(env.RATE_LIMIT_WINDOW_SECONDS ?? 60);
    // RATE_LIMITER unbound: only ceiling.mjs does this, to time the DO hop.
    const verdict = env.RATE_LIMITER
      ? await (await env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(sub)).fetch(`https://rl/take?max=${max}&window=${window}`)).json()
      : { allowed: true, remaining: max - 1, reset: Math.ceil(window / max) };
    const rl = { "RateLimit-Policy": `"upload";q=${max};w=${window}`, RateLimit: `"upload";r=${verdict.remaining};t=${verdict.reset}` };
    if (!verdict.allowed) return error(429, "rate_limited", "Too many upload URLs requested; retry later", { ...rl, "Retry-After": String(verdict.retryAfter) });

    if (!(request.headers.get("Content-Type") ?? "").toLowerCase().startsWith("application/json")) return error(415, "unsupported_media_type", "Request body must be application/json", rl);
    const raw = await request.text();
    if (raw.length > 16384) return error(413, "payload_too_large", "Request body is larger than 16 KiB", rl);
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return error(400, "invalid_json", "Request body must be a JSON object", rl);
    }
    const [code, upload] = validate(body);
    if (code) return error(400, code, "Invalid upload request", rl);

    const key = `${env.S3_KEY_PREFIX ?? "user-uploads"}/${sub}/${upload.type}/${upload.fileName}`;
    const encoded = key.split("/").map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join("/");
    const objectUrl = `https://${env.S3_BUCKET}.s3.${env.S3_REGION ?? "us-east-1"}.amazonaws.com/${encoded}`;
    const expires = Number(env.UPLOAD_URL_TTL_SECONDS ?? 300);
    const client = new AwsClient({ accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY, service: "s3", region: env.S3_REGION ?? "us-east-1" });
    const headers = { "Content-Type": upload.mime };
    if (upload.size) headers["Content-Length"] = String(upload.size);
    const signed = await client.sign(`${objectUrl}?X-Amz-Expires=${expires}`, { method: "PUT", headers, aws: { signQuery: true, allHeaders: true } });
    const amzDate = new URL(signed.url).searchParams.get("X-Amz-Date");
    const signedAt = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
    return json(200, {
      status: "success",
      message: "PreSigned URL Generated",
      data: { url: signed.url, link: objectUrl, key, method: "PUT", headers, expiresIn: expires, expiresAt: new Date(signedAt + expires * 1000).toISOString().replace(".000Z", "Z") },
    }, rl);
  },
};

/** GCRA in the object's storage, like upload-signer's. */
export class RateLimiter {
  constructor(state) {
    this.state = state;
  }
  async fetch(request) {
    const q = new URL(request.url).searchParams;
    const max = Number(q.get("max"));
    const windowMs = Number(q.get("window")) * 1000;
    const emission = windowMs / max;
    const now = Date.now();
    const tat = Math.max((await this.state.storage.get("tat")) ?? now, now);
    const next = tat + emission;
    if (next - now > windowMs) {
      return Response.json({ allowed: false, remaining: 0, reset: Math.ceil((tat - now) / 1000), retryAfter: Math.max(1, Math.ceil((next - now - windowMs) / 1000)) });
    }
    await this.state.storage.put("tat", next);
    return Response.json({ allowed: true, remaining: Math.floor((windowMs - (next - now)) / emission), reset: Math.ceil((next - now) / 1000) });
  }
}
