#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks a Grafana dashboard JSON: it parses, and every PromQL query in it (panel targets and
query variables) names only series metrics-ai exports or the signal catalogue records.

usage: dashboard_check.py DASHBOARD.json METRICS_PAGE RULES_LIST README.md [PROMQL_RULES_OUT]
  METRICS_PAGE: a /metrics page of the real binary (its # TYPE lines name the exported families)
  RULES_LIST:   the output of `metrics-ai rules --list` (last column: the recorded names)
  README.md:    every metrics_ai_* name used must be documented there; the remote-read-only
                series (metrics_ai_forecast_curve) are taken from its remote read table.
  PROMQL_RULES_OUT: also write every query, variables replaced by their first value, as a
                recording rule file, for `promtool check rules` to parse the PromQL.
Prints one line per problem and a total line; exits 1 on any problem."""
import json
import re
import sys

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
            "and", "or", "unless", "inf", "nan", "atan2"}
AGGR_MOD = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")


def series_names(expr, variables):
    """The metric names a PromQL expression selects; (names, problems)."""
    names, problems = set(), []
    # label_values(EXPR, label) in a variable query: check EXPR
    m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", expr)
    if m:
        expr = m.group(1)
    # __name__ matchers inside braces, with a $variable expanded to its custom options
    for op, val in re.findall(r'__name__\s*(=~|=|!=|!~)\s*"([^"]*)"', expr):
        if op not in ("=", "=~"):
            problems.append(f"negative __name__ matcher in {expr!r}")
            continue
        v = re.fullmatch(r"\$\{?(\w+)\}?", val)
        if v:
            opts = variables.get(v.group(1))
            if opts is None:
                problems.append(f"__name__ from variable ${v.group(1)}, which is not a custom variable")
            else:
                names.update(opts)
        elif op == "=" or re.fullmatch(r"[A-Za-z0-9_:|]+", val):
            names.update(val.split("|"))
        else:
            problems.append(f"__name__ regex {val!r} is not a plain list of names")
    body = re.sub(r'"(\\.|[^"\\])*"', '""', expr)       # string literals
    body = re.sub(r"\{[^}]*\}", "", body)                 # label matchers
    body = re.sub(r"\[[^\]]*\]", "", body)                # range and subquery durations
    body = AGGR_MOD.sub("", body)                         # by (...), on (...), group_left (...)
    body = re.sub(r"\boffset\s+\S+", "", body)            # offset 1h / offset $horizon
    body = re.sub(r"\$\{?\w+\}?", "", body)               # other variables ($__rate_interval)
    for tok in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?", body):
        word = tok.group(0)
        if word.endswith("(") or word.rstrip().endswith("("):
            continue                                      # a function or aggregation
        if word.lower() in KEYWORDS:
            continue
        if re.match(r"\d", word):
            continue
        names.add(word.strip())
    # numbers such as 1e3 were never matched (they start with a digit)
    return names, problems


def write_rules(path, queries, variables):
    """Each query as a recording rule, with $variables set to a sample value of theirs."""
    sample = {k: v[0] for k, v in variables.items() if v}
    sample.update({"instance": ".*", "horizon": "15m", "__rate_interval": "5m", "__interval": "1m"})
    with open(path, "w") as f:
        f.write("groups:\n  - name: dashboard-queries\n    rules:\n")
        for i, (_, expr) in enumerate(q for q in queries if q[1]):
            m = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", expr)
            if m:
                expr = m.group(1)
            expr = re.sub(r"\$\{?(\w+)\}?", lambda v: sample.get(v.group(1), v.group(0)), expr)
            f.write(f"      - record: dashboard_query_{i}\n        expr: {json.dumps(expr)}\n")


def main():
    dash_path, metrics_path, rules_path, readme_path = sys.argv[1:5]
    problems = []
    try:
        dash = json.load(open(dash_path))
    except (OSError, ValueError) as e:
        print(f"FAIL {dash_path}: {e}")
        return 1
    exported = set(re.findall(r"^# TYPE (\S+) ", open(metrics_path).read(), re.M))
    recorded = {ln.split()[-1] for ln in open(rules_path).read().splitlines()[1:] if ln.strip()}
    readme = open(readme_path).read()
    sec = readme.split("## Reading forecasts back", 1)[-1].split("\n## ", 1)[0]
    remote_read = {n for row in sec.splitlines() if row.startswith("| `metrics_ai_")
                   for n in re.findall(r"`(metrics_ai_\w+)`", row.split("|")[1])}
    documented = set(re.findall(r"metrics_ai_\w+", readme))
    if not exported or not recorded or not remote_read:
        print(f"FAIL inputs: exported {len(exported)}, recorded {len(recorded)}, remote read {len(remote_read)}")
        return 1
    allowed = exported | recorded | remote_read | {"up"}

    variables, queries = {}, []
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "custom":
            variables[v["name"]] = [o.strip() for o in v.get("query", "").split(",") if o.strip()]
        elif v.get("type") == "query":
            q = v.get("query")
            queries.append((f"variable ${v['name']}", q.get("query") if isinstance(q, dict) else q))

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                queries.append((f"panel {p.get('title')!r} {t.get('refId')}", t.get("expr")))
            walk(p.get("panels", []))
    walk(dash.get("panels", []))

    used = set()
    for where, expr in queries:
        if not expr:
            problems.append(f"{where}: empty query")
            continue
        names, probs = series_names(expr, variables)
        problems += [f"{where}: {p}" for p in probs]
        if not names:
            problems.append(f"{where}: names no series: {expr!r}")
        for n in sorted(names):
            used.add(n)
            if n not in allowed:
                problems.append(f"{where}: {n} is neither exported by metrics-ai nor recorded by the catalogue")
            elif n.startswith("metrics_ai_") and n not in recorded and n not in documented:
                problems.append(f"{where}: {n} is not documented in README.md")
    if len(sys.argv) > 5:
        write_rules(sys.argv[5], queries, variables)
    for p in problems:
        print("FAIL " + p)
    print(f"dashboard: {len(queries)} queries, {len(used)} series names, {len(problems)} problems")
    return 1 if problems or not queries else 0


if __name__ == "__main__":
    sys.exit(main())
