"""Poll bodies read before: an unsigned oadrPoll's exact bytes and the message they decode to.

A pull VEN sends the same bytes at every poll (an unsigned oadrPoll holds only its venID), and
reading them (parse, XSD validation, typing) is the largest part of an empty poll that is not
HTTP. Bytes once read to an unsigned ``Poll`` read to the same ``Poll`` again (the reading
depends on nothing but the bytes), so the boundary looks the bytes up first and reads only
what it has not seen. Signed polls are never kept: each carries a fresh signature whose
replay protection must be checked every time. The most recently used ``size`` bodies are kept.
"""

from __future__ import annotations

from collections import OrderedDict

from lxml import etree

from common.messages.poll import Poll
from common.messages.types import Message
from common.security.signing import SIGNATURE_TAG

__all__ = ["DEFAULT_SIZE", "KnownPolls"]

DEFAULT_SIZE = 10_000
"""How many poll bodies are kept (about 0.6 kB each)."""


class KnownPolls:
    """The unsigned poll bodies read most recently, with their messages."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._size = size
        self._polls: OrderedDict[bytes, Poll] = OrderedDict()
        self.hits = 0
        """Bodies found (for the tests and the benchmark)."""

    def __len__(self) -> int:
        return len(self._polls)

    def get(self, body: bytes) -> Poll | None:
        """The message of `body` if it was read before, else ``None``."""
        poll = self._polls.get(body)
        if poll is not None:
            self._polls.move_to_end(body)
            self.hits += 1
        return poll

    def remember(self, body: bytes, root: etree._Element, message: Message) -> None:
        """Keep `body` if it was read (to `root`, then `message`) as an unsigned oadrPoll."""
        if type(message) is not Poll or root.find(SIGNATURE_TAG) is not None:
            return
        self._polls[body] = message
        self._polls.move_to_end(body)
        if len(self._polls) > self._size:
            self._polls.popitem(last=False)
