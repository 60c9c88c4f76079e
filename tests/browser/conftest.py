"""The headless Chromium the page checks use: Debian's package, installed here where missing
(as root, with apt-get); where it cannot be installed the tests skip and say why."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess

from .cdp import find_chromium

INSTALL_TIMEOUT_S = 900


def ensure_chromium() -> tuple[str | None, str]:
    """The browser's path, installing Debian's ``chromium`` package if needed; else ``(None, why)``."""
    exe = find_chromium()
    if exe:
        return exe, ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "Chromium is not installed and cannot be installed here (needs root and apt-get: apt-get install -y chromium)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with open("/tmp/playbook-chromium-install.lock", "w") as lock:  # one installer at a time (pytest-xdist)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if find_chromium():
            return find_chromium(), ""
        tail = ""
        for cmd in (["apt-get", "install", "-y", "-qq", "chromium"], ["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "chromium"]):
            try:
                res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return None, f"installing Chromium timed out ({' '.join(cmd)})"
            tail = (res.stderr or res.stdout)[-300:]
            if find_chromium():
                return find_chromium(), ""
    return None, f"apt-get install chromium failed: {tail.strip()}"

