"""Project-wide response policies."""

from django.utils.cache import add_never_cache_headers


class PrivatePagesNotStoredMiddleware:
    """Every response to a signed-in user is `Cache-Control: no-store` (plus Django's
    never-cache headers), unless the view set its own caching.

    A page for a signed-in user carries their work, or their students': grades, answers, sign-in
    codes. Neither a shared proxy nor the browser's disk cache may keep it, and the back button
    on a shared school computer must not bring it back after logout. Doing it here, once, means a
    new view cannot forget it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
