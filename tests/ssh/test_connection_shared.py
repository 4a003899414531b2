"""Concurrent ``ssh/test`` callers share one real ssh run.

The git host is a loopback TCP listener that accepts and then says nothing (a host whose SSH
service hangs, as a filtering middlebox makes it look); it counts the connections ssh makes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fixtures.sshd import make_keypair

from jupyter_binder_ext.config import SiteConfig
from jupyter_binder_ext.ssh.connection_test import test_connection as run_test


async def test_concurrent_callers_share_one_ssh(tmp_path: Path) -> None:
    connections = 0
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        held.append(writer)  # never answers: ssh waits for the banner until it gives up

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    private, public = make_keypair(tmp_path / "keys")
    site = SiteConfig(
        ssh_private_key_path=str(private),
        ssh_public_key_path=str(public),
        ssh_dir=str(tmp_path / "dot-ssh"),
        github_ssh_host="127.0.0.1",
        github_ssh_port=port,
        ssh_test_timeout=1.0,
    )
    try:
        answers = await asyncio.gather(*(run_test(site) for _ in range(8)))
        assert connections == 1
        assert len({a["outcome"] for a in answers}) == 1
        assert answers[0]["outcome"] in ("timeout", "unreachable")
        assert answers[0]["ok"] is False
        # A test asked after that one finished runs ssh again.
        await run_test(site)
        assert connections == 2
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
