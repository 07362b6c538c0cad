# ruff: noqa: E501 - the templates are written as an integration developer would.
"""Render the most memory-hungry templates eight at a time and measure the server.

Run as ``.venv/bin/python bench/memory.py [--rounds R] [--threads T]``.

A fresh Python process stands for the server: it compiles the templates,
measures its resident memory (the baseline), then renders them in T threads
at once (each thread a different template), R rounds in a row.  Printed:

* the peak resident memory over the baseline (``VmHWM``), against the goal of
  T × the memory limit (64 MiB each): every render stays within its own
  limit, so together they stay within T of them;
* the worst single render's peak growth, against the memory limit;
* the resident memory after each round, after ``gc.collect()`` and after
  ``malloc_trim(0)`` (glibc keeps freed memory of threads' arenas until
  asked), against the baseline: nothing a render made is kept.

The time limit is raised to 60 s in the server, so that memory, not time, is
what stops each template (eight renders share one CPU through the GIL).
Nothing absolute is asserted: the figures are ratios and megabytes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024

# The worst templates found: each allocates as close to the 64 MiB limit as
# it can (ranges, batch, map with arrays and hashes, sort/reverse/slice/keys,
# string doubling, captures, wide text through the escapers, max, filter).
WORST = [
    "{{ (1..1000000)|batch(3)|length }}",
    "{{ range(1, 100000)|map(x => {a: x, b: [x, x], c: 'xx' ~ x})|length }}",
    "{% set r = range(1, 120000) %}{{ r|sort|reverse|slice(1)|keys|length }}",
    "{{ range(1, 100000)|map(x => [x, x, x, x, x, x, x, x])|length }}",
    "{{ max(range(1, 800000)) }}",
    "{% set s %}{% for i in 1..100000 %}{{ i }}xxxxxxxxxxxxxxxxxxxxxx{% endfor %}{% endset %}{{ s|length }}",
    "{% set s = '😀' %}{% for i in 1..20 %}{% set s = s ~ s %}{% endfor %}{{ s|url_encode|length }}{{ s|json_encode|length }}{{ s|e('html_attr')|length }}",
    "{% set s = 'x' %}{% for i in 1..30 %}{% set s = s ~ s %}{% endfor %}{{ s|length }}",
    "{{ range(1, 200000)|filter(x => x is odd)|length }}",
    "{{ range(1, 1000000)|map(x => x ~ '')|length }}",
    "{% set d = {} %}{% for i in 1..1500 %}{% set d = d|merge({('k' ~ i): i}) %}{% endfor %}{{ d|json_encode|length }}",
    "{% set s = 'ab,' %}{% for i in 1..21 %}{% set s = s ~ s %}{% endfor %}{{ s|split(',')|length }}",
]

SERVER = r"""
import ctypes, gc, json, sys, threading
sys.path.insert(0, sys.argv[1])
from twig import TemplateError, bounds, compile_template
from twig import return_large_blocks_to_the_system

return_large_blocks_to_the_system()  # as the console does at start

def status(key):
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

def reset_peak():
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")

libc = ctypes.CDLL("libc.so.6")
templates = [compile_template(source) for source in json.loads(sys.argv[2])]
rounds, threads = int(sys.argv[3]), int(sys.argv[4])

def render(template):
    with bounds(time=60):
        try:
            template.render({})
            return "rendered"
        except TemplateError as error:
            return getattr(error, "limit", "error")

def settle():
    gc.collect()
    libc.malloc_trim(0)

for template in templates:  # warm every code path once, at a small size
    with bounds(memory=64 * 1024):
        try:
            template.render({})
        except TemplateError:
            pass
settle()
baseline = status("VmRSS")
report = {"baseline": baseline, "single": [], "rounds": []}

for index, template in enumerate(templates):
    settle()
    start = status("VmRSS")
    reset_peak()
    outcome = render(template)
    report["single"].append([index, status("VmHWM") - start, outcome])

settle()
reset_peak()
for number in range(rounds):
    outcomes = {}
    def work(offset):
        for step in range(-(-2 * len(templates) // threads)):
            template = templates[(offset + step * threads) % len(templates)]
            outcome = render(template)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    gc.collect()
    kept = status("VmRSS")
    libc.malloc_trim(0)
    report["rounds"].append(
        {"outcomes": outcomes, "kept": kept, "trimmed": status("VmRSS")}
    )
report["peak"] = status("VmHWM")
print(json.dumps(report))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    options = parser.parse_args()
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            SERVER,
            str(REPO),
            json.dumps(WORST),
            str(options.rounds),
            str(options.threads),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    baseline = report["baseline"]
    limit = 64 * MiB

    print(f"server baseline: {baseline / MiB:.0f} MiB resident")
    print("one render at a time, peak growth / memory limit (64 MiB):")
    for index, growth, outcome in report["single"]:
        source = WORST[index]
        short = source if len(source) <= 70 else source[:67] + "..."
        print(f"  {growth / limit:5.2f}×  {outcome:8}  {short}")
    worst = max(growth for _, growth, _ in report["single"])
    print(
        f"worst single render: {worst / MiB:.0f} MiB = {worst / limit:.2f}× the limit"
    )

    peak = report["peak"] - baseline
    goal = options.threads * limit
    print(
        f"{options.threads} renders at a time, {options.rounds} rounds: peak growth "
        f"{peak / MiB:.0f} MiB = {peak / goal:.2f}× the goal "
        f"({options.threads} × 64 MiB = {goal // MiB} MiB)"
    )
    for number, result in enumerate(report["rounds"], 1):
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result["outcomes"].items()))
        print(
            f"  round {number}: after gc.collect +{(result['kept'] - baseline) / MiB:.0f}"
            f" MiB, after malloc_trim +{(result['trimmed'] - baseline) / MiB:.0f} MiB"
            f" over the baseline ({outcomes})"
        )


if __name__ == "__main__":
    main()
