"""Schemathesis hooks for scripts/schemathesis.sh."""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """The batch body is declared as a string of JSON lines: a generated string is sent as it
    is; anything else (negative cases) as one JSON line."""
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
    else:
        data = json.dumps(value).encode()
    return {"data": data}
