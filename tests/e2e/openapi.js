// Validates real responses against docs/openapi.yaml: status documented,
// required headers present and matching, JSON body matching the schema.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { parse } from "yaml";
import { ROOT } from "./fixture.js";
import { noteSensitive } from "./logs.js";

const doc = parse(readFileSync(join(ROOT, "docs/openapi.yaml"), "utf8"));
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(doc, "openapi");

const pointer = (...parts) => parts.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

function resolve(node) {
  while (node?.$ref) {
    node = node.$ref.slice(2).split("/").reduce((n, p) => n[p.replaceAll("~1", "/").replaceAll("~0", "~")], doc);
  }
  return node;
}

const validators = new Map();

/**
 * Asserts that `res` (with its already-parsed JSON `body`) is what the
 * document says `method path` answers with that status.
 */
export function assertMatchesOpenApi(method, path, res, body) {
  const signature = typeof body?.data?.url === "string" && new URL(body.data.url).searchParams.get("X-Amz-Signature");
  if (signature) noteSensitive("url signature", signature);
  const op = doc.paths[path]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${path} is not documented`);
  const status = String(res.status);
  const response = resolve(op.responses[status]);
  assert.ok(response, `${method} ${path} does not document status ${status}`);
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const h = resolve(header);
    const value = res.headers.get(name);
    if (h.required) assert.notEqual(value, null, `${status} must carry ${name}`);
    if (value !== null && h.schema) {
      const check = ajv.compile(h.schema);
      assert.ok(check(value), `${name}: ${value} does not match ${JSON.stringify(h.schema)}`);
    }
  }
  const media = response.content?.["application/json"];
  if (!media) return;
  assert.equal(res.headers.get("content-type"), "application/json");
  const ref = `openapi#/${pointer("paths", path, method.toLowerCase(), "responses", status)}`;
  let validate = validators.get(ref);
  if (!validate) {
    // A $ref'd response object: point at its schema in components.
    const target = op.responses[status].$ref
      ? `openapi${op.responses[status].$ref}/content/application~1json/schema`
      : `${ref}/content/application~1json/schema`;
    validate = ajv.compile({ $ref: target });
    validators.set(ref, validate);
  }
  assert.ok(validate(body), `${method} ${path} ${status} body: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
}
