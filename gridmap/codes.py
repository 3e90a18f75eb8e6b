"""Area codes: numbering in reading order and codes that extend their parent's code.

docs/area-codes.md: codes extend the parent's code with a sequence number, numbered west to east,
north to south inside the parent.
"""

from __future__ import annotations

import numpy as np


def reading_order(xy: np.ndarray, row_height: float) -> np.ndarray:
    """Order of points north to south in rows, west to east within a row."""
    rows = np.floor((xy[:, 1].max() - xy[:, 1]) / row_height)
    return np.lexsort((xy[:, 0], rows))


def sequence_within(
    labels: np.ndarray, within: np.ndarray, xy: np.ndarray, row_height: float
) -> np.ndarray:
    """Number labels 1.. inside each ``within`` group in reading order of their centres."""
    seq = np.zeros(len(labels), dtype=int)
    for g in np.unique(within):
        m = within == g
        labs = np.unique(labels[m])
        centres = np.array([xy[labels == lab].mean(0) for lab in labs])
        order = reading_order(centres, row_height)
        for rank, idx in enumerate(order, start=1):
            seq[labels == labs[idx]] = rank
    return seq


def child_codes(parent_codes: np.ndarray, seq: np.ndarray, width: int) -> np.ndarray:
    """Parent code + zero-padded sequence; refuses a sequence too long for ``width``.

    >>> child_codes(np.array(["230602001001"]), np.array([7]), 2).tolist()
    ['23060200100107']
    """
    if len(seq) and seq.max() >= 10**width:
        raise ValueError(f"{seq.max()} areas in one parent: more than {width} digits allow")
    return np.char.add(np.asarray(parent_codes).astype(str), np.char.zfill(seq.astype(str), width))
