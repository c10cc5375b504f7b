"""Schemathesis hooks for scripts/schemathesis.sh."""

import json

import schemathesis


def _as_bytes(value):
    """A generated value as the bytes to send: bytes as they are, text as UTF-8 (lone surrogates
    too), anything else as its JSON."""
    value = getattr(value, "data", value)  # a generated binary value
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """The batch body is declared as a string of JSON lines: a generated string is sent as it
    is; anything else (negative cases) as one JSON line."""
    return _as_bytes(value)


@schemathesis.serializer("application/jose")
def compact_jws(ctx, value):
    """A signed packet (the verify example, or generated text) is sent as its bytes: any text
    gets a verdict, as documented."""
    return _as_bytes(value)


def _xml_char(c):
    """Whether XML 1.0 allows the character in a document."""
    o = ord(c)
    return c in "\t\n\r" or (0x20 <= o <= 0xD7FF) or (0xE000 <= o <= 0xFFFD) or o >= 0x10000


@schemathesis.serializer("application/xml")
def xml_document(ctx, value):
    """XML bodies are declared as bytes (`format: binary`, which client generators need); no
    schema can say "well-formed XML", so the generated value is sent as the text of one element:
    a well-formed document the exchange answers as it answers any XML it reads (422 with the
    report, or a report). Malformed XML has its own tests (tests/api/hostile_bodies.rs)."""
    from xml.sax.saxutils import escape

    value = getattr(value, "data", value)  # a generated binary value
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value)
    text = "".join(c for c in text if _xml_char(c))
    return ('<?xml version="1.0" encoding="UTF-8"?><body>' + escape(text) + "</body>").encode()
