// A stand-in Clerk issuer for the Miniflare suite: real RSA keys (jose and
// node:crypto, independent of the Worker's code), a JWKS served through
// Miniflare's outboundService, a count of JWKS fetches, and an outage switch.
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { noteToken } from "./logs.js";

export const ISSUER = "https://clerk.example.test";
export const JWKS_URL = `${ISSUER}/.well-known/jwks.json`;
export const APP_ORIGIN = "https://app.example.test";

/** Settings that point the Worker at this issuer. */
export const AUTH_BINDINGS = {
  CLERK_JWKS_URL: JWKS_URL,
  CLERK_ISSUER: ISSUER,
  CLERK_AUTHORIZED_PARTIES: APP_ORIGIN,
};

/** The `cat` header of a Clerk session token. */
export const SESSION_CATEGORY = "cl_B7d4PD111AAA";

const b64url = (buf) => Buffer.from(buf).toString("base64url");
const defined = (obj) => Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
const nowSeconds = () => Math.floor(Date.now() / 1000);

export class Issuer {
  constructor() {
    /** kid → { privateKey, jwk } */
    this.keys = new Map();
    /** JWKS GETs the Worker made. */
    this.fetches = 0;
    /** "ok" | "error" (HTTP 500) | "hang" (answers after 8 s, past the Worker's 5 s timeout) */
    this.mode = "ok";
    /** kids currently published (a key can exist before it is published). */
    this.published = new Set();
    this.outbound = this.outbound.bind(this);
  }

  /** A fresh RS256 key pair; published in the JWKS unless told otherwise. */
  async addKey(kid, { publish = true } = {}) {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid, use: "sig", alg: "RS256" };
    this.keys.set(kid, { privateKey, jwk });
    if (publish) this.published.add(kid);
  }

  /** A 1024-bit key, made with node:crypto (jose refuses to sign with one). */
  addWeakKey(kid) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const jwk = { ...publicKey.export({ format: "jwk" }), kid, use: "sig", alg: "RS256" };
    this.keys.set(kid, { privateKey, jwk, weak: true });
    this.published.add(kid);
  }

  jwks() {
    return { keys: [...this.published].map((kid) => this.keys.get(kid).jwk) };
  }

  /** Miniflare outboundService: answers the JWKS URL, refuses anything else. */
  async outbound(request) {
    if (request.url !== JWKS_URL) return new Response("unexpected outbound fetch", { status: 599 });
    this.fetches += 1;
    if (this.mode === "error") return new Response("issuer down", { status: 500 });
    if (this.mode === "hang") {
      await new Promise((resolve) => setTimeout(resolve, 8000).unref());
    }
    return Response.json(this.jwks());
  }

  /** Clerk-shaped claims valid now (expires in 60 s). */
  claims(overrides = {}) {
    const now = nowSeconds();
    return {
      sub: "user_2abc",
      iss: ISSUER,
      azp: APP_ORIGIN,
      sid: "sess_2abc",
      sts: "active",
      v: 2,
      iat: now - 5,
      nbf: now - 5,
      exp: now + 60,
      ...overrides,
    };
  }

  /**
   * A session token signed by jose with key `kid`: header `typ: JWT` and the
   * session `cat`, claims with a `sid`. `claims` and `header` replace fields
   * (undefined removes).
   */
  async token(kid, claims = {}, header = {}) {
    const { privateKey } = this.keys.get(kid);
    const payload = defined(this.claims(claims));
    const protectedHeader = defined({ alg: "RS256", kid, typ: "JWT", cat: SESSION_CATEGORY, ...header });
    const token = await new SignJWT(payload).setProtectedHeader(protectedHeader).sign(privateKey);
    noteToken(token);
    return token;
  }

  /**
   * A token of another kind Clerk signs with the same key, in the shape
   * Clerk issues it: "oauth" (an OAuth access token, `typ: at+jwt`),
   * "oauth-application" (`typ: application/at+jwt`), "m2m" (M2M: category
   * and a machine `sub`), "m2m-uncategorized" (the machine `sub` alone),
   * "template" (a JWT-template token: category, no `sid`),
   * "template-uncategorized" (no `sid` alone).
   */
  async tokenOfKind(kid, kind) {
    const now = nowSeconds();
    const oauth = { sub: "user_2abc", iss: ISSUER, client_id: "8XtYpkRJxnWOhVWu", scope: "profile email", jti: "oat_2xKa9YZf", sid: undefined, sts: undefined, azp: undefined, v: undefined };
    const m2m = { sub: "mch_2vYVtestTESTtest", iss: ISSUER, jti: "mt_2xKa9YZf", sid: undefined, sts: undefined, azp: undefined, v: undefined };
    const template = { aud: "convex", email: "user@example.test", sid: undefined, sts: undefined, v: undefined, exp: now + 30 * 24 * 3600 };
    const kinds = {
      oauth: [oauth, { typ: "at+jwt", cat: undefined }],
      "oauth-application": [oauth, { typ: "application/at+jwt", cat: undefined }],
      m2m: [m2m, { cat: "cl_B7d4PD333AAA" }],
      "m2m-uncategorized": [{ ...m2m, sid: "sess_2abc" }, { cat: undefined }],
      template: [template, { cat: "cl_B7d4PD222AAA" }],
      "template-uncategorized": [template, { cat: undefined }],
    };
    if (!kinds[kind]) throw new Error(`unknown token kind ${kind}`);
    return this.token(kid, ...kinds[kind]);
  }

  /** A token signed by raw node:crypto with any key, any header (for attacks). */
  rawToken(header, payload, signingKid) {
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    // node:crypto signs with a KeyObject or a WebCrypto CryptoKey alike.
    const token = `${input}.${b64url(sign("sha256", Buffer.from(input), this.keys.get(signingKid).privateKey))}`;
    noteToken(token);
    return token;
  }
}

/** The KV key the Worker keeps a JWKS URL's cache entry under. */
export function jwksCacheKey(url = JWKS_URL) {
  return `jwks:v1:${createHash("sha256").update(url).digest("hex")}`;
}

/** Seeds the Worker's KV cache as if the JWKS had been fetched `ageSeconds` ago. */
export async function seedJwksCache(mf, jwks, ageSeconds) {
  const kv = await mf.getKVNamespace("JWKS_CACHE");
  const at = nowSeconds() - ageSeconds;
  await kv.put(jwksCacheKey(), JSON.stringify({ fetched_at: at, attempted_at: at, jwks: JSON.stringify(jwks) }));
}
