"""A bounded load test of ``scaffold serve`` on loopback: 200 zips, 20 at a time.

No request may fail, no render directory may be left behind, the workers must
all be there afterwards, and the memory of the server and its workers must
come back to what it was once warm. Throughput and latency are printed here
and reported, against peers, by ``benchmarks/serve.py``.
"""

from __future__ import annotations

import time

import pytest

from webserver import query, serving

from serve import load  # isort: skip (benchmarks/ is put on sys.path by webserver)

pytestmark = pytest.mark.xdist_group("web-load")

REQUESTS = 200
CONCURRENCY = 20
#: Python keeps some freed memory; more growth than this after 200 renders is a leak.
MEMORY_SLACK_KIB = 16 * 1024


def test_200_zip_requests_20_at_a_time(tmp_path):
    # Every name is new, so the archive cache fills to its bound during the warm-up
    # and stays there: what grows past the baseline is not the cache.
    with serving(tmp_path, "--cache-size", "2M", workers=2) as server:

        def url(prefix: str):
            return lambda index: f"{server.url}/starter.zip?{query(name=f'{prefix}{index}')}"

        # As many renders again first: the workers' compile caches fill over their first
        # hundred renders or so and then stay; growth past that warm state is a leak.
        warm_up = load(url("warm"), REQUESTS, CONCURRENCY)
        assert warm_up.failures == []
        server.wait_ready(2)
        baseline = server.memory_kib()
        result = load(url("load"), REQUESTS, CONCURRENCY)
        assert result.failures == [], result.failures[:5]
        assert len(result.latencies) == REQUESTS
        server.wait_ready(2)
        assert server.render_dirs() == []
        time.sleep(1)
        after = server.memory_kib()
        print(
            f"\n{REQUESTS} zips, {CONCURRENCY} at a time: {result.rate:.1f} requests/s, "
            f"p95 {result.percentile(0.95):.3f} s; memory {baseline / 1024:.1f} MiB before, "
            f"{after / 1024:.1f} MiB after"
        )
        assert after <= baseline + MEMORY_SLACK_KIB, (baseline, after)
        status = server.health()["renders"]
        assert status == {"workers": 2, "rendering": 0, "waiting": 0}
