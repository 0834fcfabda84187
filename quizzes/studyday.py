"""Study days: they turn over at a set hour in the student's own time zone (4 a.m., as Anki)."""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def study_date(moment: datetime, *, time_zone: str, day_starts_at: int) -> date:
    """The study day a moment belongs to: 02:00 local with a 4 a.m. turnover is the day before."""
    local = moment.astimezone(zone(time_zone))
    return (local - timedelta(hours=day_starts_at)).date()


def day_bounds(
    moment: datetime, *, time_zone: str, day_starts_at: int
) -> tuple[datetime, datetime]:
    """The start and end (exclusive), in UTC, of the study day that holds `moment`."""
    day = study_date(moment, time_zone=time_zone, day_starts_at=day_starts_at)
    tz = zone(time_zone)
    start = datetime.combine(day, time(day_starts_at), tz)
    end = datetime.combine(day + timedelta(days=1), time(day_starts_at), tz)
    return start.astimezone(UTC), end.astimezone(UTC)
