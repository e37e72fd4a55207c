"""Reply chains as threads: every tweet's thread root, by pointer jumping over arrays.

A tweet replies to at most one tweet, so the replies form a forest; the root of a tweet's
tree is its thread. Each pass replaces every tweet's pointer by its pointer's pointer, so a
chain of length L is resolved in about log2(L) vectorised passes: no recursion, no Python
loop over tweets, and a branching chain (one tweet answered twice) is still one tree.
"""

from __future__ import annotations

import numpy as np

#: Passes after which only pointers on a reply cycle still move (2**64 > any chain).
MAX_PASSES = 64


def parent_positions(ids: np.ndarray, parents: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """For each tweet, the position of the tweet it replies to; its own position when that
    tweet is absent from the data (or it replies to none). ``valid`` marks usable ids; of
    tweets sharing an id, the first is the one replied to."""
    n = len(ids)
    own = np.arange(n, dtype=np.int64)
    usable = own[valid]
    order = usable[np.argsort(ids[usable], kind="stable")]
    sorted_ids = ids[order]
    slot = np.searchsorted(sorted_ids, parents)
    inside = slot < len(sorted_ids)
    found = np.zeros(n, dtype=bool)
    found[inside] = sorted_ids[slot[inside]] == parents[inside]
    found &= parents >= 0
    pointer = own.copy()
    pointer[found] = order[slot[found]]
    return pointer


def thread_roots(pointer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each tweet's root position, and a mask of the tweets on (or below) a reply cycle.

    A true root replies to no tweet in the data (its pointer is itself). Jumping collapses
    a cycle onto some of its own tweets, which do reply to one: that is how it shows.
    """
    root = pointer.copy()
    for _ in range(MAX_PASSES):
        jumped = root[root]
        if np.array_equal(jumped, root):
            break
        root = jumped
    return root, pointer[root] != root
