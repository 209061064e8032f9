"""ShardedTransport: the batch's connections as small pools, each request to the freest one."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from visionkit.batch.pools import ShardedTransport


@pytest.mark.parametrize(
    ("width", "sizes"),
    [(1, (1,)), (8, (8,)), (16, (8, 8)), (20, (7, 7, 6)), (64, (8,) * 8)],
)
def test_the_connections_are_split_into_pools_of_at_most_eight(width, sizes):
    transport = ShardedTransport(width)
    assert transport.pool_sizes == sizes
    assert sum(transport.pool_sizes) == width


def test_every_pool_of_every_run_shares_one_tls_context():
    from visionkit.backends.http.clients import shared_ssl_context

    contexts = {
        id(pool._pool._ssl_context)  # type: ignore[attr-defined]
        for transport in (ShardedTransport(16), ShardedTransport(64))
        for pool in transport._pools
    }
    assert contexts == {id(shared_ssl_context())}


class _Body(httpx.AsyncByteStream):
    """A body still to be read, as a real pool's answer is (a mock's ``json=`` is read at once)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self):
        yield self._data


def test_requests_go_to_the_freest_pool_and_give_their_slot_back():
    transport = ShardedTransport(4, per_pool=2)
    seen: list[int] = []
    release = asyncio.Event()

    def pool(index: int) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(index)
            return httpx.Response(200, stream=_Body(b'{"pool": %d}' % index))

        return httpx.MockTransport(answer)

    transport._pools = [pool(0), pool(1)]  # the real pools would need a server

    async def main() -> None:
        async with httpx.AsyncClient(transport=transport) as client:

            async def one() -> None:
                async with client.stream("GET", "http://test/") as response:
                    await release.wait()
                    await response.aread()

            tasks = [asyncio.create_task(one()) for _ in range(4)]
            while len(seen) < 4:
                await asyncio.sleep(0)
            assert sorted(seen) == [0, 0, 1, 1]  # two in flight in each pool of two
            assert transport._busy == [2, 2]
            release.set()
            await asyncio.gather(*tasks)
            assert transport._busy == [0, 0]
            response = await client.get("http://test/")
            assert response.json() == {"pool": 0}
            assert transport._busy == [0, 0]

    asyncio.run(main())


def test_the_pools_are_lean_http11_transports_on_the_asyncio_backend():
    from visionkit.backends.http.http11 import LeanConnectionPool, LeanHTTPTransport

    transport = ShardedTransport(16)
    assert all(isinstance(pool, LeanHTTPTransport) for pool in transport._pools)
    assert all(isinstance(pool._pool, LeanConnectionPool) for pool in transport._pools)
    assert [pool._pool._max_connections for pool in transport._pools] == [8, 8]


async def test_requests_through_the_shards_reach_a_real_server_and_the_recorder_sees_them():
    from backends.http.local_servers import keep_alive_answers, serve

    from visionkit.testing.record import Recorder

    requests: list = []
    recorder = Recorder()
    async with serve(keep_alive_answers(requests)) as served:
        transport = ShardedTransport(4, per_pool=2)
        recorder.start()
        try:
            async with httpx.AsyncClient(transport=transport) as client:
                answers = await asyncio.gather(
                    *(client.post(served.url + f"/{i}", content=b"img") for i in range(8))
                )
        finally:
            recorder.stop()
    assert [a.json() for a in answers] == [{"ok": True}] * 8
    assert len(requests) == 8 and served.connections <= 4
    # the cassette recorder wraps httpx's transport method, which the lean pools inherit
    assert len(recorder.interactions) == 8
