"""The board's wall screen (大屏): the command centre's numbers, big and dark, for a screen
across the room.  The page draws once from the board, then its script asks the board's
JSON (``/api/board``) every few seconds and changes the numbers in place: no reload, no
flash, and a screen left on all day keeps no growing page."""

from __future__ import annotations

from flask import Blueprint, render_template

from gridmap import access
from gridmap.catalogue import STATUSES
from gridmap.model import LOCAL_TZ
from gridmap.services import cases
from web import i18n, params
from web.auth import allow
from web.db import get_store

bp = Blueprint("wall", __name__)

EVERY = 30  # seconds between refreshes: the board's figures move by the minute
FASTEST, SLOWEST = 2, 600  # what ?seconds= may ask (a test, a slow screen)


@bp.get("/board/wall")
@allow(access.BOARD_READ)
def page():
    lang = i18n.language()
    store = get_store()
    k = 0 if lang == "zh" else 1
    every = params.integer("seconds", default=EVERY, low=FASTEST, high=SLOWEST)
    return render_template(
        "wall.html",
        board=cases.board(store),
        every=every,
        now_text=cases.now().astimezone(LOCAL_TZ).strftime("%H:%M:%S"),
        statuses={s: names[k] for s, names in STATUSES.items()},
        departments={c: d.name(lang) for c, d in store.departments().items()},
    )
