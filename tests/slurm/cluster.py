"""A one-node SLURM cluster on this machine, for the tests of the SLURM profile.

Debian's ``slurm-wlm`` and ``munge`` daemons, started directly (no systemd) in a scratch folder:
their own munge key and socket, state, spool, logs and ports, so that nothing under /etc or /var is
touched and a cluster already running here is left alone. The node is this host as ``slurmd -C``
describes it (CPUs, memory), plus one GPU GRES with no device behind it (no GPU is needed: the
scheduler only has to grant it, the job need not use it).

One file goes outside the scratch folder: the configuration is also written to SLURM's default path,
/etc/slurm/slurm.conf, because the executor plugin's job step strips every ``SLURM_*`` variable
(``SLURM_CONF`` too) before its ``srun``, which then reads the default path. It is written only where
there is none (a machine with a SLURM configuration of its own skips these tests) and removed at
the end.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "scancel", "sinfo", "srun")
# Jobs stay in slurmctld's memory (for `squeue` and `scontrol show job`) this long after they end:
# the tests read each job's record after the run, and the executor plugin polls with squeue.
MIN_JOB_AGE_S = 7200
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
MARK = "# astrobuild test cluster (tests/slurm/cluster.py); removed when its tests end\n"
INSTALL_HINT = "apt-get install --no-install-recommends slurm-wlm munge (.ci/run does it as root)"


def unavailable() -> str | None:
    """Why a cluster cannot be started here (None when it can)."""
    if os.geteuid() != 0:
        return "the test cluster's daemons run as root (slurmd starts jobs as their user); not root here"
    missing = [name for name in (*DAEMONS, *CLIENTS) if shutil.which(name, path=_path()) is None]
    if missing:
        return f"SLURM/munge not installed ({', '.join(missing)} missing): {INSTALL_HINT}"
    if SYSTEM_CONF.exists() and not SYSTEM_CONF.read_text(errors="replace").startswith(MARK):
        return f"{SYSTEM_CONF} exists: this machine has a SLURM configuration of its own, left alone"
    return None


def _path() -> str:
    # The daemons live in /usr/sbin, which a non-login root shell may lack on PATH.
    return os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def host_node() -> dict[str, str]:
    """This host as slurmd sees it: NodeName, CPUs, sockets/cores/threads, RealMemory (MiB)."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True,
                         env={**os.environ, "PATH": _path()}).stdout
    first = out.splitlines()[0]
    return dict(item.split("=", 1) for item in first.split())


def slurm_conf(root: Path, node: dict[str, str], ports: tuple[int, int], partitions: list[str]) -> str:
    """slurm.conf of the one-node cluster in ``root``: every partition holds the node, the first is the
    default."""
    name = node["NodeName"]
    shape = " ".join(f"{k}={node[k]}" for k in ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket",
                                                "ThreadsPerCore", "RealMemory") if k in node)
    nodes = f"NodeName={name} NodeAddr=127.0.0.1 {shape} Gres=gpu:1 State=UNKNOWN"
    parts = [f"PartitionName={p} Nodes={name} MaxTime=INFINITE State=UP{' Default=YES' if i == 0 else ''}"
             for i, p in enumerate(dict.fromkeys(partitions))]
    return MARK + "\n".join([
        "ClusterName=astrobuild-test",
        f"SlurmctldHost={name}(127.0.0.1)",
        f"SlurmctldPort={ports[0]}",
        f"SlurmdPort={ports[1]}",
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        f"AuthInfo=socket={root / 'munge' / 'munge.socket'}",
        f"StateSaveLocation={root / 'state'}",
        f"SlurmdSpoolDir={root / 'spool'}",
        f"SlurmctldPidFile={root / 'slurmctld.pid'}",
        f"SlurmdPidFile={root / 'slurmd.pid'}",
        f"SlurmctldLogFile={root / 'log' / 'slurmctld.log'}",
        f"SlurmdLogFile={root / 'log' / 'slurmd.log'}",
        # No cgroups in a container: processes are tracked by their parent PID, no task binding.
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        # CPUs and GPUs are consumable; memory is recorded (each job's --mem is in its record) but not
        # consumed: the plugin's srun of each job of a group job asks for all of the job's memory, so
        # with CR_Core_Memory the group's jobs would run one at a time, not side by side.
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "GresTypes=gpu",
        "SchedulerType=sched/backfill",
        "MpiDefault=none",
        "SwitchType=switch/none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        "ReturnToService=2",
        "MailProg=/bin/true",  # the default (/usr/bin/mail) is not installed: one error line less
        f"MinJobAge={MIN_JOB_AGE_S}",
        "SlurmctldDebug=info",
        "SlurmdDebug=info",
        nodes,
        *parts,
        "",
    ])


