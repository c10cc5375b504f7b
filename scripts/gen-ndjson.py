#!/usr/bin/env python3
"""Writes N registrations as NDJSON for benchmarks: the valid conformance vectors with varied
fictional names and dates, and one in ten made invalid (short stay without the caregiver reason).

usage: scripts/gen-ndjson.py N OUT.ndjson
"""
import copy
import json
import pathlib
import random
import sys

root = pathlib.Path(__file__).resolve().parent.parent / "conformance/vectors/registration/valid"
bases = [json.loads((root / name).read_text(encoding="utf-8")) for name in ("full.json", "minimal.json")]
kana = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
kanji = "山川田中本村林森石井上下大小高木松竹梅花"

def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(2026)
    total = 0
    with open(out, "w", encoding="utf-8") as f:
        for i in range(n):
            doc = copy.deepcopy(bases[i % 2])
            name = doc["registrant"]["name"]
            name["family"] = "".join(rng.choice(kanji) for _ in range(2))
            name["family_kana"] = "".join(rng.choice(kana) for _ in range(4))
            doc["registrant"]["birth_date"] = f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            if i % 10 == 9:
                doc["registration_reasons"] = ["disability_related_crisis"]
                doc["emergency_plan"]["desired_services"] = ["short_stay"]
            line = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
            total += len(line.encode("utf-8")) + 1
            f.write(line + "\n")
    print(f"{n} documents, {total} bytes, {total / n:.0f} bytes/document")

main()
