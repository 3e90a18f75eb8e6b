"""Background work of the web app (automatic plans), bounded.

Each server process runs at most ``GRIDMAP_JOBS`` jobs at once (a thread pool; more wait
queued) and each user may have at most ``GRIDMAP_JOBS_PER_USER`` queued or running, counted
in the store so that every process sees every job.  A job's state, messages, plan and stop
request live in the store; when a process starts, the open jobs of processes of this host
that are gone are marked interrupted instead of being lost.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from boundaries import said
from gridmap.errors import Busy, say
from gridmap.stores import open_store

HOST = socket.gethostname()


def worker() -> str:
    return f"{HOST}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process: alive
        return True
    return True


class Runner:
    def __init__(self, url: str, total: int, per_user: int):
        self.url, self.per_user = url, per_user
        # Daemon threads waiting on a semaphore, not a pool: stopping the server must not
        # wait for a ten-minute plan (its job is marked interrupted at the next start).
        self.slots = threading.BoundedSemaphore(total)
        self.stops: dict[str, threading.Event] = {}

    def recover(self, store) -> int:
        """Interrupt the open jobs of this host's processes that no longer run."""
        gone = {
            j["worker"]
            for j in store.open_jobs()
            if j["worker"].rpartition(":")[0] == HOST
            and not _alive(int(j["worker"].rpartition(":")[2]))
        }
        return store.interrupt_jobs(sorted(gone))

    def submit(self, store, owner: str, kind: str, request: dict, work: Callable) -> dict:
        """Queue ``work(store, progress, stop) -> plan id``; the job as stored."""
        mine = store.open_jobs(owner)
        if len(mine) >= self.per_user:
            raise Busy(
                say(
                    "{owner} has {mine_count} jobs queued or running (at most {per_user}): "
                    "wait for one to finish, or stop one (DELETE /api/jobs/<id>)",
                    owner=owner,
                    mine_count=len(mine),
                    per_user=self.per_user,
                )
            )
        key = uuid.uuid4().hex[:12]
        job = store.add_job(key, owner, kind, request, worker())
        self.stops[key] = threading.Event()
        threading.Thread(target=self._run, args=(key, work), daemon=True, name=f"job-{key}").start()
        return job

    def stop(self, store, key: str) -> dict:
        store.job(key)  # unknown ids are 404
        store.update_job(key, stop=True)
        if key in self.stops:
            self.stops[key].set()
        return store.job(key)

    def _run(self, key: str, work: Callable) -> None:
        with self.slots:
            self._work(key, work)

    def _work(self, key: str, work: Callable) -> None:
        stop = self.stops[key]
        with open_store(self.url) as own:
            row = own.job(key)
            own.actor = f"web:{row['owner']}"  # what the job saves is its owner's change
            if row["stop"]:
                own.update_job(key, state="stopped")
                return
            own.update_job(key, state="running")
            messages: list[str | dict] = []
            last = [0.0]

            def progress(message: str) -> None:
                # Kept with its code and values when it has them, for the page's language.
                found = said.as_dict(message)
                messages.append(str(message) if found is None else {"text": str(message), **found})
                # At most a write a second, and a look at the stop flag another process
                # may have set.
                if time.monotonic() - last[0] > 1.0:
                    last[0] = time.monotonic()
                    own.update_job(key, messages=messages[-50:])
                    if own.job(key)["stop"]:
                        stop.set()

            try:
                plan_id = work(own, progress, stop)
                state = "stopped" if stop.is_set() else "done"
                own.update_job(key, state=state, plan_id=plan_id, messages=messages[-50:])
            except Exception as exc:  # reported through the job, never lost
                own.update_job(key, state="failed", error=str(exc), messages=messages[-50:])
            finally:
                self.stops.pop(key, None)


def as_json(job: dict) -> dict:
    from datetime import datetime

    def seconds() -> float:
        start = datetime.fromisoformat(job["created"].replace("Z", "+00:00"))
        end = (
            datetime.fromisoformat(job["finished"].replace("Z", "+00:00"))
            if job["finished"]
            else datetime.now(start.tzinfo)
        )
        return round((end - start).total_seconds(), 1)

    return {
        "id": job["key"],
        "owner": job["owner"],
        "state": job["state"],
        # English (as scripts read them), and what each says for a page to say it.
        "messages": [m["text"] if isinstance(m, dict) else m for m in job["messages"][-50:]],
        "said": [
            {"code": m["code"], "values": m["values"]} if isinstance(m, dict) else None
            for m in job["messages"][-50:]
        ],
        "plan_id": job["plan_id"],
        "error": job["error"],
        "seconds": seconds(),
    }
