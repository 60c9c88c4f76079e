"""A real Dask cluster on loopback: ``playbook run --scheduler`` runs notebooks on its workers, in
hand-off order, over plain TCP on 127.0.0.1 and over TLS with self-made certificates."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli
from quick_notebooks import entries, handoff_notebooks, manifest, quick_notebook

DASK = Path(sys.executable).with_name("dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster_env(extra: dict | None = None) -> dict:
    """The workers import this checkout's ``playbook``, as the test process does."""
    path = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return {**os.environ, "PYTHONPATH": path, "PYTHONWARNINGS": "ignore", **(extra or {})}


class Cluster:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, stopped by their process ids."""

    def __init__(self, tmp: Path, protocol: str = "tcp", tls: list[str] = (), env: dict | None = None, nworkers: int = 2):
        self.port = free_port()
        self.address = f"{protocol}://127.0.0.1:{self.port}"
        self.env = cluster_env(env)
        self.procs = []
        logs = tmp / f"dask-{self.port}"
        logs.mkdir()
        self._start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--protocol", protocol,
                     "--no-dashboard", *tls], logs / "scheduler.log")
        self._start([str(DASK), "worker", self.address, "--nworkers", str(nworkers), "--nthreads", "1", "--no-dashboard",
                     "--memory-limit", "0", *tls], logs / "worker.log")
        self.logs = logs

    def _start(self, cmd: list[str], log: Path) -> None:
        fh = open(log, "w")  # noqa: SIM115 - closed with the process
        self.procs.append((subprocess.Popen(cmd, env=self.env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True), fh))

    def stop(self) -> None:
        for proc, fh in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=30)
            fh.close()


@pytest.fixture(scope="module")
def tcp_cluster(tmp_path_factory):
    cluster = Cluster(tmp_path_factory.mktemp("tcp"))
    yield cluster
    cluster.stop()
    assert all(proc.poll() is not None for proc, _ in cluster.procs)


def test_a_batch_runs_on_the_cluster_workers_in_hand_off_order(tcp_cluster, tmp_path, orders_dir):
    nbs = handoff_notebooks(tmp_path / "nbs")
    out = tmp_path / "shared-out"
    config = tmp_path / "batch.yaml"  # one producer/consumer pair per market, each pair in its own folder
    config.write_text(f"data: {orders_dir}\nreports:\n  - notebooks: [late, early]\n    grid: {{market: [de, fr]}}\n"
                      "    name: '{market}'\n")
    res = run_cli("run", "--config", str(config), "--notebooks", str(nbs), "--out", str(out), "--scheduler", tcp_cluster.address,
                  env=cluster_env(), timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    run = manifest(out)["run"]
    assert run["executor"] == "dask" and run["scheduler"] == tcp_cluster.address
    assert run["workers"] and all(w.startswith("tcp://127.0.0.1:") for w in run["workers"])
    found = entries(out)
    assert sorted(found) == ["de/early", "de/late", "fr/early", "fr/late"]
    for entry in found.values():
        assert entry["executor"] == "dask" and entry["worker"] in run["workers"], entry
    for market in ("de", "fr"):
        early, late = found[f"{market}/early"], found[f"{market}/late"]
        assert json.loads((out / market / "early.json").read_text())["part"] == "42"
        assert early["handoffs"][0]["producer"] == f"{market}/late"
        assert dt.datetime.fromisoformat(early["started_at"]) >= dt.datetime.fromisoformat(late["finished_at"])
        assert (out / market / "early.html").exists()
    index = (out / "index.html").read_text()
    assert index.count('<section class="pb-card') == 4 and 'href="de/early.html"' in index and 'href="fr/late.html"' in index
    assert f"on the Dask cluster at {tcp_cluster.address}" in (out / "run.log").read_text()


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("tcp://10.20.30.40:8786", "beyond loopback the playbook connects only over TLS"),
        ("tls://127.0.0.1:9", "needs the Dask configuration distributed.comm.tls.ca-file"),
        ("http://127.0.0.1:8786", "expects tcp://HOST:PORT"),
    ],
)
def test_unsafe_or_unconfigured_scheduler_addresses_are_refused_before_anything_runs(tmp_path, orders_dir, address, message):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    quick_notebook(nbs, "quick", ["x = 1"])
    res = run_cli("run", "--notebooks", str(nbs), "--data", str(orders_dir), "--out", str(tmp_path / "out"), "--scheduler", address,
                  env={k: v for k, v in cluster_env().items() if not k.startswith("DASK_")})
    assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def make_certificates(folder: Path) -> dict[str, Path]:
    """A throw-away CA and one certificate for 127.0.0.1 signed by it (scheduler, worker and client)."""
    folder.mkdir()
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.pem", "node.key", "node.csr", "node.pem"))
    ext = folder / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for cmd in (
        ["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=playbook test CA"],
        ["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2",
         "-extfile", ext],
    ):
        subprocess.run([str(c) for c in cmd], check=True, capture_output=True, timeout=60)
    return {"ca": ca, "cert": cert, "key": key}


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl (Debian package openssl) is needed to make test certificates")
def test_a_run_over_tls_with_required_encryption(tmp_path, orders_dir):
    certs = make_certificates(tmp_path / "certs")
    tls = ["--tls-ca-file", str(certs["ca"]), "--tls-cert", str(certs["cert"]), "--tls-key", str(certs["key"])]
    encrypted = {"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True"}
    cluster = Cluster(tmp_path, protocol="tls", tls=tls, env=encrypted, nworkers=1)
    try:
        nbs = tmp_path / "nbs"
        nbs.mkdir()
        quick_notebook(nbs, "quick", ["x = 1"])
        client_config = {**encrypted, "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": str(certs["ca"]),
                         "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": str(certs["cert"]),
                         "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": str(certs["key"])}
        out = tmp_path / "out"
        res = run_cli("run", "--notebooks", str(nbs), "--data", str(orders_dir), "--out", str(out), "--scheduler", cluster.address,
                      env=cluster_env(client_config), timeout=900)
        assert res.returncode == 0, (res.stderr[-3000:], (cluster.logs / "worker.log").read_text()[-2000:])
        (entry,) = manifest(out)["notebooks"]
        assert entry["executor"] == "dask" and entry["worker"].startswith("tls://127.0.0.1:")
        assert manifest(out)["run"]["scheduler"].startswith("tls://")
    finally:
        cluster.stop()

