#!/usr/bin/env python3
"""The shape of src/, from the code's own `crate::…` and `super::…` paths.

    python3 scripts/check-structure.py [--edges]

Checks, outside `#[cfg(test)]` blocks:
  * no import cycle between files (modules);
  * no import cycle between top-level modules;
  * the tiers: a module may import only from its own tier or the tiers below it
        plain   i18n paths progress lesson layers quiz logging
        docker  docker registry
        domain  runner handin watch
        tui     tui
        cmd     cmd main
  * no function longer than 150 lines, unless the line above it (or above
    its attributes) is a comment containing "one piece".
Exit 1 when anything is found. `--edges` also prints every file-level edge.
"""
import os
import re
import sys
from collections import defaultdict

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
MAX_FN = 150
TIERS = [
    {"i18n", "paths", "progress", "lesson", "layers", "quiz", "logging", "text", "data_lock", "sanitize"},
    {"docker", "registry"},
    {"runner", "handin", "watch"},
    {"tui"},
    {"cmd", "main", "lib"},
]


def tier_of(module):
    top = module.split("::")[0]
    for i, names in enumerate(TIERS):
        if top in names:
            return i
    return None


def module_of(rel):
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib", "main") and len(parts) > 1:
        parts = parts[:-1]
    return "::".join(parts)


def without_tests(text):
    """Drop `#[cfg(test)]` items (a test module's imports are not the code's)."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        if re.match(r"\s*#\[cfg\(test\)\]", lines[i]):
            depth, started = 0, False
            i += 1
            while i < len(lines):
                depth += lines[i].count("{") - lines[i].count("}")
                started = started or "{" in lines[i]
                if started and depth <= 0:
                    break
                if not started and lines[i].rstrip().endswith(";"):
                    break
                i += 1
            i += 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def masked(text):
    """`text` with the inside of comments, strings and char literals blanked
    (newlines kept, so lines still line up): a `'{'` or a `"{{"` is not a
    brace to count."""
    out, i, n = [], 0, len(text)

    def blank(a, b):
        out.append(re.sub(r"[^\n]", " ", text[a:b]))

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif (raw := re.match(r'b?r(#*)"', text[i:i + 260])) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = text.find('"' + raw.group(1), i + raw.end())
            j = n if end < 0 else end + 1 + len(raw.group(1))
            out.append(text[i:i + raw.end()])
            blank(i + raw.end(), j)
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('"')
            blank(i + 1, min(j, n))
            out.append('"')
            i = j + 1
        elif c == "'" and (ch := re.match(r"'(\\(?:u\{[0-9a-fA-F]*\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'", text[i:i + 12])):
            out.append("'")
            blank(i + 1, i + ch.end() - 1)
            out.append("'")
            i += ch.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def main():
    files = {}
    for root, _, names in os.walk(SRC):
        for name in names:
            if name.endswith(".rs"):
                full = os.path.join(root, name)
                files[module_of(os.path.relpath(full, SRC))] = full
    modules = set(files)

    def resolve(path, here):
        parts = path.split("::")
        for k in range(len(parts), 0, -1):
            candidate = "::".join(parts[:k])
            if candidate in modules and candidate != here:
                return candidate
        return None

    edges = defaultdict(set)
    long_fns = []
    for module, path in sorted(files.items()):
        body = without_tests(open(path, encoding="utf-8").read())
        for m in re.finditer(r"crate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)(?:::\{([^}]*)\})?", body):
            targets = [m.group(1)]
            if m.group(2):
                targets = [m.group(1) + "::" + t.strip().split(" ")[0].split("::")[0]
                           for t in m.group(2).split(",") if t.strip()] or targets
            for t in targets:
                r = resolve(t, module)
                if r:
                    edges[module].add(r)
        for m in re.finditer(r"\bsuper::([a-z_][a-z0-9_]*)", body):
            parent = module if path.endswith("mod.rs") else module
            parent = parent.rsplit("::", 1)[0] if "::" in parent else ""
            r = resolve((parent + "::" if parent else "") + m.group(1), module)
            if r:
                edges[module].add(r)
        lines = body.split("\n")
        code = masked(body).split("\n")
        for i, line in enumerate(lines):
            fn = re.match(r"\s*(pub(\([^)]*\))?\s+)?(async\s+)?(const\s+)?fn\s+(\w+)", line)
            if not fn or line.rstrip().endswith(";"):
                continue
            depth, started, j = 0, False, i
            while j < len(lines):
                depth += code[j].count("{") - code[j].count("}")
                started = started or "{" in code[j]
                if started and depth <= 0:
                    break
                j += 1
            length = j - i + 1
            k = i - 1
            while k >= 0 and lines[k].strip().startswith("#["):
                k -= 1
            exempt = k >= 0 and lines[k].strip().startswith("//") and "one piece" in lines[k]
            if length > MAX_FN and not exempt:
                long_fns.append(f"{module}::{fn.group(5)} {length} lines")

    problems = []
    # file-level cycles: strongly connected components (Tarjan)
    def sccs(nodes, succ):
        index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

        def visit(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in succ.get(v, ()):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

        sys.setrecursionlimit(10000)
        for v in sorted(nodes):
            if v not in index:
                visit(v)
        return out

    for comp in sccs(modules, edges):
        problems.append("file cycle: " + " <-> ".join(comp))
    top = defaultdict(set)
    for a, bs in edges.items():
        for b in bs:
            ta, tb = a.split("::")[0], b.split("::")[0]
            if ta != tb:
                top[ta].add(tb)
    for comp in sccs({m.split("::")[0] for m in modules}, top):
        problems.append("top-level cycle: " + " <-> ".join(comp))
    for a in sorted(edges):
        for b in sorted(edges[a]):
            ta, tb = tier_of(a), tier_of(b)
            if ta is None:
                problems.append(f"no tier: {a} (add it to TIERS in scripts/check-structure.py)")
            elif tb is not None and tb > ta:
                problems.append(f"upward import: {a} -> {b}")
    problems += ["long function: " + f for f in long_fns]
    if "--edges" in sys.argv:
        for a in sorted(edges):
            print(f"{a} -> {', '.join(sorted(edges[a]))}")
    for p in dict.fromkeys(problems):
        print(p)
    n_edges = sum(len(v) for v in edges.values())
    print(f"{len(modules)} modules, {n_edges} edges, {len(dict.fromkeys(problems))} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
