#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reads one `granule check --json` report per line on stdin, one per DIR
given as an argument, and prints the Markdown table of docs/elf-survey.md."""
import json
import sys

reports = [json.loads(line) for line in sys.stdin if line.strip()]
dirs = sys.argv[1:]
tokens = [r["token"] for r in reports[0]["summary"]["routes"]]
head = ["directory", "ELF files", "granule loads"] + [
    f"{t}: whole / per segment / partly copied / copy" for t in tokens]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for d, r in zip(dirs, reports):
    s = r["summary"]
    judged = s["files"] - s["files_invalid"]
    refused = sum(s["loader_refusals"].values())
    cells = [f"`{d}`", str(judged), str(judged - refused)]
    for route in s["routes"]:
        every = route["per_segment_all_mapped"]
        cells.append(f"{route['whole']} / {every} / "
                     f"{route['per_segment'] - every} / {route['copy']}")
    print("| " + " | ".join(cells) + " |")
print()
for d, r in zip(dirs, reports):
    s = r["summary"]
    k = s["skipped"]
    why = {}
    for route in s["routes"]:
        for name, count in route["misfits"].items():
            why.setdefault(name, []).append(f"{count} on {route['token']}")
    reasons = "; ".join(f"{n}: {', '.join(c)}" for n, c in why.items())
    refusals = ", ".join(f"{count} {name}" for name, count in
                         s["loader_refusals"].items()) or "none"
    print(f"- `{d}`: skipped {k['not_elf']} not ELF, {k['other_elf']} other "
          f"ELF (objects), {k['symbolic_links']} symbolic links; "
          f"{s['files_invalid']} unreadable or invalid. Segments not mapped "
          f"whole: {reasons or 'none'}. granule itself would not load: "
          f"{refusals}.")