def gres_conf(node: dict[str, str]) -> str:
    # One GPU and no hardware: slurmd counts a GPU by its device file, and /dev/null is one that every
    # machine has (nothing opens it: the scheduler only has to grant the GPU); AutoDetect=off: no probing.
    return f"AutoDetect=off\nNodeName={node['NodeName']} Name=gpu File=/dev/null\n"


@dataclass
class Cluster:
    root: Path
    node: dict[str, str]
    env: dict[str, str]
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.root / "etc" / "slurm.conf"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """A SLURM client command against this cluster."""
        return subprocess.run(list(args), capture_output=True, text=True, env=self.env, check=check, timeout=60)

    def job(self, jobid: str) -> dict[str, str]:
        """``scontrol show job`` of one job, as key -> value (kept for MinJobAge after it ends)."""
        out = self.run("scontrol", "show", "job", "--oneliner", jobid).stdout
        return parse_record(out)

    def jobs(self) -> list[dict[str, str]]:
        """Every job the controller still holds, oldest first."""
        out = self.run("scontrol", "show", "job", "--oneliner").stdout
        return [parse_record(line) for line in out.splitlines() if line.startswith("JobId=")]

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in sorted((self.root / "log").glob("*.log")))

    def stop(self) -> None:
        """Cancel what is left, stop the daemons by PID (slurmd, slurmctld, munged), remove the copy of
        the configuration at the default path."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            self.run("scancel", "--full", "--user=root", check=False)
            deadline = time.monotonic() + 20
            while self.run("squeue", "--noheader", check=False).stdout.strip() and time.monotonic() < deadline:
                time.sleep(0.5)
        for name in reversed(DAEMONS):
            proc = self.procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if SYSTEM_CONF.exists() and SYSTEM_CONF.read_text(errors="replace").startswith(MARK):
            SYSTEM_CONF.unlink()


def parse_record(line: str) -> dict[str, str]:
    """``Key=Value Key=Value ...`` of a ``scontrol --oneliner`` line (values may hold '=' but no space,
    except Command/WorkDir-like paths, which we do not read)."""
    return dict(m.groups() for m in re.finditer(r"(\w[\w:/]*)=(\S*)", line))


def start(root: Path, partitions: list[str], timeout: float = 60) -> Cluster:
    """Write the configuration in ``root`` and start munged, slurmctld and slurmd (foreground processes
    of ours, so that they are stopped by PID); returns once the node is idle."""
    for sub in ("etc", "munge", "state", "spool", "log"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "munge").chmod(0o700)
    node = host_node()
    ports = (_free_port(), _free_port())
    conf = root / "etc" / "slurm.conf"
    conf.write_text(slurm_conf(root, node, ports, partitions))
    SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(conf, SYSTEM_CONF)
    (root / "etc" / "gres.conf").write_text(gres_conf(node))
    key = root / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    env = {**os.environ, "PATH": _path(), "SLURM_CONF": str(conf)}
    # A job environment of the caller must not leak into our cluster's clients.
    env = {k: v for k, v in env.items() if not k.startswith(("SLURM_JOB", "SLURM_STEP"))} | {"SLURM_CONF": str(conf)}
    cluster = Cluster(root=root, node=node, env=env)
    commands = {
        "munged": ["munged", "--foreground", "--force", f"--key-file={key}", f"--socket={root / 'munge' / 'munge.socket'}",
                   f"--pid-file={root / 'munge' / 'munged.pid'}", f"--log-file={root / 'log' / 'munged.log'}",
                   f"--seed-file={root / 'munge' / 'munged.seed'}"],
        "slurmctld": ["slurmctld", "-D", "-i", "-f", str(conf)],
        "slurmd": ["slurmd", "-D", "-f", str(conf)],
    }
    try:
        for name in DAEMONS:
            out = (root / "log" / f"{name}.out").open("w")
            cluster.procs[name] = subprocess.Popen(commands[name], env=env, stdout=out, stderr=subprocess.STDOUT,
                                                   stdin=subprocess.DEVNULL)
            if name == "munged":
                _wait(lambda: (root / "munge" / "munge.socket").exists(), cluster, timeout, "munged's socket")
            if name == "slurmctld":
                _wait(lambda: cluster.run("scontrol", "ping", check=False).returncode == 0, cluster, timeout,
                      "slurmctld to answer")
        _wait(lambda: _node_state(cluster).startswith("IDLE"), cluster, timeout, "the node to be idle")
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _node_state(cluster: Cluster) -> str:
    proc = cluster.run("sinfo", "--noheader", "--node", cluster.node["NodeName"], "--format=%T", check=False)
    return proc.stdout.strip().upper()


def _wait(ready, cluster: Cluster, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        dead = [n for n, p in cluster.procs.items() if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            why = f"{', '.join(dead)} exited" if dead else f"no answer after {timeout:.0f} s"
            raise RuntimeError(f"test SLURM cluster: waiting for {what}: {why}\n{cluster.logs()}")
        time.sleep(0.5)
