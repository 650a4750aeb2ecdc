"""The network guard every test runs under: connections to loopback and unix sockets only."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


class NetworkBlocked(RuntimeError):
    """A test tried to reach a non-loopback address."""


def is_loopback(address: Any) -> bool:
    """True for unix socket paths, 'localhost', 127.0.0.0/8 and ::1 (also IPv4-mapped)."""
    if isinstance(address, str | bytes | os.PathLike):
        return True  # AF_UNIX path (or abstract socket)
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host)
    if host.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a host name other than localhost would need DNS: refuse it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _refuse(address: Any) -> None:
    if not is_loopback(address):
        raise NetworkBlocked(f"tests may only connect to loopback, not {address!r}")


@contextmanager
def loopback_only() -> Iterator[None]:
    """Refuse every outbound connection except loopback and unix sockets while inside."""
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_create_connection = socket.create_connection

    def connect(self: socket.socket, address: Any) -> None:
        if self.family != getattr(socket, "AF_UNIX", None):
            _refuse(address)
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family != getattr(socket, "AF_UNIX", None):
            _refuse(address)
        return original_connect_ex(self, address)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        _refuse(address)
        return original_create_connection(address, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket, "create_connection", create_connection)
        yield
