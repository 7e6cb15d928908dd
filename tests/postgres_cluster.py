"""A throw-away PostgreSQL cluster on a free loopback port, for the tests and `.ci/run`.

    python tests/postgres_cluster.py start DIR   # prints: export VIGIL_TEST_POSTGRES=postgresql://...
    python tests/postgres_cluster.py stop DIR

It runs Debian's (or any installed) `initdb` and `pg_ctl`; as root it runs them as the `postgres`
user (PostgreSQL refuses to run as root). Durability is switched off: the data is thrown away.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
from pathlib import Path

SERVER_USER = "postgres"  # the account Debian's postgresql package creates
_FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"


def bin_dir() -> Path | None:
    """The folder of `pg_ctl` and `initdb`: on PATH, or the newest under /usr/lib/postgresql."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One cluster under `root` (created, started, stopped, never reused)."""

    def __init__(self, root: Path, bins: Path) -> None:
        self.root = root
        self.bins = bins
        self.data = root / "data"
        self.port_file = root / "port"
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bins / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")

    def start(self) -> str:
        """initdb, start on a free port, and return the URL of its `postgres` database (trust auth, loopback)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync",
                  "--locale=C.UTF-8")  # fmt: skip
        port = _free_port()
        options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 {_FAST}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")
        self.port_file.write_text(str(port), encoding="utf-8")
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def stop(self) -> None:
        """Stop the server at once (the data is thrown away)."""
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


def main(argv: list[str]) -> int:
    """`start DIR` or `stop DIR`."""
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        sys.stderr.write("usage: postgres_cluster.py start|stop DIR\n")
        return 2
    bins = bin_dir()
    if bins is None:
        sys.stderr.write("no PostgreSQL binaries (pg_ctl, initdb) found: apt-get install -y postgresql\n")
        return 1
    cluster = Cluster(Path(argv[1]).resolve(), bins)
    if argv[0] == "start":
        sys.stdout.write(f"export VIGIL_TEST_POSTGRES={cluster.start()}\n")
    else:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
