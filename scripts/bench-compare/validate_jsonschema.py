#!/usr/bin/env python3
"""Reference point for BENCHMARKS.md: how fast python-jsonschema validates kyoten registrations.

Loads schemas/*/1.0.0.json into a referencing.Registry, builds one Draft202012Validator for
registration whose FormatChecker ASSERTS date, date-time, email, uuid and kyoten's custom formats
(katakana, jp-municipality-code, jp-corporate-number, jp-phone — same rules as
src/validation/formats.rs), then times json.loads + validator.is_valid over every line of the
file, in one process; the clock starts once the validator is built. Schema checks only: kyoten's
domain rules are not applied, so the generator's short-stay documents (10%) count as valid.

usage: python3 validate_jsonschema.py FILE.ndjson      (normally run through run.sh)
prints one JSON line: tool, version, python, documents, valid, invalid, seconds,
documents_per_second
"""
import json
import pathlib
import platform
import re
import sys
import time
from importlib.metadata import version

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS = pathlib.Path(__file__).resolve().parents[2] / "schemas"

# Standard formats from jsonschema (KeyError here if rfc3339-validator is missing for date-time).
checker = FormatChecker(["date", "date-time", "email", "uuid"])


def string_format(name):
    """Registers a custom format; like the standard ones it passes any non-string."""
    def register(check):
        checker.checks(name)(lambda instance: not isinstance(instance, str) or check(instance))
        return check
    return register


@string_format("katakana")
def katakana(s):
    # Full-width katakana U+30A1–U+30FA and ー, plus ASCII/ideographic spaces; one non-space.
    return re.fullmatch("[\u30A1-\u30FAー \u3000]+", s) is not None and s.strip(" \u3000") != ""


@string_format("jp-municipality-code")
def municipality_code(s):
    if not re.fullmatch(r"[0-9]{6}", s) or not 1 <= int(s[:2]) <= 47:
        return False
    total = sum(int(d) * w for d, w in zip(s, (6, 5, 4, 3, 2)))
    return (11 - total % 11) % 10 == int(s[5])


@string_format("jp-corporate-number")
def corporate_number(s):
    if not re.fullmatch(r"[0-9]{13}", s):
        return False
    # P_n = n-th digit of the last 12 from the right; Q_n = 1 for odd n, 2 for even n.
    total = sum(int(p) * (1 if n % 2 else 2) for n, p in enumerate(reversed(s[1:]), start=1))
    return 9 - total % 9 == int(s[0])


@string_format("jp-phone")
def phone(s):
    # Starts with 0; ASCII digits with single hyphens, none trailing; 10 or 11 digits.
    if not re.fullmatch(r"0[0-9]*(?:-[0-9]+)*", s):
        return False
    return 10 <= len(s.replace("-", "")) <= 11


def main():
    paths = sorted(SCHEMAS.glob("*/1.0.0.json"))  # common, facility, handoff, …, registration
    schemas = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    root = registry.contents("https://w3id.org/kyoten/schemas/registration/1.0.0")
    validator = Draft202012Validator(root, registry=registry, format_checker=checker)

    documents = valid = 0
    start = time.perf_counter()
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            documents += 1
            valid += validator.is_valid(json.loads(line))
    seconds = time.perf_counter() - start
    print(json.dumps({
        "tool": "python-jsonschema", "version": version("jsonschema"),
        "python": platform.python_version(),
        "documents": documents, "valid": valid, "invalid": documents - valid,
        "seconds": round(seconds, 3), "documents_per_second": round(documents / seconds, 1),
    }, separators=(",", ":")))


if __name__ == "__main__":
    main()
