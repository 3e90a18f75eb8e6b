"""The in-process sliding window behind Open311's rate limits, and the sign-in throttle (kept
in the store: tests/contract/test_sessions_web.py counts it across app instances)."""

from __future__ import annotations

from web.ratelimit import Window


def test_a_window_counts_per_key_and_forgets(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("web.ratelimit.time.monotonic", lambda: clock[0])
    w = Window(2, 60)
    assert w.take("a") and w.take("a") and not w.take("a")
    assert w.take("b")  # each key its own count
    assert w.blocked("a") and not w.blocked("b")
    clock[0] += 61
    assert not w.blocked("a") and w.take("a")


def test_failed_sign_ins_are_throttled_per_address_and_name(anonymous):
    for _ in range(5):
        r = anonymous.post("/login", data={"name": "nobody-here", "password": "wrong one!"})
        assert r.status_code == 401
    r = anonymous.post("/login", data={"name": "nobody-here", "password": "wrong one!"})
    assert r.status_code == 429
    r = anonymous.post("/login", data={"name": "someone-else", "password": "wrong one!"})
    assert r.status_code == 401
