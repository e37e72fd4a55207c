"""Start a local Spark Connect server from the installed pyspark (nothing is downloaded).

pyspark 4 ships the Connect server jar (``pyspark/jars/spark-connect_*.jar``) and
``spark-submit``; this runs one on a local port, for trying the engine out, for the tests and
for the benchmark::

    python -m supportkpi.engine.spark_server --port 15002      # then: sc://127.0.0.1:15002

A real cluster runs its own Connect server; this module is not needed there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from supportkpi.errors import UnsupportedError

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
#: Settings of a small server on one machine: quiet, no UI, few shuffle partitions.
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.log.level": "WARN",
    "spark.sql.shuffle.partitions": "4",
}


def pyspark_home() -> Path:
    """The installed pyspark package: it is a complete SPARK_HOME (bin/, jars/)."""
    try:
        import pyspark
    except ImportError:
        raise UnsupportedError(
            "a Spark Connect server needs `pip install supportkpi[spark]`"
        ) from None
    return Path(pyspark.__file__).parent


def server_command(
    port: int, master: str = "local[2]", conf: dict[str, str] | None = None, memory: str = "2g"
) -> list[str]:
    """The ``spark-submit`` command line of a Connect server on ``port``."""
    home = pyspark_home()
    jars = sorted((home / "jars").glob("spark-connect_*.jar"))
    if not jars:
        raise UnsupportedError(
            f"no spark-connect jar in {home / 'jars'}; is pyspark >= 4 installed?"
        )
    settings = {**LOCAL_CONF, **(conf or {}), "spark.connect.grpc.binding.port": str(port)}
    command = [str(home / "bin" / "spark-submit"), "--class", SERVER_CLASS, "--master", master]
    command += ["--driver-memory", memory]
    for key, value in settings.items():
        command += ["--conf", f"{key}={value}"]
    return [*command, str(jars[-1])]


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    port: int,
    log: Path,
    conf: dict[str, str] | None = None,
    timeout_s: float = 90.0,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server, wait until it accepts connections, and return its process.

    Its output goes to ``log``; a server that exits or stays silent past ``timeout_s`` is
    stopped and reported with the end of that log.
    """
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise UnsupportedError("a Spark Connect server needs Java 17 (no `java` on PATH)")
    home = pyspark_home()
    environment = {**os.environ, "SPARK_HOME": str(home), **(env or {})}
    environment.setdefault("PYSPARK_PYTHON", sys.executable)
    with log.open("wb") as out:
        process = subprocess.Popen(
            server_command(port, conf=conf),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,  # stop_server ends the JVM with the launcher script
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.3)
    stop_server(process)
    tail = log.read_text(errors="replace").strip().splitlines()[-5:]
    raise UnsupportedError(f"the Spark Connect server did not start: {' | '.join(tail)}")


def stop_server(process: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    """Stop a server started by :func:`start_server` (its whole process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, 15)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait(timeout_s)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=15002)
    parser.add_argument("--log", type=Path, default=Path("spark-connect.log"))
    args = parser.parse_args(argv)
    process = start_server(args.port, args.log)
    print(f"Spark Connect server at sc://127.0.0.1:{args.port} (log: {args.log}); Ctrl-C stops it")
    # The JVM runs in its own session (Ctrl-C does not reach it): stop it on SIGTERM too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        process.wait()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop_server(process)


if __name__ == "__main__":
    main()
