"""Loopback port checks shared by the tests that start and stop servers."""

from __future__ import annotations

import socket
import time

PORT_RELEASE_WAIT = 30.0


def port_accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_until_port_closed(port: int, limit: float = PORT_RELEASE_WAIT) -> bool:
    """Poll until nothing listens on ``port``; False if something still does after ``limit``."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not port_accepts_connections(port):
            return True
        time.sleep(0.1)
    return False
