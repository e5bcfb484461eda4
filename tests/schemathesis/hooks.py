"""Schemathesis hooks for tests/schemathesis/run.sh.

The run authenticates as one throwaway OWNER (TESSERA_FUZZ_OWNER_ID). Requests
that would lock that OWNER out of the rest of the run are defused, and only
those: setting its password (API.md: a password change ends every session of
the user), deactivating it, replacing its roles (it could lose OWNER once the
fuzzer has made another OWNER), and deleting it. The same operations on every
other user are fuzzed as generated.

Every well-formed `Idempotency-Key` the fuzzer generates is made unique: the
fuzzer reuses short values ("0") across operations and bodies, and a key
reused with another request is a documented 422 that would otherwise stand
for every later request. Malformed keys are sent as generated (a 400).
"""

import os
import re
import uuid

import schemathesis

OWNER_ID = os.environ["TESSERA_FUZZ_OWNER_ID"]
# Fields whose change would end or strip the fuzzing OWNER's session.
LOCKOUT_FIELDS = ("password", "active", "user_roles")
# A well-formed id that names no object: the request is still sent, and answered 404.
NOBODY = "111111111111"


@schemathesis.hook
def before_call(context, case, kwargs):
    method = case.operation.method.upper()
    path = case.operation.path
    body = case.body if isinstance(case.body, dict) else None
    params = case.path_parameters or {}
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str):
            if re.fullmatch(r"[!-~]{1,255}", headers[name]):
                headers[name] = f"{uuid.uuid4().hex}-{headers[name]}"[:255]
    if path in ("/users/{id}/", "/api-users/{id}/") and params.get("id") == OWNER_ID:
        if method == "DELETE":
            params["id"] = NOBODY
        elif body is not None:
            for field in LOCKOUT_FIELDS:
                body.pop(field, None)
    if path in ("/users/bulk/update/", "/users/bulk/delete/") and body is not None:
        ids = body.get("ids")
        if isinstance(ids, list) and OWNER_ID in ids:
            body["ids"] = [i for i in ids if i != OWNER_ID] or [NOBODY]
