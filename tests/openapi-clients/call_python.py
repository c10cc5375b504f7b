"""Calls every operation of kyoten's OpenAPI document through the client openapi-python-client
generated from it, in the order of plan.json, against a running demo server.

    python call_python.py CLIENT_DIR OPENAPI_JSON PLAN_JSON BASE_URL DEMO_KEYS_ENV

Each call goes through the generated function (`kyoten_client.api.<tag>.<operation>`) with the
generated model built from the body (`Model.from_dict`), and its answer must be the status the
plan expects, parsed by the generated client into its model; the model must give back the JSON
the server sent (`to_dict()`), so that no member is lost or misread. Exit 1 on the first failure.
"""

import datetime
import importlib
import inspect
import io
import json
import re
import sys
import types
import typing

JST = datetime.timezone(datetime.timedelta(hours=9))


def snake(name: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)).lower()


def demo_variables(path: str) -> dict:
    """`export NAME=value   # comment` lines, as `kyoten serve --demo` writes them."""
    found = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r"export (\w+)=(\S+)", line)
        if m:
            found[m.group(1)] = m.group(2)
    now = datetime.datetime.now(JST).replace(microsecond=0)
    found["NOW"] = now.isoformat()
    found["TODAY"] = now.date().isoformat()
    return found


def substitute(value, variables):
    if isinstance(value, str):
        return re.sub(r"\$\{(\w+)\}", lambda m: variables[m.group(1)], value)
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


def alternatives(annotation):
    """The types a `body` parameter accepts (its union members), Unset left out."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = typing.get_args(annotation)
    else:
        members = (annotation,)
    return [m for m in members if getattr(m, "__name__", "") != "Unset"]


def json_body(annotation, value):
    """The generated model for a JSON body: the one that takes the value and gives it back."""
    models = [m for m in alternatives(annotation) if hasattr(m, "from_dict")]
    if not models:
        return value  # declared as any JSON value
    for model in models:
        try:
            built = model.from_dict(value)
        except (KeyError, TypeError, ValueError):
            continue
        if built.to_dict() == value:
            return built
    raise AssertionError(f"no generated model ({[m.__name__ for m in models]}) takes the body and gives it back")


def main() -> int:
    client_dir, openapi_path, plan_path, base, keys = sys.argv[1:6]
    sys.path.insert(0, client_dir)
    client_module = importlib.import_module("kyoten_client")
    from kyoten_client.types import File

    doc = json.load(open(openapi_path, encoding="utf-8"))
    operations = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                operations[op["operationId"]] = (method, path, op)
    plan = json.load(open(plan_path, encoding="utf-8"))["steps"]
    missing = set(operations) - {s["op"] for s in plan}
    if missing:
        print(f"plan.json does not call: {sorted(missing)}", file=sys.stderr)
        return 1

    variables = demo_variables(keys)
    for number, step in enumerate(plan, 1):
        method, path, op = operations[step["op"]]
        label = f"step {number}: {step['op']} ({method.upper()} {path})"
        module = importlib.import_module(f"kyoten_client.api.{snake(op['tags'][0])}.{snake(step['op'])}")
        function = module.sync_detailed
        hints = typing.get_type_hints(function)
        if "as" in step:
            client = client_module.AuthenticatedClient(base_url=base, token=variables[step["as"]])
        else:
            client = client_module.Client(base_url=base)
        if "accept" in step:
            client = client.with_headers({"Accept": step["accept"]})
        kwargs = {}
        for part in ("path", "query", "header"):
            for name, value in step.get(part, {}).items():
                kwargs[snake(name)] = substitute(value, variables)
        for name, value in list(kwargs.items()):
            # Enumerated parameters take the generated enum.
            kind = next((t for t in alternatives(hints.get(name)) if inspect.isclass(t) and issubclass(t, str) and t is not str), None)
            if kind is not None:
                kwargs[name] = kind(value)
            elif int in alternatives(hints.get(name)) and isinstance(value, str):
                kwargs[name] = int(value)
        if "body" in step:
            media = step.get("media", "application/json")
            if step["body"] == "example":
                body = op["requestBody"]["content"][media]["example"]
            else:
                body = substitute(step["body"], variables)
            if media == "application/json" or media.endswith("+json"):
                kwargs["body"] = json_body(hints["body"], body)
            else:
                kwargs["body"] = File(payload=io.BytesIO(body.encode()), mime_type=media)
        answer = function(client=client, **kwargs)
        if answer.status_code != step["status"]:
            print(f"{label}: status {int(answer.status_code)}, expected {step['status']}: {answer.content[:400]!r}", file=sys.stderr)
            return 1
        declared = op["responses"].get(str(step["status"]), {}).get("content", {})
        if "application/json" in declared and step.get("accept", "application/json") == "application/json":
            sent = json.loads(answer.content)
            parsed = answer.parsed
            if parsed is None or type(parsed).__name__ == "Problem":
                print(f"{label}: the generated client did not parse the answer", file=sys.stderr)
                return 1
            if hasattr(parsed, "to_dict") and parsed.to_dict() != sent:
                print(f"{label}: the generated model {type(parsed).__name__} does not give back the answer", file=sys.stderr)
                return 1
        for name, source in step.get("save", {}).items():
            if source == "text":
                variables[name] = answer.content.decode()
            elif source.startswith("header:"):
                variables[name] = answer.headers[source[len("header:"):]]
            else:
                variables[name] = str(_pointer(json.loads(answer.content), source[len("body:"):]))
        print(f"ok {label}: {int(answer.status_code)}")
    print(f"openapi-python-client: {len(plan)} calls, {len(operations)} operations, all as expected")
    return 0


def _pointer(value, pointer: str):
    for token in pointer.strip("/").split("/"):
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


if __name__ == "__main__":
    sys.exit(main())
