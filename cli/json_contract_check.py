#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs every granule command with --json, as a script would, and checks each
output against docs/json.md with a strict parser: one object, schema 2, the
exit code inside it equal to the process's, addresses and offsets as hex
strings, sizes as numbers, one segment shape, every file present, an error
object when there is no report. Then file names that are not UTF-8 or hold
quotes, '<', '&' or a newline: valid JSON, valid SVG (xmllint), and text
output that shows the bytes as \\xHH.

Usage: json_contract_check.py GRANULE SAMPLE_DESCRIPTION SCRATCH_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

granule, sample, scratch = sys.argv[1:4]
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


HEX_KEYS = {"offset", "vaddr", "base", "address", "value", "start", "end",
            "first_page"}
SIZE_KEYS = {"filesz", "memsz", "align", "page_size", "allocation_granularity",
             "size", "image_alignment", "exit_code", "schema", "index",
             "bytes_mapped", "bytes_copied"}
SEGMENT_KEYS = ["index", "type", "flags", "offset", "vaddr", "filesz", "memsz",
                "align"]
HEX = re.compile(r"^0x[0-9a-f]+$")
ROUTES = {"shared", "per-segment", "copy"}
routes_seen = set()  # The (route, load_path) pairs the walk checked.


def check_load_path(value, where, context):
    """A verdict or load entry: load_path is "malloc" exactly on the copy
    route. demo's simulated machines report the path alone."""
    route = value.get("route")
    if route is None:
        if ".machines[" not in where:
            fail(f"{context}: {where} has load_path but no route")
        return
    if route not in ROUTES:
        fail(f"{context}: {where}.route = {route!r}, not one of {ROUTES}")
    if (value["load_path"] == "malloc") != (route == "copy"):
        fail(f"{context}: {where} has load_path {value['load_path']!r} on "
             f"route {route!r}; 'malloc' is the copy route's only")
    routes_seen.add((route, value["load_path"]))


def walk(value, where, context):
    if isinstance(value, dict):
        if "path" in value:
            fail(f"{context}: {where} has 'path'; file names are 'file', "
                 "the load path 'load_path'")
        if "load_path" in value:
            check_load_path(value, where, context)
        for key, item in value.items():
            here = f"{where}.{key}"
            if key in HEX_KEYS and not (isinstance(item, str) and HEX.match(item)):
                fail(f"{context}: {here} = {item!r} is not a hex string")
            if key in SIZE_KEYS and not (isinstance(item, int) and
                                         not isinstance(item, bool)):
                fail(f"{context}: {here} = {item!r} is not a number")
            if key == "summary" and not isinstance(item, dict):
                fail(f"{context}: {here} is not the totals object")
            if key.endswith("_hex") and isinstance(item, str):
                try:
                    bytes.fromhex(item)
                except ValueError:
                    fail(f"{context}: {here} = {item!r} is not hex bytes")
            if key == "segments" and isinstance(item, list) and item and \
                    isinstance(item[0], dict):
                for i, segment in enumerate(item):
                    missing = [k for k in SEGMENT_KEYS if k not in segment]
                    if missing:
                        fail(f"{context}: {here}[{i}] lacks {missing}")
            walk(item, here, context)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            walk(item, f"{where}[{i}]", context)


def run(args, want_code, context=None):
    """Runs granule; returns (parsed JSON, stdout bytes, stderr bytes)."""
    context = context or " ".join(os.fsdecode(a) for a in args)
    done = subprocess.run([granule] + args, capture_output=True)
    if done.returncode != want_code:
        fail(f"{context}: exit {done.returncode}, want {want_code}; "
             f"stderr: {done.stderr!r}")
    if "--json" not in args:
        return None, done.stdout, done.stderr
    try:
        text = done.stdout.decode("utf-8", errors="strict")
        if text.count("\n") != 1 or not text.endswith("\n"):
            fail(f"{context}: not one line: {text!r}")
        report = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        fail(f"{context}: not UTF-8 JSON ({error}): {done.stdout!r}")
        return None, done.stdout, done.stderr
    if not isinstance(report, dict):
        fail(f"{context}: not an object: {report!r}")
        return None, done.stdout, done.stderr
    if report.get("schema") != 2:
        fail(f"{context}: schema {report.get('schema')!r}, want 2")
    if report.get("exit_code") != done.returncode:
        fail(f"{context}: exit_code {report.get('exit_code')!r} but the "
             f"process exited {done.returncode}")
    if not isinstance(report.get("command"), str):
        fail(f"{context}: no command name")
    if done.returncode != 0 and len(report) == 4 and \
            not isinstance(report.get("error"), str):
        fail(f"{context}: failure without an error: {report!r}")
    walk(report, "", context)
    return report, done.stdout, done.stderr


def expect(condition, message):
    if not condition:
        fail(message)


image = os.path.join(scratch, "sample.go")
report, _, _ = run(["link", sample, "-o", image, "--json"], 0)
if report:
    expect(report["command"] == "link", f"link's command: {report}")
    expect(report["image"]["file"] == image, f"link's image.file: {report}")
    expect(report["output"] == image, f"link's output: {report}")

