"""Show times in each user's own time zone (their profile setting), at no query per request."""

import functools
import zoneinfo

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Profile

SESSION_KEY = "time_zone"

# Names in the tz database that are not places: "Factory" is a zone for machines not yet set
# up (its abbreviation reads "-00"), "localtime" and "posixrules" are files of the host's own.
NOT_PLACES = frozenset({"Factory", "localtime", "posixrules", "posix/Factory", "right/Factory"})

# Offered first, roughly west to east: the zones most students are in.
COMMON_ZONES = (
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Mexico_City",
    "America/Bogota",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "UTC",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Africa/Cairo",
    "Europe/Istanbul",
    "Africa/Nairobi",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Ho_Chi_Minh",
    "Asia/Jakarta",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Manila",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Perth",
    "Australia/Sydney",
    "Pacific/Auckland",
)


def _label(name: str) -> str:
    """The place first, so that typing a city's name in the list finds it: "Ho Chi Minh
    (Asia)", "Buenos Aires (America/Argentina)", "UTC"."""
    *region, place = name.split("/")
    place = place.replace("_", " ")
    return f"{place} ({'/'.join(region).replace('_', ' ')})" if region else place


@functools.cache
def zone_names() -> frozenset[str]:
    """Every zone a student may choose: the tz database's places."""
    return frozenset(zoneinfo.available_timezones() - NOT_PLACES)


def time_zone_choices() -> list:
    """Grouped choices for a select: the common zones first, then every zone by region
    ("America", "Europe", …; zones without a region under "Other")."""
    names = zone_names()
    regions: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(names):
        region = name.split("/", 1)[0] if "/" in name else _("Other")
        regions.setdefault(str(region), []).append((name, _label(name)))
    common = [(name, _label(name)) for name in COMMON_ZONES if name in names]
    grouped = [(region, sorted(zones, key=lambda z: z[1])) for region, zones in regions.items()]
    return [(_("Common time zones"), common), *sorted(grouped)]


def remember_time_zone(request, name: str) -> None:
    request.session[SESSION_KEY] = name


@receiver(user_logged_in)
def time_zone_on_login(sender, request, user, **kwargs) -> None:
    name = Profile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    if name:
        remember_time_zone(request, name)


class TimeZoneMiddleware:
    """Activates the time zone kept in the session (set at login and on the settings page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        try:
            timezone.activate(zoneinfo.ZoneInfo(name)) if name else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)
