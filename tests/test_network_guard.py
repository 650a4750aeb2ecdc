"""The autouse network guard: loopback and unix sockets only."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.helpers.network import NetworkBlocked, is_loopback


@pytest.mark.parametrize(
    "address",
    [
        ("127.0.0.1", 80),
        ("127.4.5.6", 1),
        ("::1", 80, 0, 0),
        ("localhost", 8000),
        ("::ffff:127.0.0.1", 1),
        "/tmp/s",
    ],
)
def test_loopback_addresses_are_allowed(address: object) -> None:
    assert is_loopback(address)


@pytest.mark.parametrize(
    "address", [("10.0.0.1", 80), ("8.8.8.8", 53), ("2001:4860::8888", 443), ("huggingface.co", 443)]
)
def test_other_addresses_are_refused(address: object) -> None:
    assert not is_loopback(address)


def test_outbound_connections_raise() -> None:
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)
    with socket.socket() as sock, pytest.raises(NetworkBlocked):
        sock.connect(("192.0.2.1", 80))
    with socket.socket() as sock, pytest.raises(NetworkBlocked):
        sock.connect_ex(("192.0.2.1", 80))


def test_loopback_and_unix_connections_work(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
