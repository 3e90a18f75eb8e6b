"""Each report and inspection made once, however often it is sent (issue 27 part 5).

An officer's phone keeps what was made without a signal and sends it when the signal
returns; when an answer is lost on the way back, the phone cannot tell "not made" from
"made" and sends again.  So each submission carries an idempotency key that the phone
made (a UUID): the use case claims the key in the same transaction that makes the record,
and a request with a key already claimed gets the record the first one made.  One home
for the rule: the case service's ``report`` and the hazard service's ``inspect`` call
:func:`once`, whether the request came from a page, the API or the phone's queue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from gridmap.errors import Conflict, InvalidInput
from gridmap.workflow import Actor

if TYPE_CHECKING:
    from gridmap.stores.protocols import SubmissionStore

# A UUID as browsers make it (``crypto.randomUUID``), or any other client's token of the
# same alphabet: long enough not to meet another by chance, short enough to index.
_KEY = re.compile(r"[A-Za-z0-9_-]{16,100}")


def check_key(key: str) -> str:
    """``key`` if it can be an idempotency key, else InvalidInput naming the field."""
    if not _KEY.fullmatch(key):
        raise InvalidInput(
            "idempotency_key: 16 to 100 letters, digits, '-' or '_' (a UUID)",
            field="idempotency_key",
        )
    return key


def once(
    store: SubmissionStore, actor: Actor, kind: str, key: str | None, make: Callable[[], int]
) -> int:
    """The id of the ``kind`` record that ``make`` makes, made at most once per ``key``:
    a key seen before gives the record made then, ``make`` is not called.  ``make`` runs
    inside the transaction that claims the key (its own transaction joins it), so a
    failure leaves the key free for the next try.  A key is its sender's: another
    caller's, or one of another kind of record, is refused (409)."""
    if key is None:
        return make()
    key = check_key(key)
    with store.transaction():
        earlier = store.claim_key(key, kind, actor.name)
        if earlier is None:
            record = make()
            store.set_key_record(key, record)
            return record
    if earlier["actor"] != actor.name or earlier["kind"] != kind:
        raise Conflict(f"idempotency_key {key} was used for another request")
    return int(earlier["record_id"])
