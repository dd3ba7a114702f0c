"""Which jobs the build runs, and which sources each product derives from.

Snakemake keeps no file that says which job made which file with which inputs (its metadata is a
cache of its own, and absent after a ``dvc pull``). The workflow's rules say it: from the build's
seeds (its targets, tables and stores), the rule that makes a wanted path is run, with the wildcard
values the path gives, and its inputs are wanted in turn, as Snakemake's own DAG does. The caller
(rules/provenance.smk) gives two callbacks that ask Snakemake's rules: ``producer`` (path -> rule and
wildcards, or None for a path no rule makes: a raw input) and ``expand`` (rule and wildcards ->
inputs, outputs, benchmark file), so input functions are evaluated as they are for the real jobs.

Plain data in, plain data out; the order is sorted, so the same rules give the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

# path -> (rule name, wildcard values), or None when no rule makes it
Producer = Callable[[str], "tuple[str, dict[str, str]] | None"]
# (rule name, wildcard values) -> (inputs, outputs, benchmark file or None)
Expand = Callable[[str, Mapping[str, str]], "tuple[Sequence[str], Sequence[str], str | None]"]


@dataclass(frozen=True)
class Job:
    """One job of the build: a rule run with its wildcard values."""

    rule: str
    wildcards: tuple[tuple[str, str], ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    benchmark: str | None = None

    @property
    def key(self) -> str:
        """``rule`` or ``rule[name=value,...]``: unique within a build, the same in every build."""
        if not self.wildcards:
            return self.rule
        return f"{self.rule}[{','.join(f'{k}={v}' for k, v in self.wildcards)}]"

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "wildcards": dict(self.wildcards), "inputs": list(self.inputs),
                "outputs": list(self.outputs), "benchmark": self.benchmark}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Job:
        wildcards = data.get("wildcards") or {}
        if not isinstance(wildcards, Mapping):
            raise TypeError(f"job {data.get('rule')!r}: wildcards must be a mapping, got {wildcards!r}")
        return cls(rule=str(data["rule"]), wildcards=tuple(sorted((str(k), str(v)) for k, v in wildcards.items())),
                   inputs=tuple(map(str, data.get("inputs") or ())),  # type: ignore[arg-type]
                   outputs=tuple(map(str, data.get("outputs") or ())),  # type: ignore[arg-type]
                   benchmark=None if data.get("benchmark") is None else str(data["benchmark"]))


def plan_jobs(seeds: Iterable[str], producer: Producer, expand: Expand) -> list[Job]:
    """Every job that makes ``seeds`` or, transitively, an input of such a job; sorted by key.

    A path no rule makes is a raw input (the caller's sources say whose). Paths are taken as the rules
    give them (relative to the working directory, or absolute for a local source's files).
    """
    jobs: dict[tuple[str, tuple[tuple[str, str], ...]], Job] = {}
    todo = sorted({str(s) for s in seeds}, reverse=True)
    seen: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        found = producer(path)
        if found is None:
            continue
        rule, wildcards = found
        key = (rule, tuple(sorted((str(k), str(v)) for k, v in wildcards.items())))
        if key in jobs:
            continue
        inputs, outputs, benchmark = expand(rule, dict(key[1]))
        job = Job(rule, key[1], tuple(dict.fromkeys(map(str, inputs))), tuple(dict.fromkeys(map(str, outputs))),
                  None if benchmark is None else str(benchmark))
        jobs[key] = job
        seen.update(job.outputs)
        todo.extend(sorted((p for p in job.inputs if p not in seen), reverse=True))
    return sorted(jobs.values(), key=lambda j: j.key)


def maker_of(jobs: Sequence[Job]) -> dict[str, Job]:
    """Output path -> the job that makes it; a path made by two jobs is refused, naming both."""
    made: dict[str, Job] = {}
    for job in jobs:
        for out in job.outputs:
            if out in made:
                raise ValueError(f"{out}: made by two jobs, {made[out].key} and {job.key}")
            made[out] = job
    return made


def under(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or inside it (POSIX, no file system access)."""
    p, r = PurePosixPath(path), PurePosixPath(root)
    return p == r or r in p.parents


def source_lineage(jobs: Sequence[Job], raw_source: Callable[[str], str | None]) -> dict[str, tuple[str, ...]]:
    """Job key -> the sources its outputs derive from (sorted): the source of each raw input (``raw_source``:
    path -> source name, or None for a file of no source), and the sources of the jobs that made its
    other inputs, transitively."""
    made = maker_of(jobs)
    found: dict[str, tuple[str, ...]] = {}
    visiting: set[str] = set()

    def sources_of(job: Job) -> tuple[str, ...]:
        if job.key in found:
            return found[job.key]
        if job.key in visiting:
            raise ValueError(f"job {job.key}: its inputs depend on its own outputs")
        visiting.add(job.key)
        names: set[str] = set()
        for path in (*job.inputs, *job.outputs):
            source = raw_source(path)
            if source is not None:
                names.add(source)
        for path in job.inputs:
            if path in made:
                names.update(sources_of(made[path]))
        visiting.discard(job.key)
        found[job.key] = tuple(sorted(names))
        return found[job.key]

    for job in jobs:
        sources_of(job)
    return found
