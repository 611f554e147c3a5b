"""Loopback port checks shared by the tests that start and stop servers."""

from __future__ import annotations

import socket
import time
from pathlib import Path

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


def open_connections(server_port: int) -> set[int]:
    """Peer ports of the ESTABLISHED connections accepted on ``server_port`` (IPv4 loopback).

    Read from /proc/net/tcp, so it sees the server's side of each connection: a client that
    closed its end moves it to CLOSE_WAIT, out of this set.
    """
    established = "01"
    peers = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state = line.split()[1:4]
        if state == established and int(local.split(":")[1], 16) == server_port:
            peers.add(int(remote.split(":")[1], 16))
    return peers
