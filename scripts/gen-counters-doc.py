#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generates docs/counters.md from every counter table and equation table in the tree.

A counter table is any `std::array<[ns::]counter_info, N> NAME{{ {"stage.reason", "text"}, ... }}`
in a header under lib/ or apps/ (telemetry::counter_info and stage-local copies of it alike);
an equation table is `std::array<[ns::]equation_info, N> NAME{{ {"name", "expression",
reconcile_when::X, "text"}, ... }}`. The script reads the C++ text (comments stripped, adjacent
string literals joined), so a table added anywhere appears in the doc with no registration.

  gen-counters-doc.py --root SRC --write   rewrite docs/counters.md
  gen-counters-doc.py --root SRC --check   exit 1 (with a diff) when the doc is out of date

It also refuses what would make the doc or the reconciliation lie: a name that is not
`stage.reason`, a name in two tables, an empty description, an equation term that matches no
counter anywhere in the tree.
"""
import argparse
import difflib
import fnmatch
import pathlib
import re
import sys

NAME_RE = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
TOKEN_RE = re.compile(
    r'"(?:[^"\\\n]|\\.)*"'  # string literal
    r"|'(?:[^'\\\n]|\\.)*'"  # char literal
    r"|[A-Za-z_][A-Za-z0-9_]*"
    r"|\d[\w.']*"
    r"|::|->|[^\sA-Za-z0-9_]"
)


class Error(Exception):
    pass


def strip_comments(text):
    out = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def unquote(tok):
    body = tok[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def tokens(text):
    return TOKEN_RE.findall(strip_comments(text))


def parse_string(toks, i, where):
    """Adjacent string literals from toks[i]; returns (value, next index)."""
    if i >= len(toks) or not toks[i].startswith('"'):
        raise Error(f"{where}: expected a string literal, found {toks[i] if i < len(toks) else 'EOF'!r}")
    parts = []
    while i < len(toks) and toks[i].startswith('"'):
        parts.append(unquote(toks[i]))
        i += 1
    return "".join(parts), i


def expect(toks, i, tok, where):
    if i >= len(toks) or toks[i] != tok:
        raise Error(f"{where}: expected {tok!r}, found {toks[i] if i < len(toks) else 'EOF'!r}")
    return i + 1


def parse_entries(toks, i, kind, where):
    """Parses `{{ {..}, {..} }}` (or `= {{ ... }}`) from toks[i]; returns (entries, next)."""
    if toks[i] == "=":
        i += 1
    i = expect(toks, i, "{", where)
    i = expect(toks, i, "{", where)
    entries = []
    while True:
        i = expect(toks, i, "{", where)
        name, i = parse_string(toks, i, where)
        i = expect(toks, i, ",", where)
        if kind == "counter":
            desc, i = parse_string(toks, i, where)
            entries.append({"name": name, "description": desc})
        else:
            expr, i = parse_string(toks, i, where)
            i = expect(toks, i, ",", where)
            when = None
            while toks[i] != ",":
                when = toks[i]
                i += 1
            i = expect(toks, i, ",", where)
            desc, i = parse_string(toks, i, where)
            entries.append({"name": name, "expression": expr, "when": when, "description": desc})
        i = expect(toks, i, "}", where)
        if toks[i] == ",":
            i += 1
        if toks[i] == "}":
            break
    i = expect(toks, i, "}", where)
    i = expect(toks, i, "}", where)
    return entries, i


def find_tables(path, rel):
    toks = tokens(path.read_text(encoding="utf-8"))
    found = []
    namespace = ""
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "namespace" and i + 1 < len(toks) and re.match(r"[A-Za-z_]", toks[i + 1]):
            j = i + 1
            parts = []
            while j < len(toks) and (re.match(r"[A-Za-z_]", toks[j]) or toks[j] == "::"):
                parts.append(toks[j])
                j += 1
            if j < len(toks) and toks[j] == "{":
                namespace = "".join(parts)
            i = j
            continue
        if t == "array" and i >= 2 and toks[i - 1] == "::" and toks[i - 2] == "std" \
                and i + 1 < len(toks) and toks[i + 1] == "<":
            # Template argument list up to the matching '>'.
            j = i + 2
            depth = 1
            args = []
            while j < len(toks) and depth > 0:
                if toks[j] == "<":
                    depth += 1
                elif toks[j] == ">":
                    depth -= 1
                if depth > 0:
                    args.append(toks[j])
                j += 1
            elem = []
            for a in args:
                if a == ",":
                    break
                elem.append(a)
            kind = None
            if elem and elem[-1] == "counter_info":
                kind = "counter"
            elif elem and elem[-1] == "equation_info":
                kind = "equation"
            # A definition: `> NAME {` or `> NAME = {`; parameters and aliases are skipped.
            if kind and j + 1 < len(toks) and re.match(r"[A-Za-z_]", toks[j]) \
                    and toks[j + 1] in ("{", "="):
                name = toks[j]
                where = f"{rel}: {name}"
                entries, k = parse_entries(toks, j + 1, kind, where)
                found.append({"kind": kind, "file": rel, "symbol": f"{namespace}::{name}",
                              "entries": entries})
                i = k
                continue
            i = j
            continue
        i += 1
    return found


def collect(root):
    tables = []
    for sub in ("lib", "apps"):
        base = root / sub
        if not base.is_dir():
            continue
        for p in sorted(base.rglob("*")):
            if p.suffix in (".hpp", ".h", ".cpp") and p.is_file():
                tables += find_tables(p, p.relative_to(root).as_posix())
    return tables


def validate(tables):
    seen = {}
    counters = []
    for t in tables:
        if not t["entries"]:
            raise Error(f"{t['file']}: {t['symbol']} is empty")
        for e in t["entries"]:
            where = f"{t['file']}: {t['symbol']}: {e['name']!r}"
            if not NAME_RE.match(e["name"]):
                raise Error(f"{where}: name is not stage.reason (lowercase, digits, _)")
            if not e["description"].strip():
                raise Error(f"{where}: empty description")
            key = (t["kind"], e["name"])
            if key in seen:
                raise Error(f"{where}: also declared in {seen[key]}")
            seen[key] = f"{t['file']}: {t['symbol']}"
            if t["kind"] == "counter":
                counters.append(e["name"])
    for t in tables:
        if t["kind"] != "equation":
            continue
        for e in t["entries"]:
            if e["expression"].count("=") != 1:
                raise Error(f"{t['file']}: {e['name']}: expression needs exactly one '='")
            for term in re.split(r"[=+\-]", e["expression"]):
                term = term.strip()
                if not term:
                    continue
                if not re.match(r"^[a-z0-9_.*]+$", term):
                    raise Error(f"{t['file']}: {e['name']}: bad term {term!r}")
                if not any(fnmatch.fnmatchcase(c, term) for c in counters):
                    raise Error(f"{t['file']}: {e['name']}: term {term!r} matches no counter "
                                "in the tree")


def md_cell(text):
    return " ".join(text.split()).replace("|", "\\|")


def render(tables):
    counters = sorted((t for t in tables if t["kind"] == "counter"),
                      key=lambda t: (t["entries"][0]["name"].split(".")[0], t["file"], t["symbol"]))
    equations = sorted((t for t in tables if t["kind"] == "equation"),
                       key=lambda t: (t["file"], t["symbol"]))
    n_counters = sum(len(t["entries"]) for t in counters)
    out = []
    w = out.append
    w("<!-- Generated by scripts/gen-counters-doc.py from the counter and equation tables in the")
    w("     tree; the counters_doc test fails when this file is out of date. Do not edit by hand:")
    w("     python3 scripts/gen-counters-doc.py --root . --write -->")
    w("# siehub counters")
    w("")
    w("Every drop has a reason and every reason a counter. Counters are named `stage.reason`;")
    w("each worker owns a cache-aligned block of plain u64 counters per stage (single writer,")
    w("no atomics on the data plane) and the control side reads them through the telemetry")
    w("registry (`lib/telemetry/registry.hpp`): totals, per worker, per port and per channel.")
    w("")
    w("Where to read them:")
    w("")
    w("* `--stats-json FILE`: the final totals, per-worker, per-port and per-channel counters,")
    w("  the reconciliation verdicts and the run duration (`lib/telemetry/stats_json.hpp`).")
    w("* The live line the control thread prints once per second: frames and payloads in/out")
    w("  per second, dedup suppressed, drops with the top reasons (`lib/telemetry/live_line.hpp`).")
    w("* DPDK telemetry (`dpdk-telemetry.py -f <file-prefix>`): `/siehub/counters[,GLOB]`,")
    w("  `/siehub/counters/worker,N[,GLOB]`, `/siehub/ports[,ID]`, `/siehub/channels[,CH]`,")
    w("  `/siehub/reconcile`. DPDK 22.11 allows only letters, digits, `_` and `/` in keys, so")
    w("  `dedup.inserted` reads `dedup/inserted` there.")
    w("")
    w(f"{n_counters} counters in {len(counters)} tables.")
    w("")
    for t in counters:
        # A table may span several stages (the runtime's covers rx, nmsg, ingest...).
        stages = list(dict.fromkeys(e["name"].split(".")[0] for e in t["entries"]))
        w(f"## {', '.join(stages)}")
        w("")
        w(f"Declared in `{t['file']}` (`{t['symbol']}`).")
        w("")
        w("| counter | meaning |")
        w("|---|---|")
        for e in t["entries"]:
            w(f"| `{e['name']}` | {md_cell(e['description'])} |")
        w("")
    w("## Reconciliation equations")
    w("")
    w("Checked on the totals by `--stats-json`, `/siehub/reconcile` and the end-to-end tests")
    w("(`lib/telemetry/reconcile.hpp`). A term is a counter name or a glob (`*` = any run of")
    w("characters), so a new drop reason joins its equation without an edit; a term that matches")
    w("no counter fails the equation. `always` equations hold whenever the workers are quiescent")
    w("(nothing in flight on rings); `after_flush` ones once a run ended cleanly (containers and")
    w("the dedup table flushed).")
    w("")
    if not equations:
        w("(none declared)")
        w("")
    for t in equations:
        w(f"Declared in `{t['file']}` (`{t['symbol']}`):")
        w("")
        w("| equation | when | holds | meaning |")
        w("|---|---|---|---|")
        for e in t["entries"]:
            when = (e["when"] or "").split("::")[-1]
            w(f"| `{e['name']}` | {when} | `{md_cell(e['expression'])}` | "
              f"{md_cell(e['description'])} |")
        w("")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=".", help="source root (holds lib/ and docs/)")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--stdout", action="store_true")
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    doc = root / "docs" / "counters.md"
    try:
        tables = collect(root)
        validate(tables)
    except Error as e:
        print(f"gen-counters-doc: {e}", file=sys.stderr)
        return 2
    text = render(tables)
    if args.stdout:
        sys.stdout.write(text)
        return 0
    if args.write:
        doc.write_text(text, encoding="utf-8")
        return 0
    have = doc.read_text(encoding="utf-8") if doc.exists() else ""
    if have == text:
        print(f"{doc}: up to date ({sum(len(t['entries']) for t in tables)} entries)")
        return 0
    sys.stdout.writelines(difflib.unified_diff(have.splitlines(True), text.splitlines(True),
                                               str(doc), "generated"))
    print(f"\n{doc} is out of date: run python3 scripts/gen-counters-doc.py --root . --write",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
