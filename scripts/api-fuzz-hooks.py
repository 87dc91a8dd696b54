# Schemathesis hooks for scripts/api-fuzz.sh (SCHEMATHESIS_HOOKS points here).
#
# 1. Authentication: every generated request carries
#    `Authorization: Bearer <token>`, a valid Clerk-shaped session token from
#    the local stack's development issuer (API_FUZZ_ISSUER). Its tokens live
#    60 s and a run can be longer, so a new one is fetched every 30 s.
#    Schemathesis still sends requests without it, or with a made-up one, where
#    it does so by itself: its missing/invalid-credentials cases, and the
#    `ignored_auth` check's probes after a 2xx.
# 2. Reaching the signer: a random string is almost never an upload type of
#    the policy, nor a name ending in an allowed extension, so nearly every
#    generated body would stop at `invalid_type`. For schema-valid bodies only,
#    `type` is often swapped for one of the default policy's types and an
#    allowed extension is often appended to the generated `fileName`: the
#    arbitrary names (Unicode, spaces, `%`, look-alike slashes, …) then go on
#    to the name rules, the content-type and size checks, and the SigV4
#    signer. `method` is often set to `PUT` or `POST`, so both answers (the
#    URL and the POST form, docs/spec.md §11) are reached. The body stays
#    schema-valid; negative bodies are left alone. For `confirmUpload`, the
#    generated `key` is often moved into the fuzz user's own folder.
import os
import urllib.request

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

ISSUER = os.environ["API_FUZZ_ISSUER"]
SUB = os.environ.get("API_FUZZ_SUB", "user_fuzz")

# The default upload policy (README, "Upload policy"); the stack runs with it.
TYPES = ["profile", "repo", "company", "institution", "project", "resume"]
EXTENSIONS = [".png", ".jpg", ".JPEG", ".gif", ".webp", ".svg", ".pdf"]


@schemathesis.auth(refresh_interval=30)
class DevIssuerToken:
    def get(self, case, ctx):
        with urllib.request.urlopen(f"{ISSUER}/token?sub={SUB}", timeout=10) as res:
            return res.read().decode().strip()

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


def _positive_body(case):
    meta = case.meta
    return (
        isinstance(case.body, dict)
        and meta is not None
        and ParameterLocation.BODY in meta.components
        and not meta.is_negative_at(ParameterLocation.BODY)
    )


@schemathesis.hook
def flatmap_case(ctx, case):
    if not _positive_body(case):
        return st.just(case)

    generated = dict(case.body)
    if case.path.endswith("/confirmUpload"):
        return _steer_confirm(case, generated)

    def steer(choice):
        new_type, extension, method = choice
        body = dict(generated)
        if method is not None:
            body["method"] = method
        if new_type is not None and isinstance(body.get("type"), str):
            body["type"] = new_type
        name_field = "fileName" if isinstance(body.get("fileName"), str) else "filename"
        name = body.get(name_field)
        if extension is not None and isinstance(name, str) and len(name) + len(extension) <= 255:
            body[name_field] = name + extension
        case.body = body
        return case

    # None keeps what Schemathesis generated.
    return st.tuples(
        st.sampled_from([None, *TYPES]),
        st.sampled_from([None, *EXTENSIONS]),
        st.sampled_from([None, "PUT", "POST"]),
    ).map(steer)


def _steer_confirm(case, generated):
    """`confirmUpload`: a generated `key` is often made one of the fuzz user's
    own keys (its folder, a type, an allowed extension), so requests go past
    the key checks to the store (404 for a key nothing was uploaded to)."""

    def steer(choice):
        new_type, extension = choice
        body = dict(generated)
        name = body.get("key")
        if new_type is not None and isinstance(name, str):
            name = name.replace("/", "_").lstrip(".") or "x"
            body["key"] = f"user-uploads/{SUB}/{new_type}/{name}{extension or '.png'}"
        case.body = body
        return case

    return st.tuples(st.sampled_from([None, *TYPES]), st.sampled_from([None, *EXTENSIONS])).map(steer)
