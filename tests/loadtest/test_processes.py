"""Ports for the run's own servers: free, and never from the range outgoing connections use."""

from __future__ import annotations

import socket

from loadtest.processes import PORT_FLOOR, _ephemeral_low, free_port


def test_free_ports_lie_below_the_ephemeral_range_and_can_be_bound() -> None:
    """Many load-test clients take ephemeral ports for their connections; a server port
    from below that range cannot be taken by them between the check and the bind."""
    low = _ephemeral_low()
    ports = [free_port() for _ in range(50)]
    assert all(PORT_FLOOR <= p < low for p in ports)
    for port in ports[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # free, as promised
