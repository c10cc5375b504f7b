#!/usr/bin/env python3
"""Writes a pgbench script that inserts the rows one registration create writes, as raw SQL:
the demo registration's own rows (registration, first office assignment, version 1, search
keys, a pending access record) copied from a database `kyoten serve --demo` made, each with a
new id per transaction; plus the create's one read (the municipality's review interval).
usage: scripts/pgbench-create.py DATABASE_NAME > create.sql   (used by scripts/bench-creates.sh)
"""
import subprocess, sys

db = sys.argv[1]
DEMO = "reg_demo_aoba_1"


def rows(table, where):
    out = subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "--data-only",
         "--column-inserts", "-t", table],
        check=True, capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if l.startswith("INSERT") and where in l]


def new_ids(line):
    # The row's id columns take the transaction's number; the document keeps its text.
    head, sep, values = line.partition(" VALUES (")
    return head + sep + values.replace(f"'{DEMO}'", "'reg_pgb_' || :n", 1)


registration = new_ids(rows("public.registrations", f"('{DEMO}'")[0])
assignment = new_ids(rows("public.office_assignments", f"('{DEMO}'")[0])
version = new_ids(rows("public.registration_versions", f"('{DEMO}'")[0])
keys = [new_ids(l) for l in rows("public.registration_search_keys", f"'{DEMO}')")]
access = rows("public.access_records", f"'create', 'registration', '{DEMO}'")[0]
head, _, values = access.partition(" VALUES (")
fields = values.rstrip(");").split(", ")
fields[0] = "'acc_pgb_' || :n"
fields[5] = "'reg_pgb_' || :n"
fields[-2:] = ["NULL", "'pending'"]
access = f"{head} VALUES ({', '.join(fields)});"
key_values = ", ".join(k.partition(" VALUES ")[2].rstrip(";") for k in keys)
print("\\set n random(1, 1000000000000)")
print("BEGIN;")
print("SELECT review_interval_months FROM municipality_settings WHERE municipality_code = '041009';")
for line in (registration, assignment, version):
    print(line)
print(keys[0].partition(" VALUES ")[0] + " VALUES " + key_values + ";")
print(access)
print("COMMIT;")
