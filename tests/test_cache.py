"""config.cache: Django's Redis cache with one client per connection pool, against the
machine's Redis."""

import threading

import pytest
from django.core.cache import caches
from django.test import override_settings

REDIS = {
    "default": {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/6",
        "KEY_PREFIX": "test-config-cache",
    }
}


@pytest.fixture
def redis_cache():
    with override_settings(CACHES=REDIS):
        cache = caches.create_connection("default")
        cache.clear()
        yield cache
        cache.clear()
        cache.close()


def test_one_client_serves_every_call(redis_cache):
    redis_cache.set("a", {"x": 1})
    first = redis_cache._cache.get_client("a", write=True)
    assert redis_cache.get("a") == {"x": 1}
    assert redis_cache.get_many(["a", "b"]) == {"a": {"x": 1}}
    assert redis_cache._cache.get_client("b") is first
    assert len(redis_cache._cache._clients) == 1


def test_the_shared_client_serves_threads_at_once(redis_cache):
    """Each command takes its own connection from the pool: 8 threads writing and reading at
    once each read back their own values."""
    barrier = threading.Barrier(8)
    wrong = []

    def work(n: int) -> None:
        barrier.wait()
        for i in range(50):
            redis_cache.set(f"k{n}", (n, i))
            if redis_cache.get(f"k{n}") != (n, i):
                wrong.append((n, i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert redis_cache.get_many([f"k{n}" for n in range(8)]) == {f"k{n}": (n, 49) for n in range(8)}
