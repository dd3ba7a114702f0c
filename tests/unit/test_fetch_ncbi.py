"""The organisms source's remote mode against an efetch look-alike on 127.0.0.1 (issue 14): records
by accession in batches, the API key sent but never logged, NCBI's pace with and without a key,
429 with Retry-After, a missing accession named, a record cut without '//' refused, a failed run
resumed. No test reaches beyond the loopback interface."""

from __future__ import annotations

import dataclasses
import logging
import os
from io import StringIO
from pathlib import Path

import pytest
from Bio import SeqIO
from Bio.Seq import Seq
from Bio.SeqFeature import SeqFeature, SimpleLocation
from Bio.SeqRecord import SeqRecord

from astrobuild.fetch.http import FetchError
from astrobuild.fetch.ncbi import RATE_WITH_KEY, RATE_WITHOUT_KEY, fetch_genbank_records, rate_of
from astrobuild.fetch.options import NcbiOptions
from astrobuild.organisms.genbank import GenomeFileError, read_records
from astrobuild.quarantine import Quarantine
from astrobuild.rulelog import rule_logging
from tests.fetch_options import fetch_options
from tests.support.loopback import Fault, LoopbackHTTP, efetch_route, genbank_records, query_of

SECRET = "0123456789abcdef-ncbi-key"
EFETCH = "/eutils/efetch.fcgi"


def _genbank(accession: str, version: int, n_cds: int) -> bytes:
    features = [SeqFeature(SimpleLocation(0, 300, 1), type="source", qualifiers={"organism": ["Testus example"]})]
    features += [SeqFeature(SimpleLocation(30 * i, 30 * i + 18, 1), type="CDS",
                            qualifiers={"locus_tag": [f"{accession}_{i}"], "EC_number": ["1.1.1.1"]})
                 for i in range(n_cds)]
    record = SeqRecord(Seq("ATGAAACCCGGGTTTTAA" * 20), id=f"{accession}.{version}", name=accession,
                       description=f"Testus example {accession}", dbxrefs=[f"Assembly:GCF_{n_cds:09d}.1"],
                       features=features)
    record.annotations = {"molecule_type": "DNA", "topology": "circular", "accessions": [accession],
                          "sequence_version": version, "organism": "Testus example", "taxonomy": ["Bacteria"]}
    out = StringIO()
    SeqIO.write([record], out, "genbank")
    return out.getvalue().encode()


# Five records; AP000005 has two versions (a bare accession gets the latest).
RECORDS = genbank_records(b"".join(_genbank(acc, v, n) for acc, v, n in (
    ("NC_000001", 1, 1), ("NC_000002", 3, 2), ("NZ_CP000003", 1, 3), ("U00004", 2, 4), ("AP000005", 1, 5),
    ("AP000005", 2, 6))))


@pytest.fixture
def efetch():
    with LoopbackHTTP({EFETCH: efetch_route(RECORDS)}) as server:
        yield server


def _options(server: LoopbackHTTP, accessions: list[str], **kw) -> NcbiOptions:
    src = {"url": f"{server.url}/eutils", "accessions": accessions, "batch_size": 2, "rate_limit": None,
           "token_env": "NCBI_API_KEY", "email": None, **kw}
    return fetch_options(NcbiOptions, **src)


def _fetch(server: LoopbackHTTP, tmp_path: Path, accessions: list[str], **kw) -> list[Path]:
    return fetch_genbank_records(_options(server, accessions, **kw), os.fspath(tmp_path / "out"),
                                 os.fspath(tmp_path / "staging"))


def _ids(server: LoopbackHTTP) -> list[str]:
    return [query_of(r, "id") for r in server.hits(EFETCH)]


