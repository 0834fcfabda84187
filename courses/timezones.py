"""Show times in each user's own time zone (their profile setting), at no query per request."""

import zoneinfo

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from courses.models import Profile

SESSION_KEY = "time_zone"


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
