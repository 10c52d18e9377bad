"""Business days, public holidays and the send window.

A reminder that lands on a Saturday or on 14 July reads as a robot's; the rule is
to plan it for the next business day instead. Holidays come from the `holidays`
package (never a hand-written table). Pure: the caller passes the dates.

Example: with FR holidays, ``next_business_day(date(2026, 7, 14)) == date(2026, 7, 15)``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays as holiday_tables

from relance.core.config import ScheduleConfig


class Calendar:
    def __init__(self, schedule: ScheduleConfig):
        self.schedule = schedule
        self.tz = ZoneInfo(schedule.timezone)
        self._known: dict[date, bool] = {}

    @cached_property
    def _holidays(self) -> holiday_tables.HolidayBase:
        return holiday_tables.country_holidays(self.schedule.holidays)

    def is_business_day(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:  # the holidays lookup is slow; a plan asks about the same few days again and again
            known = self._known[day] = (not self.schedule.business_days_only
                                        or (day.weekday() < 5 and day not in self._holidays))
        return known

    def holiday_name(self, day: date) -> str | None:
        return self._holidays.get(day) if self.schedule.business_days_only else None

    def next_business_day(self, day: date) -> date:
        """`day` itself when it is a business day, else the next one."""
        for _ in range(30):
            if self.is_business_day(day):
                return day
            day += timedelta(days=1)
        return day

    def in_window(self, now: datetime) -> bool:
        local = now.astimezone(self.tz)
        start, end = self.schedule.send_window
        return self.is_business_day(local.date()) and start <= local.time() < end

    def next_slot(self, now: datetime) -> datetime:
        """The first moment at or after `now` when sending is allowed."""
        local = now.astimezone(self.tz)
        start, end = self.schedule.send_window
        day = local.date()
        if local.time() >= end:
            day += timedelta(days=1)
        day = self.next_business_day(day)
        opening = datetime.combine(day, start, tzinfo=self.tz)
        return max(opening, local) if day == local.date() and local.time() >= start else opening



def run_instant(schedule: ScheduleConfig, day: date | None, wall: datetime) -> datetime:
    """The one clock of a run: every decision and every stamp the run writes uses this instant.

    The real day (no ``--date``, or ``--date`` naming today) keeps the real time of day. Another day
    is replayed at the opening of its send window, so a rehearsal of a month is reproducible and its
    journal stamps sort as if each day had been run in the morning (see README, "One clock per run").
    """
    tz = ZoneInfo(schedule.timezone)
    local = wall.astimezone(tz)
    if day is None or day == local.date():
        return local
    return datetime.combine(day, schedule.send_window[0], tzinfo=tz)


def local_today(schedule: ScheduleConfig, wall: datetime) -> date:
    """Today in the configured time zone (at 00:30 in Paris the machine's UTC date is still yesterday)."""
    return wall.astimezone(ZoneInfo(schedule.timezone)).date()