def test_records_come_in_batches_one_file_per_accession(efetch: LoopbackHTTP, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    wanted = ["NC_000001.1", "NC_000002", "NZ_CP000003.1", "U00004.2", "AP000005"]
    out = _fetch(efetch, tmp_path, wanted, email="me@example.org")
    assert [p.name for p in out] == [f"{a}.gbff" for a in wanted]
    assert _ids(efetch) == ["NC_000001.1,NC_000002", "NZ_CP000003.1,U00004.2", "AP000005"]
    first = efetch.hits(EFETCH)[0]
    assert {k: query_of(first, k) for k in ("db", "rettype", "retmode", "tool", "email", "api_key")} == {
        "db": "nuccore", "rettype": "gbwithparts", "retmode": "text", "tool": "astrobuild",
        "email": "me@example.org", "api_key": None}
    # Each file holds its record, byte for byte; a bare accession got the latest version.
    assert (tmp_path / "out" / "NC_000002.gbff").read_bytes() == RECORDS["NC_000002.3"]
    assert (tmp_path / "out" / "AP000005.gbff").read_bytes() == RECORDS["AP000005.2"]
    summaries = [s for p in out for s in read_records(p, p.name, Quarantine())]
    assert [(s.record_id, s.n_cds) for s in summaries] == [("NC_000001.1", 1), ("NC_000002.3", 2),
                                                           ("NZ_CP000003.1", 3), ("U00004.2", 4), ("AP000005.2", 6)]
    assert not (tmp_path / "staging").exists()


def test_the_api_key_is_sent_but_never_logged(efetch: LoopbackHTTP, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NCBI_API_KEY", SECRET)
    log_file = tmp_path / "fetch.log"
    # A 503 and a missing accession: urllib3's retry and the job's error both pass through the log.
    efetch.fail(EFETCH, Fault(503))
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    try:
        with pytest.raises(FetchError, match="NC_999999"), rule_logging(log_file, level=logging.DEBUG):
            _fetch(efetch, tmp_path, ["NC_000001.1", "NC_999999"])
    finally:  # rule_logging configures the root logger, as a rule's process should: put pytest's back
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])
    assert [query_of(r, "api_key") for r in efetch.hits(EFETCH)] == [SECRET] * 2  # sent with every request
    text = log_file.read_text()
    assert SECRET not in text
    assert "efetch.fcgi?" in text and "api_key=***" in text  # urllib3's debug lines, masked
    assert "API key from $NCBI_API_KEY: set (masked in this log); 10.0 requests/s" in text


def test_pace_is_3_per_second_without_a_key_and_10_with_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = genbank_records(b"".join(_genbank(f"PA{n:06d}", 1, 1) for n in range(12)))
    accessions = sorted(records)

    def per_second(server: LoopbackHTTP, rate: float) -> int:
        # NCBI's rule, seen from the server: no second holds more than `rate` requests, so any `rate` + 1
        # consecutive arrivals span at least a second. The bucket sends them 1/rate apart; arrivals
        # lag a send by the noise of a loaded machine (up to ~0.1 s for the first request, which
        # opens the connection and the server's thread), hence the slack.
        stamps = [r.at for r in server.hits(EFETCH)]
        k = int(rate)
        for i in range(len(stamps) - k):
            assert stamps[i + k] - stamps[i] >= 1.0 - 0.15, (rate, i, stamps)
        # And over the whole run, no faster than the rate either.
        assert stamps[-1] - stamps[0] >= (len(stamps) - 1) / rate - 0.15, (rate, stamps)
        return len(stamps)

    with LoopbackHTTP({EFETCH: efetch_route(records)}) as server:
        monkeypatch.delenv("NCBI_API_KEY", raising=False)
        _fetch(server, tmp_path / "anonymous", accessions[:5], batch_size=1)
        assert per_second(server, RATE_WITHOUT_KEY) == 5
        server.requests.clear()
        monkeypatch.setenv("NCBI_API_KEY", SECRET)
        # A configured rate above NCBI's limit is lowered to it.
        _fetch(server, tmp_path / "keyed", accessions, batch_size=1, rate_limit=50)
        assert per_second(server, RATE_WITH_KEY) == 12
    opts = fetch_options(NcbiOptions, accessions=accessions[:1])
    assert opts.rate_limit is None  # the schema's default: NCBI's limit
    assert rate_of(opts, False) == 3.0 and rate_of(opts, True) == 10.0
    assert rate_of(dataclasses.replace(opts, rate_limit=50), False) == 3.0
    assert rate_of(dataclasses.replace(opts, rate_limit=1), True) == 1.0


