// The third step of every upload (docs/spec.md §12), shared by the demo page
// (served as /confirm.js by dev/local-stack.mjs) and the Uppy page (bundled
// into /uppy/uppy.js by dev/uppy/build.mjs).

/**
 * Asks the Worker at `worker` to check what landed at `key`, as the holder of
 * the session token `bearer`, and returns its verdict:
 * `{ verdict: "verified" | "rejected" | "unchecked", text, data?, reason? }`.
 */
export async function confirmUpload(worker, bearer, key) {
  const res = await fetch(`${worker}/api/v1/s3/confirmUpload`, {
    method: "POST",
    headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
    body: JSON.stringify({ key }),
  });
  const json = await res.json();
  if (res.ok) {
    const { contentType, size, width, height } = json.data;
    const dims = width !== undefined ? `, ${width}×${height}` : "";
    return { verdict: "verified", text: `verified: ${contentType}${dims}, ${size} bytes`, data: json.data };
  }
  if (res.status === 422) return { verdict: "rejected", text: `rejected: ${json.reason} (deleted)`, reason: json.reason };
  return { verdict: "unchecked", text: `not checked: ${json.message} (${json.code})` };
}
