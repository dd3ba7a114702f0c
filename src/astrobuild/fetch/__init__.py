"""Remote acquisition: polite, resumable, verified downloads of upstream files.

Built on ``requests`` with urllib3's ``Retry`` (backoff with jitter, Retry-After) and the standard
library's ``ftplib`` (the 1000 Genomes trees are FTP); nothing here is a home-made HTTP client or
retry policy. The pieces:

* :mod:`~astrobuild.fetch.safety`: paths from remote listings checked before use; secrets masked in
  logs; URLs refused when they carry a password.
* :mod:`~astrobuild.fetch.ratelimit`: a token bucket per host (requests per second).
* :mod:`~astrobuild.fetch.files`: the staging area (temporary ``.part`` files, atomic renames,
  md5/size verification, publishing into a rule's outputs).
* :mod:`~astrobuild.fetch.http` and :mod:`~astrobuild.fetch.ftp`: one client each, same contract.
* :mod:`~astrobuild.fetch.listing`: ``ls -lR`` listings of FTP or HTTP directory trees.
* :mod:`~astrobuild.fetch.manifest`: manifests of files to fetch (relative path, md5, bytes).
* :mod:`~astrobuild.fetch.options`: each remote source's config and the ``fetch:`` retry policy as one
  frozen, checked options object, built by the rule's script and handed to the jobs (no config dicts
  below it; tokens stay names of environment variables).
* :mod:`~astrobuild.fetch.jobs`: what each fetch rule does, one function per rule.

The HTTP and FTP servers on 127.0.0.1 that the fetch tests and benchmarks run against live outside the
package, in ``tests/support/loopback.py``.
"""
