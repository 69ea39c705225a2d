#!/usr/bin/env python3
"""Prototype evaluator for the shipped policywatch rule pack.

The Swift engine is being written in parallel; this script approximates the
term semantics of rule format version 1 (see BRIEF.md section 3) closely
enough to tune the pack:

* text and terms are normalised with NFKC + Unicode case folding; curly
  quotes and dashes are mapped to their ASCII forms;
* words of a term match across runs of spaces, hyphens and line breaks;
* Latin-script (and other spaced-script) words match whole words; a trailing
  ``*`` matches any ending (``restrict*``);
* Hangul, kana and Han characters match inside words and ignore spacing
  (``공동 로드맵`` finds ``공동로드맵`` and ``공동 로드맵을``);
* a match expression is a term (string), ``$list`` (any term of a list), a
  sequence (any of its items) or a mapping of ``all`` / ``any`` / ``none``
  (every key must hold).  Later operators (sentence, near, ...) are rejected.

Usage::

    python3 scripts/prototype_eval.py                 # tests + dev figures + false-alert counts
    python3 scripts/prototype_eval.py --tests-only
    python3 scripts/prototype_eval.py --show-errors sanctions   # list FP/FN for one tag
    python3 scripts/prototype_eval.py --explain ID    # which rules/terms fire on one dev article
    python3 scripts/prototype_eval.py --show-unlabeled ja-livedoor  # which articles alert
    python3 scripts/prototype_eval.py --scan FILE     # scan a .txt/.md/.jsonl file
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import re
import sys
import unicodedata

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = pathlib.Path(os.environ.get("POLICYWATCH_CORPUS", "/work/shared/corpus"))

EVENT_TAGS = [
    "export-control", "entity-listing", "sanctions", "investment-screening", "tariff", "subsidy",
    "joint-statement", "supply-chain", "dialogue-channel", "technology-cooperation", "economic-coercion",
]
ALLOWED_RULE_KEYS = {"id", "title", "description", "severity", "tags", "references", "match", "tests"}
SEVERITIES = {"info", "low", "medium", "high", "critical"}
ID_RE = re.compile(r"^[a-z0-9._-]+$")
LIST_RE = re.compile(r"^[a-z0-9_]+$")

# ----------------------------------------------------------------------------- normalisation

_TRANSLATE = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u00ad": None, "\u200b": None, "\u2060": None, "\ufeff": None,
})


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().translate(_TRANSLATE)


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (
        0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F  # Hangul
        or 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF  # kana
        or 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or o == 0x3005  # Han
    )


def is_word(ch: str) -> bool:
    """A character of a spaced-script word (for whole-word boundaries)."""
    return (ch.isalnum() or ch == "_") and not is_cjk(ch)


_SEP = r"[\s\-]+"        # between words of a spaced-script term
_CJK_GAP = r"[\s\-]*"    # spacing is ignored around CJK characters
_WORDCLS = r"[^\W_\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\u3005]"


def compile_term(term: str) -> re.Pattern:
    t = normalise(term.strip())
    prefix = t.endswith("*")
    if prefix:
        t = t[:-1]
    if "*" in t:
        raise ValueError(f"'*' is only allowed at the end of a term: {term!r}")
    words = [w for w in re.split(r"[\s\-]+", t) if w]
    if not words:
        raise ValueError(f"empty term {term!r}")
    parts = []
    prev_char = None
    for wi, w in enumerate(words):
        if wi > 0:
            parts.append(_CJK_GAP if (is_cjk(prev_char) or is_cjk(w[0])) else _SEP)
        for ci, ch in enumerate(w):
            if ci > 0 and (is_cjk(ch) or is_cjk(w[ci - 1])):
                parts.append(r"\s*")
            parts.append(re.escape(ch))
        prev_char = w[-1]
    body = "".join(parts)
    first, last = words[0][0], words[-1][-1]
    pre = f"(?<!{_WORDCLS})" if is_word(first) else ""
    if prefix:
        post = f"{_WORDCLS}*"
    else:
        post = f"(?!{_WORDCLS})" if is_word(last) else ""
    return re.compile(pre + body + post)


# ----------------------------------------------------------------------------- loading

class RuleError(Exception):
    pass


class Pack:
    def __init__(self, rules_dir: pathlib.Path):
        self.lists: dict[str, list[str]] = {}
        self.list_src: dict[str, str] = {}
        self.rules: list[dict] = []
        self.errors: list[str] = []
        self._term_cache: dict[str, re.Pattern] = {}
        files = sorted(p for p in rules_dir.rglob("*") if p.suffix in (".yaml", ".yml"))
        for f in files:
            try:
                doc = yaml.safe_load(f.read_text(encoding="utf-8"))
            except yaml.YAMLError as e:
                self.errors.append(f"{f}: YAML error: {e}")
                continue
            if doc is None:
                continue
            if not isinstance(doc, dict):
                self.errors.append(f"{f}: top level must be a mapping")
                continue
            for k in doc:
                if k not in ("lists", "rules", "entities"):
                    self.errors.append(f"{f}: unknown top-level key {k!r}")
            for name, terms in (doc.get("lists") or {}).items():
                if not LIST_RE.match(str(name)):
                    self.errors.append(f"{f}: bad list name {name!r}")
                if name in self.lists:
                    self.errors.append(f"{f}: list {name!r} already defined in {self.list_src[name]}")
                if not isinstance(terms, list) or not terms:
                    self.errors.append(f"{f}: list {name!r} must be a non-empty sequence")
                    continue
                for t in terms:
                    if not isinstance(t, str):
                        self.errors.append(f"{f}: list {name!r}: non-string term {t!r}")
                self.lists[name] = [str(t) for t in terms]
                self.list_src[name] = str(f)
            for r in doc.get("rules") or []:
                r = dict(r)
                r["_file"] = str(f.relative_to(ROOT))
                self.rules.append(r)
        seen = set()
        for r in self.rules:
            rid = r.get("id")
            where = f"{r['_file']}: rule {rid!r}"
            for k in r:
                if not k.startswith("_") and k not in ALLOWED_RULE_KEYS:
                    self.errors.append(f"{where}: unknown key {k!r}")
            if not rid or not ID_RE.match(str(rid)):
                self.errors.append(f"{where}: bad id")
            if rid in seen:
                self.errors.append(f"{where}: duplicate id")
            seen.add(rid)
            if r.get("severity") not in SEVERITIES:
                self.errors.append(f"{where}: bad severity {r.get('severity')!r}")
            tags = r.get("tags") or []
            if not any(t in EVENT_TAGS for t in tags):
                self.errors.append(f"{where}: no event tag among {tags}")
            for key in ("title", "description"):
                if not r.get(key):
                    self.errors.append(f"{where}: missing {key}")
            try:
                self.check_expr(r.get("match"))
            except RuleError as e:
                self.errors.append(f"{where}: {e}")
        for name, terms in self.lists.items():
            for t in terms:
                try:
                    self.term(t)
                except ValueError as e:
                    self.errors.append(f"list {name}: {e}")

    # -- expressions
    def check_expr(self, e):
        if e is None:
            raise RuleError("empty expression")
        if isinstance(e, str):
            if e.startswith("$"):
                if e[1:] not in self.lists:
                    raise RuleError(f"list {e!r} is not defined")
            elif not e.strip():
                raise RuleError("empty term")
            return
        if isinstance(e, list):
            if not e:
                raise RuleError("empty sequence")
            for x in e:
                self.check_expr(x)
            return
        if isinstance(e, dict):
            if not e:
                raise RuleError("empty mapping")
            for k, v in e.items():
                if k not in ("all", "any", "none"):
                    raise RuleError(f"operator {k!r} not supported yet (all/any/none only)")
                if not isinstance(v, list) or not v:
                    raise RuleError(f"{k!r} needs a non-empty sequence")
                for x in v:
                    self.check_expr(x)
            return
        raise RuleError(f"bad expression {e!r}")

    def term(self, t: str) -> re.Pattern:
        p = self._term_cache.get(t)
        if p is None:
            p = self._term_cache[t] = compile_term(t)
        return p


class Doc:
    def __init__(self, pack: Pack, text: str):
        self.pack = pack
        self.text = normalise(text)
        self.cache: dict[str, re.Match | None] = {}

    def term(self, t: str):
        if t not in self.cache:
            self.cache[t] = self.pack.term(t).search(self.text)
        return self.cache[t]

    def eval(self, e, hits: list | None = None) -> bool:
        if isinstance(e, str):
            if e.startswith("$"):
                for t in self.pack.lists[e[1:]]:
                    m = self.term(t)
                    if m:
                        if hits is not None:
                            hits.append((e, t, m.group(0)))
                        return True
                return False
            m = self.term(e)
            if m and hits is not None:
                hits.append((e, e, m.group(0)))
            return bool(m)
        if isinstance(e, list):
            return any(self.eval(x, hits) for x in e)
        ok = True
        for k, v in e.items():
            if k == "all":
                ok = ok and all(self.eval(x, hits) for x in v)
            elif k == "any":
                ok = ok and any(self.eval(x, hits) for x in v)
            elif k == "none":
                ok = ok and not any(self.eval(x) for x in v)
            if not ok:
                return False
        return ok


def fire(pack: Pack, text: str, explain: bool = False):
    d = Doc(pack, text)
    out = []
    for r in pack.rules:
        hits = [] if explain else None
        if d.eval(r["match"], hits):
            out.append((r, hits))
    return out


def event_tags(fired) -> set[str]:
    return {t for r, _ in fired for t in r.get("tags", []) if t in EVENT_TAGS}


# ----------------------------------------------------------------------------- tests

def run_tests(pack: Pack) -> int:
    failures = 0
    counts = collections.Counter()
    for r in pack.rules:
        tests = r.get("tests") or []
        pos = [t for t in tests if "match" in t]
        neg = [t for t in tests if "no_match" in t]
        counts["rules"] += 1
        counts["tests"] += len(tests)
        if len(pos) < 3 or len(neg) < 3:
            print(f"WARN {r['_file']}: {r['id']}: {len(pos)} match / {len(neg)} no_match tests (want >=3 each)")
        if not any(re.search(r"[\uac00-\ud7a3]", t["match"]) for t in pos):
            print(f"WARN {r['_file']}: {r['id']}: no Korean positive test")
        for t in tests:
            kind = "match" if "match" in t else "no_match" if "no_match" in t else None
            if kind is None:
                if "todo_match" in t or "todo_no_match" in t:
                    continue
                print(f"FAIL {r['_file']}: {r['id']}: bad test {t}")
                failures += 1
                continue
            hits = []
            got = Doc(pack, t[kind]).eval(r["match"], hits)
            if got != (kind == "match"):
                failures += 1
                print(f"FAIL {r['_file']}: {r['id']}: {kind}: {t[kind]!r}  hits={hits}")
    print(f"tests: {counts['tests']} cases in {counts['rules']} rules, {failures} failures")
    return failures


# ----------------------------------------------------------------------------- corpora

def read_jsonl(path: pathlib.Path):
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield json.loads(line)


def article_text(a: dict) -> str:
    return (a.get("title") or "") + "\n" + (a.get("text") or a.get("body") or "")


def evaluate_dev(pack: Pack, show_errors: str | None = None):
    arts = list(read_jsonl(CORPUS / "dev" / "articles.jsonl"))
    labels = {x["id"]: set(x["tags"]) for x in read_jsonl(CORPUS / "dev" / "labels.jsonl")}
    stats = {t: collections.Counter() for t in EVENT_TAGS}
    errors = []
    for a in arts:
        fired = fire(pack, article_text(a), explain=bool(show_errors))
        pred = event_tags(fired)
        gold = labels.get(a["id"], set())
        for t in EVENT_TAGS:
            if t in pred and t in gold:
                stats[t]["tp"] += 1
            elif t in pred:
                stats[t]["fp"] += 1
            elif t in gold:
                stats[t]["fn"] += 1
        if show_errors and (show_errors in pred) != (show_errors in gold):
            kind = "FP" if show_errors in pred else "FN"
            ev = [(r["id"], h) for r, h in fired if show_errors in r.get("tags", [])]
            errors.append((kind, a["id"], a["title"][:100], ev))
    rows = []
    for t in EVENT_TAGS:
        s = stats[t]
        tp, fp, fn = s["tp"], s["fp"], s["fn"]
        p = tp / (tp + fp) if tp + fp else float("nan")
        rc = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * p * rc / (p + rc) if tp else 0.0
        rows.append((t, tp + fn, tp, fp, fn, p, rc, f1))
    return rows, errors


def count_unlabeled(pack: Pack, name: str, show: bool = False):
    n = hit = 0
    per_rule = collections.Counter()
    for a in read_jsonl(CORPUS / "unlabeled" / f"{name}.jsonl"):
        n += 1
        fired = fire(pack, article_text(a), explain=show)
        if fired:
            hit += 1
            for r, _ in fired:
                per_rule[r["id"]] += 1
            if show:
                print(f"- {a['id']} {a['title'][:80]!r}")
                for r, h in fired:
                    print(f"    {r['id']}: {[x[2] for x in h]}")
    return n, hit, per_rule


def check_examples(pack: Pack) -> int:
    ex = ROOT / "examples"
    expected = yaml.safe_load((ex / "expected.yaml").read_text(encoding="utf-8"))
    jsonl = {}
    bad = 0
    for key, want in expected.items():
        if "#" in key:
            fname, aid = key.split("#", 1)
            if fname not in jsonl:
                jsonl[fname] = {a["id"]: a for a in read_jsonl(ex / fname)}
            text = article_text(jsonl[fname][aid])
        else:
            text = (ex / key).read_text(encoding="utf-8")
        got = sorted(event_tags(fire(pack, text)))
        ok = got == sorted(want)
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {key}: {got}" + ("" if ok else f" (expected {sorted(want)})"))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", default=str(ROOT / "rules"))
    ap.add_argument("--tests-only", action="store_true")
    ap.add_argument("--show-errors", metavar="TAG")
    ap.add_argument("--explain", metavar="ID")
    ap.add_argument("--show-unlabeled", metavar="NAME")
    ap.add_argument("--all-unlabeled", action="store_true", help="also count whitehouse and korea-policy-briefing")
    ap.add_argument("--scan", metavar="FILE")
    ap.add_argument("--markdown", action="store_true", help="print the dev table as Markdown")
    ap.add_argument("--examples", action="store_true", help="check examples/ against examples/expected.yaml")
    args = ap.parse_args()

    pack = Pack(pathlib.Path(args.rules))
    if pack.errors:
        for e in pack.errors:
            print("ERROR", e)
        sys.exit(2)
    print(f"loaded {len(pack.rules)} rules, {len(pack.lists)} lists, "
          f"{sum(len(v) for v in pack.lists.values())} list terms")

    if args.examples:
        sys.exit(1 if check_examples(pack) else 0)
    if args.scan:
        p = pathlib.Path(args.scan)
        docs = list(read_jsonl(p)) if p.suffix == ".jsonl" else [{"id": p.name, "title": "", "text": p.read_text(encoding="utf-8")}]
        for a in docs:
            fired = fire(pack, article_text(a), explain=True)
            print(f"== {a.get('id')}: {sorted(event_tags(fired))}")
            for r, h in fired:
                print(f"   {r['id']}: {[x[2] for x in h]}")
        return
    if args.explain:
        for a in read_jsonl(CORPUS / "dev" / "articles.jsonl"):
            if a["id"].startswith(args.explain):
                for r, h in fire(pack, article_text(a), explain=True):
                    print(f"{r['id']}: {h}")
        return
    if args.show_unlabeled:
        n, hit, per_rule = count_unlabeled(pack, args.show_unlabeled, show=True)
        print(f"{args.show_unlabeled}: {hit}/{n} alerting; {dict(per_rule)}")
        return

    fails = run_tests(pack)
    if args.tests_only:
        sys.exit(1 if fails else 0)

    rows, errors = evaluate_dev(pack, args.show_errors)
    if args.markdown:
        print("| tag | positives | TP | FP | FN | precision | recall | F1 |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for t, npos, tp, fp, fn, p, r, f in rows:
            print(f"| `{t}` | {npos} | {tp} | {fp} | {fn} | {p:.2f} | {r:.2f} | {f:.2f} |")
    else:
        print(f"{'tag':24} {'pos':>4} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}")
        for t, npos, tp, fp, fn, p, r, f in rows:
            flag = "" if npos < 8 or (p >= 0.85 and r >= 0.80) else "  <-- below goal"
            print(f"{t:24} {npos:4} {tp:4} {fp:4} {fn:4} {p:6.2f} {r:6.2f} {f:6.2f}{flag}")
    for kind, aid, title, ev in errors:
        print(f"{kind} {aid[:90]}\n     {title}")
        for rid, h in ev:
            print(f"     {rid}: {[x[2] for x in h]}")
    names = ["ja-livedoor", "ko-wikinews"] + (["korea-policy-briefing", "whitehouse"] if args.all_unlabeled else [])
    for name in names:
        n, hit, per_rule = count_unlabeled(pack, name)
        print(f"{name}: {hit}/{n} articles alert; by rule: {dict(per_rule.most_common())}")


if __name__ == "__main__":
    main()
