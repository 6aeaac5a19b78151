"""Seat allocation: who gets a seat, who waits and who is turned away. Pure: plain data in and out.

The caller counts the seats under a lock (see eventsapp.database.lock_for_update) and acts on
the decision in the same transaction, so two enrolments can never take the last seat twice.
"""

from dataclasses import dataclass
from enum import StrEnum


class Placement(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    FULL = "full"


class Availability(StrEnum):
    """What the calendar says about an event's seats."""

    OPEN = "open"
    WAITLIST = "waitlist"
    FULL = "full"


@dataclass(frozen=True)
class Seats:
    capacity: int
    waitlist_enabled: bool
    waitlist_cap: int | None
    confirmed: int = 0
    waitlisted: int = 0

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.confirmed)

    @property
    def waitlist_has_room(self) -> bool:
        return self.waitlist_enabled and (
            self.waitlist_cap is None or self.waitlisted < self.waitlist_cap
        )

    def place(self) -> Placement:
        """Where a new eligible enrolment goes. Nobody jumps the waiting list."""
        if self.left > 0 and self.waitlisted == 0:
            return Placement.CONFIRMED
        if self.waitlist_has_room:
            return Placement.WAITLISTED
        return Placement.FULL

    def promotable(self) -> int:
        """How many from the head of the waiting list get a seat now."""
        return min(self.left, self.waitlisted)

    @property
    def availability(self) -> Availability:
        return {
            Placement.CONFIRMED: Availability.OPEN,
            Placement.WAITLISTED: Availability.WAITLIST,
            Placement.FULL: Availability.FULL,
        }[self.place()]