report, _, _ = run(["info", "--json"], 0)
if report:
    expect(report["page_size"] == os.sysconf("SC_PAGESIZE"),
           f"info's page_size: {report}")

report, _, _ = run(["check", "--json", image], 0)
if report:
    (only,) = report["files"]
    expect(only["file"] == image, f"check's file: {only}")
    expect([v["load_path"] for v in only["verdicts"]] == ["shared"] * 4,
           f"check's verdicts: {only}")
    expect(all(s["type"] == "LOAD" for s in only["segments"]),
           f"check's segments: {only}")
report, _, _ = run(["check", "--json", "--page-size=256k", image], 3)
if report:
    (verdict,) = report["files"][0]["verdicts"]
    expect(verdict["load_path"] == "malloc" and verdict["route"] == "copy" and
           not verdict["every_segment_mapped"],
           f"check's 256k verdict: {verdict}")
    routes = verdict["segment_routes"]
    expect(routes and all(r["route"] == "copied" and r["why"] and
                          isinstance(r["bytes_copied"], int) for r in routes),
           f"check's 256k segment routes: {routes}")
text_file = os.path.join(scratch, "notes.txt")
with open(text_file, "w") as out:
    out.write("not an ELF image\n")

# A directory: its ELF files listed, the rest counted as skipped.
tree = os.path.join(scratch, "tree")
os.makedirs(tree, exist_ok=True)
shutil.copy(image, os.path.join(tree, "sample.go"))
shutil.copy(text_file, os.path.join(tree, "notes.txt"))
report, _, _ = run(["check", "--json", "--page-size=4k,64k", tree], 0)
if report:
    expect([f["file"] for f in report["files"]] ==
           [os.path.join(tree, "sample.go")], f"check DIR's files: {report}")
    entry = report["files"][0]
    expect([v["route"] for v in entry["verdicts"]] == ["shared", "shared"],
           f"check DIR's routes: {entry}")
    expect(entry["loader"] == {"loads": True, "refusal": "none", "reason": ""},
           f"check DIR's loader verdict: {entry}")
    summary = report["summary"]
    expect(summary["skipped"]["not_elf"] == 1 and summary["directories"] == 1
           and summary["files"] == 1, f"check DIR's summary: {summary}")
    expect([(r["token"], r["whole"], r["per_segment"], r["copy"])
            for r in summary["routes"]] == [("4k", 1, 0, 0), ("64k", 1, 0, 0)],
           f"check DIR's route totals: {summary}")
report, _, _ = run(["check", "--json", text_file], 1)
if report:
    expect("not an ELF file" in report["files"][0]["error"],
           f"check's error: {report}")

# More files than the text report details: JSON lists each, failures too.
copies = []
for i in range(25):
    copies.append(os.path.join(scratch, f"copy{i}.go"))
    shutil.copyfile(image, copies[-1])
missing = os.path.join(scratch, "missing.go")
report, _, _ = run(["load", "--json"] + copies + [missing], 1,
                   "load --json of 26 files")
if report:
    files = report["files"]
    expect([f["file"] for f in files] == copies + [missing],
           f"load --json does not list the 26 files in order: "
           f"{[f['file'] for f in files]}")
    expect("error" in files[-1] and "segments" not in files[-1],
           f"load's failed file: {files[-1]}")
    expect(report["summary"]["files"] == 26 and
           report["summary"]["failed"] == 1, f"load's summary: {report}")
    loaded = files[0]
    expect(loaded["load_path"] in ("shared", "malloc"), f"load: {loaded}")
    expect(loaded["route"] in ("shared", "per-segment", "copy"),
           f"load's route: {loaded}")
    for key in ("bytes_mapped", "bytes_copied"):
        expect(isinstance(loaded.get(key), int), f"load's {key}: {loaded}")
    expect(isinstance(loaded.get("segment_routes"), list) and
           (loaded["route"] == "per-segment") ==
           bool(loaded["segment_routes"]),
           f"load's segment_routes: {loaded}")
    expect(int(loaded["base"], 16) % 65536 == 0, f"load's base: {loaded}")
    for segment in loaded["segments"]:
        address = int(segment["address"], 16)
        expect(address == int(loaded["base"], 16) + int(segment["vaddr"], 16),
               f"load's segment address: {segment} base {loaded['base']}")

report, _, _ = run(["map", "--json", image], 0)
if report:
    expect(report["file"] == image, f"map's file: {report}")
    expect("ELF64" in report["overview"], f"map's overview: {report}")
    expect([b["token"] for b in report["page_sizes"]] == ["4k", "16k", "64k"],
           f"map's page sizes: {report}")

# A per-segment image: aligned to 1 KiB, its first segment over five 4 KiB
# pages, the last shared with the other two segments. On 4 and 16 KiB pages
# the shared path maps what fits and copies the rest; on 64 KiB, only a copy.
with open(sample) as description:
    lines = description.read().splitlines()
per_segment_description = os.path.join(scratch, "per-segment.image")
with open(per_segment_description, "w") as out:
    for line in lines:
        if line.startswith("section .rodata"):
            line = "section .rodata r align 16 fill 20000 0"
        out.write(line + "\n")
        if line.startswith("layout "):
            out.write("alignment 1k\n")
