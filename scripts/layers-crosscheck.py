#!/usr/bin/env python3
"""layers-crosscheck.py ARCHIVE [LAYERLAB_JSON] [DIVE_CI_OUTPUT]

An independent, slow, standard-library re-computation of an image archive's
figures, to check `layerlab layers --json` and to explain dive's numbers:

* "layerlab": the definitions of docs/layers.md, with a plain dict overlay
  (opaque dirs, whiteouts, file/dir replacement) -- must equal layerlab's JSON.
* "dive": dive 0.13.1's formulas as its source has them (filetree/efficiency.go,
  image/analysis.go): every leaf entry of every layer is an occurrence of its
  path, a whiteout is an occurrence of size 0 (file) or of the size of what it
  deletes (directory, summed over dive's own stacked tree), `.wh..wh..*`
  markers are ignored (so opaque directories hide nothing);
  efficiency = sum(min size per path) / sum(all occurrence sizes);
  wastedBytes = sum of all occurrence sizes of paths seen at least twice
  (every copy, the kept one too: dive issue #684).

Prints both as JSON, and with the optional files says whether they match.
Reads the archive twice at most; fine for small and medium archives.
"""

import json
import re
import sys
import tarfile
from collections import defaultdict


def norm(p):
    return "/".join(c for c in p.split("/") if c not in ("", "."))


def read_layers(path):
    layers = {}
    manifest = None
    index = None
    jsons = {}
    with tarfile.open(path, mode="r|") as outer:
        for m in outer:
            if not m.isfile():
                continue
            f = outer.extractfile(m)
            head = f.peek(512)[:512] if hasattr(f, "peek") else b""
            name = norm(m.name)
            data = f.read()
            if data[:1] in (b"{", b"["):
                jsons[name] = json.loads(data)
                continue
            try:
                import io
                inner = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
            except tarfile.TarError:
                continue
            entries = []
            for e in inner:
                entries.append((norm(e.name), e.isdir(), e.size if e.isreg() else 0, e.size))
            layers[name] = entries
    if "manifest.json" in jsons:
        order = jsons["manifest.json"][0]["Layers"]
    else:
        idx = jsons["index.json"]
        man = jsons["blobs/sha256/" + idx["manifests"][0]["digest"].split(":")[1]]
        order = ["blobs/sha256/" + l["digest"].split(":")[1] for l in man["layers"]]
    return [layers[norm(p)] for p in order]


def under(p, d):
    return d == "" or p.startswith(d + "/")


def layerlab_figures(layers):
    fs = {}  # path -> (is_dir, size)
    total = 0
    for entries in layers:
        for p, is_dir, size, _ in entries:
            base = p.rsplit("/", 1)[-1]
            if base == ".wh..wh..opq":
                d = p.rsplit("/", 1)[0] if "/" in p else ""
                if d == "" or fs.get(d, (False,))[0]:
                    for q in [q for q in fs if under(q, d) and q != d]:
                        del fs[q]
        for p, is_dir, size, _ in entries:
            base = p.rsplit("/", 1)[-1]
            if base.startswith(".wh.") and not base.startswith(".wh..wh."):
                parent = p.rsplit("/", 1)[0] if "/" in p else ""
                w = (parent + "/" if parent else "") + base[4:]
                if w in fs:
                    if fs[w][0]:
                        for q in [q for q in fs if under(q, w) and q != w]:
                            del fs[q]
                    del fs[w]
        for p, is_dir, size, _ in entries:
            base = p.rsplit("/", 1)[-1] if p else ""
            if not p or base.startswith(".wh."):
                continue
            total += size
            parts = p.split("/")
            for i in range(1, len(parts)):
                a = "/".join(parts[:i])
                if not fs.get(a, (False,))[0]:
                    fs[a] = (True, 0)
            if not is_dir and fs.get(p, (False,))[0]:
                for q in [q for q in fs if under(q, p) and q != p]:
                    del fs[q]
            fs[p] = (is_dir, size)
    visible = sum(s for d, s in fs.values() if not d)
    files = sum(1 for d, _ in fs.values() if not d)
    return {
        "total_file_bytes": total,
        "visible_file_bytes": visible,
        "visible_files": files,
        "wasted_bytes": total - visible,
        "efficiency": visible / total if total else 1.0,
    }


def dive_figures(layers):
    occurrences = defaultdict(list)
    stacked = {}  # dive's stacked tree: path -> (is_dir, size); opaque ignored
    for entries in layers:
        paths = {p for p, *_ in entries}
        has_child = set()
        for p in paths:
            if "/" in p:
                has_child.add(p.rsplit("/", 1)[0])
        for p, is_dir, _, hdr_size in entries:
            base = p.rsplit("/", 1)[-1] if p else ""
            if not p or base.startswith(".wh..wh."):
                continue
            if base.startswith(".wh."):
                parent = p.rsplit("/", 1)[0] if "/" in p else ""
                w = (parent + "/" if parent else "") + base[4:]
                if w in stacked and stacked[w][0]:
                    size = sum(s for q, (d, s) in stacked.items() if under(q, w) and q != w)
                else:
                    size = 0
                occurrences[w].append(size)
            elif p not in has_child:
                occurrences[p].append(hdr_size)
        # stack this layer for the next one's whiteouts
        for p, is_dir, _, hdr_size in entries:
            base = p.rsplit("/", 1)[-1] if p else ""
            if not p or base.startswith(".wh..wh."):
                continue
            if base.startswith(".wh."):
                parent = p.rsplit("/", 1)[0] if "/" in p else ""
                w = (parent + "/" if parent else "") + base[4:]
                for q in [q for q in stacked if q == w or under(q, w)]:
                    del stacked[q]
            else:
                stacked[p] = (is_dir, hdr_size)
    cum = sum(sum(v) for v in occurrences.values())
    mins = sum(min(v) for v in occurrences.values())
    wasted = sum(sum(v) for v in occurrences.values() if len(v) > 1)
    return {"efficiency_percent": round(100 * mins / cum, 4) if cum else 100.0, "wastedBytes": wasted}


def main(argv):
    layers = read_layers(argv[0])
    out = {"layerlab": layerlab_figures(layers), "dive": dive_figures(layers)}
    print(json.dumps(out, indent=2))
    ok = True
    if len(argv) > 1:
        got = json.load(open(argv[1]))
        for k, v in out["layerlab"].items():
            same = abs(got[k] - v) < 1e-12 if k == "efficiency" else got[k] == v
            print(f"layerlab {k}: json {got[k]} vs recomputed {v}: {'OK' if same else 'DIFFERENT'}")
            ok &= same
    if len(argv) > 2:
        text = re.sub(r"\x1b\[[0-9;]*m", "", open(argv[2]).read())
        eff = float(re.search(r"efficiency: ([0-9.]+) %", text).group(1))
        wasted = int(re.search(r"wastedBytes: ([0-9]+) bytes", text).group(1))
        for k, got in (("efficiency_percent", eff), ("wastedBytes", wasted)):
            v = out["dive"][k]
            same = abs(got - v) < 1e-3 if k == "efficiency_percent" else got == v
            print(f"dive {k}: dive says {got} vs formula {v}: {'OK' if same else 'DIFFERENT'}")
            ok &= same
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
