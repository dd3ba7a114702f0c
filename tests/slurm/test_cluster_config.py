"""The test cluster's configuration, written for a host (no daemon started: runs in `make test`)."""

from __future__ import annotations

from pathlib import Path

from tests.slurm.cluster import MARK, gres_conf, parse_record, slurm_conf

NODE = {"NodeName": "n1", "CPUs": "6", "Boards": "1", "SocketsPerBoard": "1", "CoresPerSocket": "6",
        "ThreadsPerCore": "1", "RealMemory": "7800"}


def _lines(text: str) -> dict[str, str]:
    return {line.split("=", 1)[0]: line for line in text.splitlines() if "=" in line and not line.startswith("#")}


def test_the_node_is_the_host_with_one_gpu_and_every_partition():
    conf = slurm_conf(Path("/scratch"), NODE, (7001, 7002), ["batch", "gpu", "batch"])
    assert conf.startswith(MARK)  # how the copy at /etc/slurm/slurm.conf is recognised as ours
    lines = _lines(conf)
    node = parse_record(lines["NodeName"])
    assert (node["CPUs"], node["RealMemory"], node["Gres"]) == ("6", "7800", "gpu:1")
    partitions = [line for line in conf.splitlines() if line.startswith("PartitionName=")]
    assert [parse_record(p)["PartitionName"] for p in partitions] == ["batch", "gpu"]
    assert "Default=YES" in partitions[0] and "Default=YES" not in partitions[1]
    assert lines["SlurmctldPort"] == "SlurmctldPort=7001" and lines["SlurmdPort"] == "SlurmdPort=7002"
    assert lines["AuthInfo"] == "AuthInfo=socket=/scratch/munge/munge.socket"
    assert int(lines["MinJobAge"].split("=")[1]) >= 3600  # records outlive the runs that read them
    assert "Name=gpu File=/dev/null" in gres_conf(NODE) and "NodeName=n1" in gres_conf(NODE)


def test_scontrol_records_are_read_key_by_key():
    record = parse_record("JobId=7 JobName=abc TRES=cpu=2,mem=1800M,node=1 CPUs/Task=2 Power= StdOut=/a/b.log")
    assert record == {"JobId": "7", "JobName": "abc", "TRES": "cpu=2,mem=1800M,node=1", "CPUs/Task": "2",
                      "Power": "", "StdOut": "/a/b.log"}