per_segment = os.path.join(scratch, "per-segment.go")
run(["link", per_segment_description, "-o", per_segment], 0)
report, _, _ = run(["check", "--json", "--page-size=4k,64k", per_segment], 3)
if report:
    four, sixty_four = report["files"][0]["verdicts"]
    expect((four["route"], four["load_path"]) == ("per-segment", "shared") and
           four["reason"] and four["bytes_mapped"] > 0,
           f"check's per-segment verdict: {four}")
    expect((sixty_four["route"], sixty_four["load_path"]) == ("copy", "malloc"),
           f"check's copy verdict: {sixty_four}")
report, _, _ = run(["map", "--json", "--page-size=4k", per_segment], 0)
if report:
    (band,) = report["page_sizes"]
    expect((band["route"], band["load_path"]) == ("per-segment", "shared"),
           f"map's per-segment verdict: {band}")
report, _, _ = run(["load", "--json", per_segment], 0)
if report:
    (loaded,) = report["files"]
    want = "per-segment" if os.sysconf("SC_PAGESIZE") <= 16384 else "copy"
    expect(loaded["route"] == want, f"load's route, want {want}: {loaded}")
    expect(want == "copy" or (loaded["segment_routes"] and
                              loaded["bytes_mapped"] > 0),
           f"load's per-segment entry: {loaded}")
    for route in loaded["segment_routes"]:
        expect(set(route) == {"index", "route", "bytes_mapped",
                              "bytes_copied", "why"},
               f"load's segment route: {route}")

report, _, _ = run(["demo", "--json"], 0)
if report:
    expect(len(report["loads"]) == 2, f"demo's loads: {report}")

# Failures: an error object, never empty output.
for args, code in [
        (["map", "--json", missing], 1),
        (["map", "--json"], 2),
        (["map", "--json", "--svg", image], 2),
        (["link", "--json", sample], 2),
        (["link", "--json", missing, "-o", os.path.join(scratch, "x.go")], 1),
        (["load", "--json", "--path=sideways", image], 2),
        (["check", "--json", "--page-size=1", image], 2),
        (["info", "--json", "--bogus"], 2),
        (["frobnicate", "--json"], 2),
        (["--json"], 2),
]:
    report, _, _ = run(args, code)
    if report:
        expect(isinstance(report.get("error"), str) and report["error"],
               f"{args}: no error in {report}")

# File names as bytes. Valid UTF-8 (even with quotes, '<', '&', a newline)
# comes back exactly; other bytes as \xHH, with the exact bytes in file_hex.
names = {
    b"bad\xffname.go": ("bad\\xffname.go", "bad\\xffname.go"),
    b'quote"d.go': ('quote"d.go', 'quote"d.go'),
    b"a<b&c>.go": ("a<b&c>.go", "a<b&c>.go"),
    b"new\nline.go": ("new\nline.go", "new\\x0aline.go"),
}
for raw, (in_json, in_text) in names.items():
    path = os.path.join(os.fsencode(scratch), raw)
    shutil.copyfile(image, path)
    want_json = os.path.join(scratch, in_json)
    for command in (["check"], ["load"], ["map"]):
        report, _, _ = run(command + ["--json", path], 0,
                           f"{command[0]} --json of {raw!r}")
        if not report:
            continue
        entry = report if command == ["map"] else report["files"][0]
        expect(entry["file"] == want_json,
               f"{command[0]} --json file of {raw!r}: {entry['file']!r}")
        if b"\xff" in raw:
            expect(bytes.fromhex(entry.get("file_hex", "")) == path,
                   f"{command[0]} --json file_hex of {raw!r}: {entry}")
        else:
            expect("file_hex" not in entry,
                   f"{command[0]} --json file_hex for a UTF-8 name: {entry}")
    _, out, _ = run(["check", path], 0, f"check of {raw!r}")
    first = out.decode("utf-8", errors="strict").splitlines()[0]
    expect(first.startswith(os.path.join(scratch, in_text) + ": ELF64"),
           f"check's text names {raw!r} as {first!r}")
    _, svg, _ = run(["map", "--svg", path], 0, f"map --svg of {raw!r}")
    if shutil.which("xmllint"):
        lint = subprocess.run(["xmllint", "--noout", "-"], input=svg,
                              capture_output=True)
        expect(lint.returncode == 0,
               f"map --svg of {raw!r} is not XML: {lint.stderr!r}")
    else:
        fail("xmllint is missing (libxml2-utils)")
    # An error message naming the file: shown, not copied, on stderr.
    gone = path + b".missing"
    _, _, err = run(["check", gone], 1, f"check of a missing {raw!r}")
    expect(os.path.join(scratch, in_text).encode() in err and b"\xff" not in err,
           f"check's error for {raw!r}: {err!r}")

expect(routes_seen >= {("shared", "shared"), ("per-segment", "shared"),
                       ("copy", "malloc")},
       f"load_path checked against each route: only {sorted(routes_seen)}")
print(f"{len(failures)} failures" if failures else "json contract: all passed")
sys.exit(1 if failures else 0)