def test_429_with_retry_after_then_a_cut_answer_are_survived(efetch: LoopbackHTTP, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    efetch.fail(EFETCH, Fault(429, (("Retry-After", "1"),)), Fault(cut=100))
    out = _fetch(efetch, tmp_path, ["NC_000001.1", "NC_000002.3"])
    first, second, third = efetch.hits(EFETCH)  # 429, then the cut answer, then the whole one
    assert second.at - first.at >= 0.95  # the server's Retry-After, not the 0.05 s backoff
    assert third.at > second.at
    assert [p.read_bytes() for p in out] == [RECORDS["NC_000001.1"], RECORDS["NC_000002.3"]]


def test_a_missing_accession_is_named_and_the_next_run_asks_only_for_it(efetch: LoopbackHTTP, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NCBI_API_KEY", SECRET)  # 10 requests/s: a quicker test
    wanted = ["NC_000001.1", "XY000009.1", "ZZ000010", "YY000011"]
    with pytest.raises(FetchError, match=r"3 of 4 accession\(s\) did not come back: XY000009\.1 \(not in efetch's "
                                         r"answer\); YY000011 \(HTTP 404\); ZZ000010 \(HTTP 404\)"):
        _fetch(efetch, tmp_path, wanted)
    # The second batch knew no id (efetch's error status): each was asked for alone.
    assert _ids(efetch) == ["NC_000001.1,XY000009.1", "ZZ000010,YY000011", "ZZ000010", "YY000011"]
    assert not (tmp_path / "out").exists()
    # Upstream has them now: the next run asks for those three only; the record fetched was kept.
    late = genbank_records(_genbank("XY000009", 1, 1) + _genbank("ZZ000010", 1, 2) + _genbank("YY000011", 4, 3))
    efetch.routes[EFETCH] = efetch_route({**RECORDS, **late})
    efetch.requests.clear()
    out = _fetch(efetch, tmp_path, wanted)
    assert _ids(efetch) == ["XY000009.1,ZZ000010", "YY000011"]
    assert [p.name for p in out] == [f"{a}.gbff" for a in wanted]
    assert out[3].read_bytes() == late["YY000011.4"]


def test_a_record_cut_without_its_end_line_stops_the_job(efetch: LoopbackHTTP, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NCBI_API_KEY", SECRET)
    whole = RECORDS["NC_000002.3"]
    # A complete HTTP answer whose second record stops mid-sequence: what a failed efetch back end sends.
    efetch.routes[EFETCH] = lambda query: RECORDS["NC_000001.1"] + b"\n" + whole[: len(whole) // 2]
    with pytest.raises(GenomeFileError, match=r"efetch\.fcgi\?.*: record 2 \(NC_000002\.3\): the file ends inside "
                                              r"the record \(no '//' end line\)"):
        _fetch(efetch, tmp_path, ["NC_000001.1", "NC_000002.3"])
    assert not (tmp_path / "out").exists()
    staged = sorted(p.name for p in (tmp_path / "staging").rglob("*") if p.is_file())
    assert staged == ["NC_000001.1.gbff"]  # the cut answer is gone; the whole record waits for the next run
    efetch.routes[EFETCH] = efetch_route(RECORDS)
    efetch.requests.clear()
    out = _fetch(efetch, tmp_path, ["NC_000001.1", "NC_000002.3"])
    assert _ids(efetch) == ["NC_000002.3"] and out[1].read_bytes() == whole


def test_real_genbank_files_served_as_efetch_would(realdata: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # The chloroplast genome comes back whole and reads as in local mode; the record without its
    # '//' end line (what a cut answer looks like) stops the job naming it.
    monkeypatch.setenv("NCBI_API_KEY", SECRET)
    chloroplast = (realdata / "genomes" / "NC_000932.gb").read_bytes()
    with LoopbackHTTP({EFETCH: efetch_route(genbank_records(chloroplast))}) as server:
        (out,) = _fetch(server, tmp_path, ["NC_000932"])
        (row,) = read_records(out, out.name, Quarantine())
        assert (row.record_id, row.n_cds, row.n_genes, row.n_trna, row.n_rrna) == ("NC_000932.1", 85, 129, 37, 7)
        server.routes[EFETCH] = lambda query: (realdata / "genomes" / "no_end_marker.gb").read_bytes()
        with pytest.raises(GenomeFileError, match=r"record 1 \(AB070938\.1\): the file ends inside the record"):
            _fetch(server, tmp_path / "cut", ["AB070938.1"])
