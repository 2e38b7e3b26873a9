"""What each VEN has waiting when it polls: one interface, from the database or cached.

- ``waiting``: the interface (``WaitingWork``) and its answer (``Waiting``);
- ``database``: ``DatabaseWork``, one query per poll (``[polls] cache = false``);
- ``cached``: ``CachedWork``, answers from memory where the VTN already knows, kept true by the
  change notices of every process (``[polls] cache = true``, the default), built on
- ``gate``: the poll gate (which VENs are known to have nothing waiting), and
- ``in_force``: the events in force, in memory.
"""

from vtn.polls.cached import CachedWork
from vtn.polls.database import DatabaseWork
from vtn.polls.waiting import Waiting, WaitingWork

__all__ = ["CachedWork", "DatabaseWork", "Waiting", "WaitingWork"]
