"""The dataset card, results/provenance/DATASET.md: what a person reads first about a dataset version.

Written from the facts the crate holds (:class:`astrobuild.provenance.crate.BuildFacts`), the contracts
(columns, units), the build metrics (rows, grades, quarantined records) and the quarantine files (their
reasons). Deterministic like the crate: no clock, sorted everywhere. :func:`card_html` renders it for
the Snakemake report (markdown-it-py, CommonMark with tables).
"""

from __future__ import annotations

import csv
import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from astrobuild.contracts.arrow import arrow_type
from astrobuild.contracts.catalogue import CATALOGUE
from astrobuild.contracts.products import PRODUCTS
from astrobuild.provenance.crate import BuildFacts
from astrobuild.provenance.files import Described

# Files listed by name under a heading; past this, the count and where the full list is.
MAX_LISTED = 200
TOP_REASONS = 3


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def quarantine_reasons(paths: Iterable[str | Path]) -> Counter[str]:
    """Quarantined records by reason, over ``*.quarantine.tsv`` files (columns file, line, reason, text)."""
    reasons: Counter[str] = Counter()
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                if any((v or "").strip() for v in row.values()):
                    reasons[(row.get("reason") or "").strip() or "(no reason given)"] += 1
    return reasons


def _files_list(paths: Sequence[str], described: Mapping[str, Described]) -> list[str]:
    lines = [f"- `{p}`" + ("/ (folder)" if described.get(p) and described[p].kind == "folder" else "")
             for p in paths[:MAX_LISTED]]
    if len(paths) > MAX_LISTED:
        lines.append(f"- ... and {len(paths) - MAX_LISTED} more (the crate's `isBasedOn` names every one)")
    return lines


def derived_from(facts: BuildFacts, redistribution: str) -> tuple[list[str], list[str]]:
    """The sources whose redistribution is ``redistribution``, and the recorded outputs derived from them."""
    names = sorted(n for n, s in facts.sources.items() if s.redistribution == redistribution)
    files = sorted({out for job in facts.jobs for out in job.outputs if out in facts.recorded
                    and set(facts.lineage.get(job.key, ())) & set(names)})
    return names, files


def _reproduce(facts: BuildFacts) -> list[str]:
    git = facts.git
    if git.commit is None:
        return ["This build ran outside a git checkout, so it names no commit: it can be rebuilt only from the same "
                "copy of the workflow and config (the crate lists the config and the software).", ""]
    lines = [f"- Code: git commit `{git.commit}` ({git.date}), {'with uncommitted changes' if git.dirty else 'clean'}.",
             f"- Get exactly these files: `git checkout {git.commit} && dvc pull` (or the later commit that records "
             "this build in `dvc.lock`; `dvc repro` writes it after the build).",
             f"- Rebuild them: `git checkout {git.commit} && dvc repro build` (or `snakemake --cores 4 build`); two "
             "builds of one commit give the same bytes, this card and the crate included.",
             "- Check what you have: `snakemake --cores 1 verify` (every versioned file against `results/manifest.json`) "
             "and `python -m astrobuild.provenance.check` (every file the crate lists, with its sha256)."]
    if git.dirty:
        lines.append("- **Built from a working tree with uncommitted changes**: the commit alone does not rebuild "
                     "these files.")
    return [*lines, ""]


def _sources(facts: BuildFacts) -> list[str]:
    rows = [f"| `{n}` | {s.mode} | {_cell(s.origin)} | {_cell(s.terms)} | {s.redistribution} |"
            for n, s in facts.sources.items()]
    lines = ["| source | mode | where this build's raw files came from | terms of use | redistribution |",
             "|---|---|---|---|---|", *rows, ""]
    forbidden, files = derived_from(facts, "forbidden")
    lines.append("### What must stay private")
    lines.append("")
    if files:
        lines += [f"These versioned files derive from {', '.join(f'`{n}`' for n in forbidden)}, whose terms forbid "
                  "redistribution: keep them on a private DVC remote and do not publish them.", "",
                  *_files_list(files, facts.described), ""]
    else:
        lines += ["No versioned file derives from a source whose terms forbid redistribution"
                  + (f" (`{'`, `'.join(forbidden)}` gave no file to this build)" if forbidden else "") + ".", ""]
    given, given_files = derived_from(facts, "as given")
    if given_files:
        lines += [f"{len(given_files)} versioned file(s) derive from user files ({', '.join(f'`{n}`' for n in given)}): "
                  "their own terms decide whether these may be shared.", ""]
    return lines


def _columns(contract: Any) -> list[str]:
    lines = ["| column | type | unit | description |", "|---|---|---|---|"]
    for name, column in contract.to_schema().columns.items():
        unit = (column.metadata or {}).get("unit") or ""
        lines.append(f"| `{name}` | `{arrow_type(column.dtype)}` | {_cell(unit)} | {_cell(column.description or '')} |")
    return lines


def _tables(tables: Mapping[str, str], metrics: Mapping[str, Any]) -> list[str]:
    rows, grades = metrics.get("rows", {}), metrics.get("grade", {})
    lines = ["| table | file | rows | quality grade |", "|---|---|---|---|"]
    lines += [f"| [`{n}`](#table-{n}) | `{p}` | {rows.get(n, '')} | {grades.get(n, '')} |" for n, p in tables.items()]
    lines.append("")
    for name, path in tables.items():
        table = CATALOGUE[name]
        doc = " ".join((table.contract.__doc__ or "").strip().split("\n\n")[0].split())
        key = ", ".join(f"`{k}`" for k in table.key)
        lines += [f'<a id="table-{name}"></a>', f"### `{name}`", "", doc, "",
                  f"`{path}`: {rows.get(name, '?')} rows, one per {key}; quality grade {grades.get(name, '?')}"
                  + (f"; refused rows in `{table.quarantine}`" if table.quarantine else "") + ".", "",
                  *_columns(table.contract), ""]
    return lines


