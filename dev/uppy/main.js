// The Uppy page's script, bundled by dev/uppy/build.mjs (esbuild, from the
// npm packages pinned in package.json; no CDN). Uppy 6 with @uppy/aws-s3's
// `signRequest`: Uppy asks for one signed PutObject per file, without the
// file's size; this asks the Worker (docs/spec.md §3, §11) and hands its
// `data` back to Uppy — `{ url, headers }` for PUT, `{ url, fields }` for POST.
import AwsS3 from "@uppy/aws-s3";
import Uppy from "@uppy/core";
import Dashboard from "@uppy/dashboard";
import "@uppy/core/css/style.min.css";
import "@uppy/dashboard/css/style.min.css";
import { confirmUpload } from "../confirm.js";

const CONFIG = JSON.parse(document.getElementById("config").textContent);
const $ = (id) => document.getElementById(id);
const choice = (name) => document.querySelector(`input[name="${name}"]:checked`).value;

/** A session token from the local stack's development issuer (Clerk in production). */
async function token(user) {
  const res = await fetch(`${CONFIG.issuer}/token?sub=${encodeURIComponent(user)}`);
  if (!res.ok) throw new Error(`Sign-in failed: ${(await res.text()).trim()}`);
  return res.text();
}

/** What the Worker answered, per key, for the result list (`link`, `method`). */
const signed = new Map();

/**
 * Uppy's `signRequest`: one call per file, `{ method: "PUT", key, contentType }`.
 * `generateObjectKey` below makes `key` the file's own name; the Worker
 * builds the real key (in the user's folder) and Uppy uploads there.
 */
async function signRequest(request) {
  if (request.method !== "PUT" || request.uploadId !== undefined) {
    throw new Error(`only single PutObject uploads are signed here, not ${request.method}`);
  }
  const method = choice("method");
  // No contentType: the Worker takes it from the extension, and signs it
  // into the PUT's headers or the POST's fields, which Uppy sends as given.
  const body = { type: $("type").value, fileName: request.key, method };
  const res = await fetch(`${CONFIG.worker}/api/v1/s3/generatePreSignedURL`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await token($("user").value.trim())}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`Worker: ${json.message} (${json.code})`);
  const { data } = json;
  signed.set(data.key, data);
  return data.method === "POST"
    ? { url: data.url, key: data.key, fields: data.fields }
    : { url: data.url, key: data.key, headers: data.headers };
}

const uppy = new Uppy({ autoProceed: false, restrictions: { maxNumberOfFiles: 5 } })
  .use(Dashboard, { inline: true, target: "#dashboard", height: 360, proudlyDisplayPoweredByUppy: false })
  .use(AwsS3, {
    signRequest,
    shouldUseMultipart: false, // one signed request per file: a PUT URL or a POST policy
    generateObjectKey: (file) => file.name,
  });

// After each upload: a list item with the key, then the Worker's verdict;
// the image (or a link) only once the upload is verified.
uppy.on("upload-success", async (file, response) => {
  const data = signed.get(response.body.key);
  const li = document.createElement("li");
  li.className = "uploaded";
  li.dataset.key = data.key;
  li.dataset.method = data.method;
  li.append(`${data.method} ${file.name} → `);
  const code = document.createElement("code");
  code.textContent = data.key;
  const verdict = document.createElement("b");
  verdict.className = "verdict";
  verdict.textContent = "checking…";
  li.append(code, " ", verdict);
  $("results").append(li);
  let v;
  try {
    v = await confirmUpload(CONFIG.worker, await token($("user").value.trim()), data.key);
  } catch (e) {
    v = { verdict: "unchecked", text: `not checked: ${e.message}` };
  }
  verdict.textContent = v.text;
  verdict.classList.add(v.verdict);
  li.dataset.verdict = v.verdict;
  if (v.reason) li.dataset.reason = v.reason;
  if (v.data?.width !== undefined) Object.assign(li.dataset, { width: v.data.width, height: v.data.height });
  if (v.verdict !== "verified") return;
  if (file.type?.startsWith("image/")) {
    const img = new Image();
    img.alt = file.name;
    img.src = data.link;
    li.append(document.createElement("br"), img);
  } else {
    const a = document.createElement("a");
    a.href = data.link;
    a.textContent = ` open ${file.name}`;
    li.append(a);
  }
});
uppy.on("upload-error", (file, error) => {
  const li = document.createElement("li");
  li.className = "failed";
  li.textContent = `${file?.name}: ${error.message}`;
  $("results").append(li);
});

window.uppy = uppy; // for the browser test and the console
