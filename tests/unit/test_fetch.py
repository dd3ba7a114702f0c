"""The fetch library against real servers on 127.0.0.1: resume, retries, Retry-After, verification,
unsafe names, rate limits, masking (issue 13). No test reaches beyond the loopback interface."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path, PurePosixPath

import pytest

from astrobuild.fetch.files import Expected, Staging, VerifyError
from astrobuild.fetch.ftp import FtpClient
from astrobuild.fetch.http import FetchError, HttpClient, RetryPolicy
from astrobuild.fetch.jobs import fetch_1000g_indices
from astrobuild.fetch.listing import http_lister, index_entries, listed_sizes, ls_line, walk_tree
from astrobuild.fetch.manifest import config_entries, parse_manifest
from astrobuild.fetch.options import Genomes1000gOptions, KeggOptions
from astrobuild.fetch.ratelimit import HostLimiter, TokenBucket
from astrobuild.fetch.safety import SecretMask, UnsafePathError, check_url, safe_join, safe_relpath
from tests.fetch_options import fetch_options
from tests.support.loopback import Fault, LoopbackHTTP, loopback_ftp

FAST = RetryPolicy(retries=3, backoff=0.05, backoff_max=1.0, jitter=0.01, connect_timeout=5, read_timeout=5)
BODY = os.urandom(13 * 2**20 + 12345)  # several read blocks (4 MiB): a cut lands after whole blocks were written
REL = PurePosixPath("dir/file.bin")


def client(rate: float | None = None, policy: RetryPolicy = FAST, **kw) -> HttpClient:
    return HttpClient(policy, HostLimiter(rate), **kw)


@pytest.fixture
def server():
    with LoopbackHTTP({"/data/file.bin": BODY, "/data/small.txt": b"hello\n"}) as srv:
        yield srv


def test_a_download_cut_half_way_resumes_with_range(server: LoopbackHTTP, tmp_path: Path) -> None:
    staging = Staging(tmp_path / "staging")
    url = f"{server.url}/data/file.bin"
    # First run: the body stops after 9 MiB and no retry is allowed: the job fails, and what it
    # leaves is a .part file, nothing that looks complete.
    server.fail("/data/file.bin", Fault(cut=9 * 2**20 + 7))
    with pytest.raises(FetchError, match="cut off") as failed:
        client(policy=RetryPolicy(retries=0, backoff=0.01)).download(url, REL, staging)
    assert url in str(failed.value)
    part = staging.part(REL)
    assert not staging.path(REL).exists() and part.is_file()
    kept = part.stat().st_size
    assert 0 < kept < len(BODY)
    # Next run: it asks for the rest only, and the file is whole and verified.
    outcome = client().download(url, REL, staging, Expected(md5=hashlib.md5(BODY).hexdigest()))
    assert outcome.action == "resumed" and outcome.md5 == hashlib.md5(BODY).hexdigest()
    assert server.requests[-1].range == f"bytes={kept}-"
    assert staging.path(REL).read_bytes() == BODY and not part.exists()
    # A third run finds it staged and verified: no request at all.
    before = len(server.requests)
    assert client().download(url, REL, staging, Expected(size=len(BODY))).action == "kept"
    assert len(server.requests) == before


def test_a_cut_within_one_run_is_resumed_by_the_retry_policy(server: LoopbackHTTP, tmp_path: Path) -> None:
    server.fail("/data/file.bin", Fault(cut=5 * 2**20 + 1), Fault(cut=5 * 2**20 + 1))
    outcome = client().download(f"{server.url}/data/file.bin", REL, Staging(tmp_path), Expected(size=len(BODY)))
    assert outcome.action == "resumed"
    ranges = [r.range for r in server.hits("/data/file.bin")]
    assert ranges[0] is None and all(r and r.startswith("bytes=") for r in ranges[1:])
    assert Staging(tmp_path).path(REL).read_bytes() == BODY


def test_a_whole_part_file_left_before_its_rename_is_verified_not_fetched(server: LoopbackHTTP,
                                                                          tmp_path: Path) -> None:
    staging = Staging(tmp_path)
    staging.part(REL).parent.mkdir(parents=True)
    staging.part(REL).write_bytes(BODY)  # killed between the last byte and the rename
    outcome = client().download(f"{server.url}/data/file.bin", REL, staging, Expected(md5=hashlib.md5(BODY).hexdigest()))
    assert outcome.action == "resumed" and staging.path(REL).read_bytes() == BODY
    assert [r.range for r in server.hits("/data/file.bin")] == [f"bytes={len(BODY)}-"]  # answered 416, no body


def test_a_server_ignoring_range_gets_the_file_rewritten_from_the_start(server: LoopbackHTTP, tmp_path: Path) -> None:
    staging = Staging(tmp_path)
    staging.part(REL).parent.mkdir(parents=True)
    staging.part(REL).write_bytes(b"stale bytes of another version")
    server.ranges = False
    client().download(f"{server.url}/data/file.bin", REL, staging, Expected(size=len(BODY)))
    assert staging.path(REL).read_bytes() == BODY


def test_503_twice_then_200_with_backoff(server: LoopbackHTTP, tmp_path: Path) -> None:
    server.fail("/data/small.txt", Fault(503), Fault(503))
    policy = RetryPolicy(retries=3, backoff=0.2, jitter=0.01)
    client(policy=policy).download(f"{server.url}/data/small.txt", PurePosixPath("small.txt"), Staging(tmp_path))
    hits = server.hits("/data/small.txt")
    assert len(hits) == 3
    gaps = [b.at - a.at for a, b in zip(hits, hits[1:], strict=False)]
    # Exponential: backoff * 2**(n-1) plus jitter, the first retry waiting too (0.2 s, then 0.4 s).
    assert gaps[0] >= 0.2 - 0.03 and gaps[1] >= 0.4 - 0.03, gaps


def test_429_with_retry_after_is_honoured(server: LoopbackHTTP) -> None:
    server.fail("/data/small.txt", Fault(429, (("Retry-After", "1"),)))
    assert client().get_text(f"{server.url}/data/small.txt") == "hello\n"
    first, second = server.hits("/data/small.txt")
    assert second.at - first.at >= 0.95


def test_no_retry_on_a_client_error_and_the_error_names_the_url(server: LoopbackHTTP) -> None:
    with pytest.raises(FetchError, match=r"/data/missing\.txt: HTTP 404 .*not retried") as failed:
        client().get_text(f"{server.url}/data/missing.txt")
    assert failed.value.status == 404 and len(server.hits("/data/missing.txt")) == 1
    server.fail("/data/small.txt", Fault(403))
    with pytest.raises(FetchError, match="HTTP 403"):
        client().get_text(f"{server.url}/data/small.txt")
    assert len(server.hits("/data/small.txt")) == 1


def test_retries_run_out_with_an_error_naming_the_url_and_attempts(server: LoopbackHTTP) -> None:
    server.fail("/data/small.txt", *[Fault(503)] * 10)
    with pytest.raises(FetchError, match=r"127\.0\.0\.1:\d+/data/small\.txt: HTTP 503 .*after 4 attempts"):
        client().get_text(f"{server.url}/data/small.txt")
    assert len(server.hits("/data/small.txt")) == FAST.retries + 1


def test_a_refused_connection_is_retried_then_named(tmp_path: Path) -> None:
    with LoopbackHTTP() as gone:
        url = f"{gone.url}/x"
    with pytest.raises(FetchError, match=r"127\.0\.0\.1:\d+/x: gave up after 4 attempts"):
        client().get_text(url)


def test_md5_mismatch_deletes_the_file_and_names_both_values(server: LoopbackHTTP, tmp_path: Path) -> None:
    staging = Staging(tmp_path)
    wrong = "0" * 32
    with pytest.raises(VerifyError) as failed:
        client().download(f"{server.url}/data/small.txt", REL, staging, Expected(md5=wrong))
    message = str(failed.value)
    assert wrong in message and hashlib.md5(b"hello\n").hexdigest() in message and "/data/small.txt" in message
    assert not staging.path(REL).exists() and not staging.part(REL).exists()
    with pytest.raises(VerifyError, match="expected 99 bytes, got 6"):
        client().download(f"{server.url}/data/small.txt", REL, staging, Expected(size=99))


def test_index_files_are_checked_against_the_sizes_their_listing_gives(server: LoopbackHTTP, tmp_path: Path) -> None:
    opts = fetch_options(Genomes1000gOptions, url=server.url, indices=["data/small.txt"],
                         fetch={"retries": 0, "backoff": 0.05, "backoff_max": 1, "jitter": 0, "retry_after_max": 1,
                                "connect_timeout": 5, "read_timeout": 5})
    listing = tmp_path / "listings" / "data.ls-lR"
    listing.parent.mkdir()
    listing.write_text("./data:\n" + ls_line("small.txt", False, 99, None) + "\n" + ls_line("sub", True, 4096, None) + "\n")
    assert listed_sizes(listing.read_text()) == {"data/small.txt": 99}
    with pytest.raises(VerifyError, match=r"/data/small.txt.*expected 99 bytes, got 6"):
        fetch_1000g_indices(opts, str(tmp_path / "out"), str(tmp_path / "staging"), listings_dir=listing.parent)
    assert not (tmp_path / "out").exists()
    listing.write_text("./data:\n" + ls_line("small.txt", False, 6, None) + "\n")
    (got,) = fetch_1000g_indices(opts, str(tmp_path / "out"), str(tmp_path / "staging"), listings_dir=listing.parent)
    assert got.read_bytes() == b"hello\n"


@pytest.mark.parametrize(("name", "reason"), [
    ("../etc/passwd", "'..'"), ("a/../../b", "'..'"), ("/abs/path", "absolute"), ("C:/x", "absolute"),
    ("a\\b", "backslash"), ("a//b", "empty"), ("a/./b", "'.'"), ("dir/", "empty"), (".hidden", "odd"),
    ("x y", "odd"), ("a{b}", "odd"), ("a\nb", "odd"), ("", "empty"), ("-rf", "odd"),
])
def test_unsafe_names_from_listings_are_refused(name: str, reason: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafePathError, match=reason):
        safe_relpath(name)
    with pytest.raises(UnsafePathError):
        safe_join(tmp_path, name)


def test_safe_names_stay_under_the_folder(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "vol1/ftp/HG00096.final.cram") == tmp_path / "vol1/ftp/HG00096.final.cram"
    (tmp_path / "link").symlink_to("/")
    with pytest.raises(UnsafePathError, match="outside"):
        safe_join(tmp_path, "link/etc")


def test_a_manifest_with_dotdot_or_duplicates_is_refused() -> None:
    with pytest.raises(UnsafePathError, match=r"line 3: path '\.\./\.\./etc/cron\.d/x' refused"):
        parse_manifest("path,md5,bytes\ncubes/a.nc,,\n../../etc/cron.d/x,,\n", "http://127.0.0.1/manifest.csv")
    with pytest.raises(ValueError, match="listed twice"):
        parse_manifest("path,md5,bytes\na.nc,,\na.nc,,\n", "m.csv")
    with pytest.raises(ValueError, match="32 hexadecimal"):
        parse_manifest("path,md5,bytes\na.nc,abc,\n", "m.csv")
    with pytest.raises(ValueError, match="header"):
        parse_manifest("file,md5\n", "m.csv")
    entries = config_entries(["x/a.index", {"path": "b.ped", "md5": "A" * 32, "bytes": 12}], "k")
    assert [e.path for e in entries] == ["x/a.index", "b.ped"]
    assert entries[1].expected == Expected(size=12, md5="a" * 32)


def test_rate_limit_holds_by_request_timestamps(server: LoopbackHTTP) -> None:
    http = client(rate=10.0)
    for _ in range(8):
        http.get_text(f"{server.url}/data/small.txt")
    # Retries take tokens too: a 503 and its retry keep the pace.
    server.fail("/data/small.txt", Fault(503))
    http.get_text(f"{server.url}/data/small.txt")
    stamps = [r.at for r in server.hits("/data/small.txt")]
    assert len(stamps) == 10
    # No window of the server's arrival times holds more than 10 requests/s, give or take one: any k+1
    # requests span at least k/10 s less one interval. The limiter spaces the sends; on a loaded machine
    # one request can reach the server late, which shortens the gap after it (by up to its delay), so
    # exact spacing of arrivals would fail at random, while a limiter that did not hold would fail here.
    slack = 0.1
    for i in range(len(stamps)):
        for j in range(i + 1, len(stamps)):
            assert stamps[j] - stamps[i] >= (j - i) / 10.0 - slack, (i, j, stamps)


def test_token_bucket_paces_and_allows_a_burst() -> None:
    now, slept = [0.0], []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    bucket = TokenBucket(rate=4.0, burst=2, clock=lambda: now[0], sleep=sleep)
    waits = [bucket.acquire() for _ in range(6)]
    assert waits[:2] == [0.0, 0.0] and all(w == pytest.approx(0.25) for w in waits[2:])
    assert now[0] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        TokenBucket(rate=0)


def test_tokens_are_sent_but_never_logged(server: LoopbackHTTP, caplog: pytest.LogCaptureFixture) -> None:
    mask = SecretMask()
    secret = "s3cr3t-token-value"
    http = client(mask=mask, token=secret, token_scheme="token")
    http.get_text(f"{server.url}/data/small.txt")
    assert server.requests[-1].authorization == f"token {secret}"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "header was %s, url ftp://me:%s@host/x",
                               (secret, "pw12345"), None)
    mask.filter(record)
    assert secret not in record.getMessage() and "pw12345" not in record.getMessage()
    assert "***" in record.getMessage()
    with pytest.raises(ValueError, match="password"):
        check_url("https://user:pw@example.org/x", "sources.kegg.url")
    assert HttpClient(FAST, HostLimiter(None)).session.verify is True


def test_http_index_pages_become_an_ls_lr_listing(server: LoopbackHTTP) -> None:
    server.routes["/tree/a/x.index"] = b"12345"
    server.routes["/tree/a/b/y.cram"] = b"1"
    http = client()
    text = walk_tree(http_lister(http.get_text, http.head, server.url), "tree")
    assert "./tree:\n" in text and "./tree/a/b:\n" in text
    assert " 5 Jan  1  2024 x.index" in text
    entries = index_entries('<a href="../">..</a><a href="d/">d/</a> 2020-01-02 10:00  -\n'
                            '<a href="f.txt">f.txt</a>  02-Jan-2020 10:00  123\n<a href="?C=N">sort</a>')
    assert [(e[0], e[1], e[2]) for e in entries] == [("d", True, None), ("f.txt", False, 123)]


def test_ftp_tree_listing_and_resumed_download(tmp_path: Path) -> None:
    root = tmp_path / "ftproot"
    (root / "vol1/ftp/tree/sub").mkdir(parents=True)
    (root / "vol1/ftp/tree/other").mkdir()
    (root / "vol1/ftp/tree/bad name").mkdir()
    (root / "vol1/ftp/tree/sub/a.index").write_bytes(BODY)
    (root / "vol1/ftp/tree/other/b.txt").write_text("b")
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    with loopback_ftp(root) as url:
        ftp = FtpClient(url, FAST, HostLimiter(None))
        from astrobuild.fetch.listing import TreeStats

        stats = TreeStats()
        text = walk_tree(ftp.list_lines, "vol1/ftp/tree", skip=frozenset({"vol1/ftp/tree/other"}), stats=stats)
        assert "./vol1/ftp/tree/sub:" in text and "a.index" in text
        assert "./vol1/ftp/tree/other:" not in text  # listed on its own
        assert stats.refused and "bad name" in stats.refused[0]
        staging = Staging(tmp_path / "staging")
        staging.part(REL).parent.mkdir(parents=True)
        staging.part(REL).write_bytes(BODY[:1000])
        outcome = ftp.download("vol1/ftp/tree/sub/a.index", REL, staging)
        assert outcome.action == "resumed" and staging.path(REL).read_bytes() == BODY
        with pytest.raises(FetchError, match="not retried"):
            ftp.download("vol1/ftp/tree/missing", PurePosixPath("m"), staging)
        ftp.close()


def test_publish_moves_staged_files_and_refuses_partial_ones(tmp_path: Path) -> None:
    staging = Staging(tmp_path / "staging")
    staging.path(REL).parent.mkdir(parents=True)
    staging.path(REL).write_text("done")
    staging.part(PurePosixPath("other")).write_text("half")
    with pytest.raises(RuntimeError, match="partial"):
        staging.publish([REL], tmp_path / "out")
    staging.part(PurePosixPath("other")).unlink()
    assert staging.publish([REL], tmp_path / "out") == [tmp_path / "out" / REL]
    assert (tmp_path / "out" / REL).read_text() == "done" and not staging.root.exists()


def test_remote_config_needs_a_url_without_a_password() -> None:
    from astrobuild.sources import check_remote_config

    with pytest.raises(ValueError, match=r"sources\.spectra\.url: remote mode needs"):
        check_remote_config({"sources": {"spectra": {"mode": "remote", "url": None}}})
    with pytest.raises(ValueError, match=r"sources\.kegg\.url: the URL holds a password"):
        check_remote_config({"sources": {"kegg": {"mode": "remote", "url": "https://me:pw@rest.kegg.jp"}}})
    check_remote_config({"sources": {"kegg": {"mode": "sample", "url": None}}})  # not remote: not read


def test_kgml_ids_come_from_the_list_or_the_configured_subset(tmp_path: Path) -> None:
    from astrobuild.fetch.jobs import kegg_list_files, kgml_ids

    listing = tmp_path / "list_pathway.txt"
    listing.write_text("map00010\tGlycolysis\npath:map00020\tCitrate cycle\nmap00010\tGlycolysis again\n")
    opts = fetch_options(KeggOptions, kgml_prefixes=["ko", "hsa"], pathways=None)
    assert kgml_ids(opts, listing) == ["ko00010", "hsa00010", "ko00020", "hsa00020"]
    subset = fetch_options(KeggOptions, kgml_prefixes=["ko", "hsa"], pathways=["map00190", "00010"])
    assert subset.pathways == ("00190", "00010")
    assert kgml_ids(subset, listing) == ["ko00190", "hsa00190", "ko00010", "hsa00010"]
    # The defaults (organisms [hsa], brite [br08901]).
    assert kegg_list_files(opts) == {
        "list/pathway": "list_pathway.txt", "list/pathway/hsa": "list_pathway_hsa.txt", "list/hsa": "list_hsa.txt",
        "get/br:br08901": "br08901.keg",
        # The organisms chain's KO and EC -> pathway membership (organisms_to_pathways).
        "link/pathway/ko": "link_pathway_ko.txt", "link/pathway/ec": "link_pathway_ec.txt"}


def test_kegg_pathways_tolerate_404_but_not_other_errors(server: LoopbackHTTP, tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    from astrobuild.fetch.jobs import fetch_kegg_pathways

    listing = tmp_path / "list_pathway.txt"
    listing.write_text("map00010\tGlycolysis\nmap00020\tCitrate cycle\n")
    server.routes["/kegg/get/ko00010/kgml"] = b"<pathway name='path:ko00010'/>\n"
    opts = fetch_options(KeggOptions, url=f"{server.url}/kegg", rate_limit=100, kgml_prefixes=["ko"], pathways=None,
                         fetch={"retries": 1, "backoff": 0.01, "backoff_max": 1, "jitter": 0, "retry_after_max": 5,
                                "connect_timeout": 5, "read_timeout": 5})
    with caplog.at_level(logging.INFO):
        out = fetch_kegg_pathways(opts, os.fspath(listing), os.fspath(tmp_path / "out"),
                                  os.fspath(tmp_path / "staging"))
    assert out == [tmp_path / "out" / "ko00010.xml"] and not (tmp_path / "staging").exists()
    assert "1 not available upstream: ko00020" in caplog.text
    server.fail("/kegg/get/ko00010/kgml", Fault(403))
    with pytest.raises(FetchError, match="HTTP 403"):
        fetch_kegg_pathways(opts, os.fspath(listing), os.fspath(tmp_path / "out2"),
                            os.fspath(tmp_path / "staging"))
