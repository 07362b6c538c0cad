"""The memory limit holds in resident memory, not only in what is counted.

Each template below allocated far past 64 MiB before the limit noticed (the
first one added about 215 MB to the process); each now ends with the memory
limit in words, before the allocation.  The resident-memory checks run in a
fresh Python process and compare its peak growth (``VmHWM``) with the limit
as a ratio: nothing here asserts a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from twig import render
from twig.limits import TemplateLimitError, bounds

REPO = Path(__file__).resolve().parents[2]
LIMIT = 64 * 1024 * 1024

WORST = {
    "batch": "{{ (1..1000000)|batch(3)|length }}",
    "map-to-hashes": "{{ range(1, 1000000)|map(x => {a: x})|length }}",
    "map-to-nested": "{{ range(1, 300000)|map(x => {a: x, b: [x, x]})|length }}",
    "sort": "{{ range(1, 1000000)|sort|length }}",
    "reverse": "{{ range(1, 1000000)|reverse|length }}",
    "slice": "{{ range(1, 1000000)|slice(1)|length }}",
    "keys": "{{ range(1, 1000000)|keys|length }}",
    "merge": "{{ range(1, 500000)|merge(range(1, 500000))|length }}",
    "filter": "{{ range(1, 1000000)|filter(x => true)|length }}",
    "json-encode": "{{ range(1, 1000000)|json_encode|length }}",
    "url-encode": "{{ range(1, 1000000)|url_encode|length }}",
    "join": "{{ range(1, 1000000)|join(',')|length }}",
    "reduce": "{{ (range(1, 1000000)|reduce((c, v) => c ~ v, ''))|length }}",
    "loop-over-pairs": "{% for k, v in range(1, 1000000) %}{% endfor %}",
    "array-union": "{{ (range(1, 1000000) + {a: 1})|length }}",
    "two-ranges": "{{ range(1, 1000000)|length }}{{ range(2, 1000000)|length }}",
    "wide-text-doubling": (
        "{% set s = '😀' %}{% for i in 1..24 %}{% set s = s ~ s %}{% endfor %}"
    ),
    "title-of-wide-text": (
        "{% set s = '中' %}{% for i in 1..20 %}{% set s = s ~ s %}{% endfor %}"
        "{{ s|title|length }}"
    ),
    "striptags-of-wide-text": (
        "{% set s = '中' %}{% for i in 1..20 %}{% set s = s ~ s %}{% endfor %}"
        "{{ s|striptags|length }}"
    ),
    "escape-js": (
        "{% set s = '<' %}{% for i in 1..20 %}{% set s = s ~ s %}{% endfor %}"
        "{{ s|e('js')|length }}"
    ),
    "url-encode-wide-text": (
        "{% set s = '😀' %}{% for i in 1..20 %}{% set s = s ~ s %}{% endfor %}"
        "{{ s|url_encode|length }}"
    ),
    "split-into-pieces": (
        "{% set s = ',' %}{% for i in 1..20 %}{% set s = s ~ s %}{% endfor %}"
        "{{ s|split(',')|length }}"
    ),
    "nl2br": (
        "{% set s = '\\n' %}{% for i in 1..20 %}{% set s = s ~ s %}{% endfor %}"
        "{{ s|nl2br|length }}"
    ),
    "format-wide-padding": "{{ '%10000000s'|format('😀')|length }}",
}


@pytest.mark.parametrize("source", list(WORST.values()), ids=list(WORST))
def test_the_worst_allocating_templates_end_at_the_memory_limit(source):
    with pytest.raises(TemplateLimitError) as caught:
        render(source, {})
    assert caught.value.limit == "memory"
    assert caught.value.message.startswith(
        "The template exceeded its memory limit (64 MiB"
    )
    assert caught.value.line == 1


def test_data_of_a_realistic_size_still_renders():
    # Well within the limit as counted, and the same output as Twig.  The
    # largest takes about 0.8 s of the 2 s time limit: a generous one keeps a
    # busy machine (tests run in parallel) from failing a test of memory.
    with bounds(time=30):
        assert render("{{ range(1, 100000)|map(x => {a: x})|length }}") == "100000"
        assert render("{{ range(1, 100000)|sort|reverse|slice(1)|length }}") == (
            "99999"
        )
        accumulate = (
            "{% set d = {} %}{% for i in 1..1000 %}"
            "{% set d = d|merge({('k' ~ i): i}) %}{% endfor %}"
            "{{ d|length }} {{ d.k1000 }}"
        )
        assert render(accumulate) == "1000 1000"
        assert render("{{ max(range(1, 1000000)) }}") == "1000000"


SERVER = textwrap.dedent(
    """
    import json, sys, threading
    sys.path.insert(0, sys.argv[1])
    from twig import TemplateError, compile_template, limits
    from twig import return_large_blocks_to_the_system

    return_large_blocks_to_the_system()  # as the console does at start

    def status(key):
        with open("/proc/self/status") as lines:
            for line in lines:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024

    sources, threads = json.loads(sys.argv[2]), int(sys.argv[3])
    templates = [compile_template(source) for source in sources]

    def render(template):
        # Time is not what should stop them here: one CPU, many threads.
        with limits.bounds(time=60):
            try:
                template.render({})
            except TemplateError:
                pass

    for template in templates:
        with limits.bounds(memory=65536):
            render(template)
    base = status("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    workers = [
        threading.Thread(target=render, args=(templates[i % len(templates)],))
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    peak = status("VmHWM") - base
    print(json.dumps({"peak": peak, "after": status("VmRSS") - base}))
    """
)


def measure(sources: list[str], threads: int) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", SERVER, str(REPO), json.dumps(sources), str(threads)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc"
)

HEAVY = [
    WORST["batch"],
    WORST["map-to-hashes"],
    "{{ range(1, 100000)|map(x => {a: x, b: [x, x], c: 'xx' ~ x})|length }}",
    "{% set r = range(1, 120000) %}{{ r|sort|reverse|slice(1)|keys|length }}",
]


@needs_proc
def test_one_render_grows_the_process_by_less_than_the_limit():
    for source in HEAVY:
        growth = measure([source], threads=1)["peak"]
        assert growth / LIMIT < 1.0, (source, growth / LIMIT)


@needs_proc
def test_concurrent_renders_stay_within_their_limits_and_give_the_memory_back():
    result = measure(HEAVY, threads=8)
    assert result["peak"] / (8 * LIMIT) < 1.0, result
    # Back near the baseline: large blocks go back to the system when freed.
    assert result["after"] / LIMIT < 0.5, result