def _other_products(facts: BuildFacts) -> list[str]:
    outputs = sorted(p for job in facts.jobs for p in job.outputs if p in facts.recorded)
    lines = ["| product | in this version | what it holds |", "|---|---|---|"]
    for product in PRODUCTS.values():
        prefix, suffix = product.path.split("{", 1)[0], product.path.rsplit("}", 1)[-1]
        if product.files:  # a folder whose files are outputs one by one: one product
            found = [product.path] if any(p.startswith(product.path + "/") for p in outputs) else []
        elif "{" in product.path:
            found = [p for p in outputs if p.startswith(prefix) and p.endswith(suffix)]
        else:
            found = [p for p in outputs if p == product.path]
        if found:
            lines.append(f"| `{product.path}` | {len(found)} | {_cell(product.description)} |")
    lines += ["", "The quality report (`results/quality/report.html`), the contract reports (`results/validation/`), "
              "the per-rule reports (`results/reports/`) and the metrics DVC shows (`results/metrics/`) are versioned "
              "with the data; `results/manifest.json` lists every versioned file with its size and sha256.", ""]
    return lines


def _quality(metrics: Mapping[str, Any], reasons: Mapping[str, Counter[str]]) -> list[str]:
    stores = metrics.get("stores", {})
    lines = [f"Every table was checked against its contract and graded (A+ ≥ 0.98, A ≥ 0.95, B ≥ 0.90, C ≥ 0.85, F "
             f"below; grades above). Stores: {stores.get('count', 0)}, lowest grade {stores.get('lowest_grade')}. "
             f"Every table and store at or above its bar: {'yes' if metrics.get('quality_passed') else 'no'}.", "",
             "Quarantined records (refused with a reason, never dropped silently) per source:", "",
             "| source | quarantined | top reasons |", "|---|---|---|"]
    for source, count in sorted(metrics.get("quarantined", {}).items()):
        top = "; ".join(f"{_cell(r)} ({n})" for r, n in sorted(reasons.get(source, Counter()).items(),
                                                                key=lambda item: (-item[1], item[0]))[:TOP_REASONS])
        lines.append(f"| `{source}` | {count} | {top} |")
    return [*lines, ""]


def _limitations(facts: BuildFacts) -> list[str]:
    lines = []
    modes = {s.mode for s in facts.sources.values()}
    if "sample" in modes:
        sample = sorted(n for n, s in facts.sources.items() if s.mode == "sample")
        lines.append(f"- Synthetic: {', '.join(f'`{n}`' for n in sample)} are the built-in sample, a generated "
                     "universe in upstream formats with a documented label; fit for testing the build and the model, "
                     "not for scientific claims about real planets or organisms.")
    if "local" in modes:
        lines.append("- Local sources are named by source and path inside their folder: the crate records what was "
                     "read, not where that folder lies; re-running needs the same files there.")
    if "remote" in modes:
        lines.append("- Remote sources are recorded by URL and checksum: upstream may change; this version keeps "
                     "what was fetched.")
    lines += ["- Not recorded: a run's own timings (`results/benchmarks/`, not versioned); when each job ran is in "
              "`run-times.json`, outside the crate.",
              "- The training (`results/train/`) is the DVC `train` stage's, with its own manifest; this card is the "
              "data build's.", "- Checksums are SHA-256 of the bytes; a folder's is of its `sha256sum` listing.", ""]
    return lines


def card_text(facts: BuildFacts, tables: Mapping[str, str], metrics: Mapping[str, Any],
              quarantine: Mapping[str, Iterable[str]]) -> str:
    """DATASET.md. ``tables``: name -> file of the tables this build makes; ``metrics``: results/metrics/build.json;
    ``quarantine``: source -> its quarantine files."""
    reasons = {source: quarantine_reasons(paths) for source, paths in sorted(quarantine.items())}
    at = f"at commit {facts.git.commit[:12]}" if facts.git.commit else "outside a git checkout"
    lines = [f"# Dataset card: {facts.name}", "",
             f"A version of the astrobuild datasets, built by its workflow {at}. "
             f"{len(facts.jobs)} jobs of {len({j.rule for j in facts.jobs})} rules made it from "
             f"{len(facts.sources)} sources. Its full provenance (every input and output with its size and SHA-256, "
             "every job, the config and the software) is the RO-Crate `ro-crate-metadata.json` beside this card; "
             "when each job ran is in `run-times.json`.", "",
             "## How to cite and reproduce it", "", *_reproduce(facts),
             "## Sources and their terms", "", *_sources(facts),
             "## What the tables hold", "", *_tables(tables, metrics),
             "## Stores and other products", "", *_other_products(facts),
             "## Quality", "", *_quality(metrics, reasons),
             "## Known limitations", "", *_limitations(facts),
             "## Software", "",
             f"Python {facts.python}, Snakemake {facts.snakemake}"
             + "".join(f", {p.name} {p.version}" for p in facts.packages if p.name.lower() in ("dvc", "rocrate"))
             + f"; {len(facts.packages)} packages pinned in `{facts.constraints}` (each, with the version installed, "
             "in the crate).", ""]
    return "\n".join(lines)


def card_html(markdown: str, title: str) -> str:
    """The card as one HTML page (for the Snakemake report): CommonMark with tables, raw HTML kept."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}"
             "code{font-size:90%}")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f"<style>{style}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")
