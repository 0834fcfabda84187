from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@require_GET
@login_required
def bare(request: HttpRequest) -> HttpResponse:
    """The floor every page stands on: the middleware, the session and the user, nothing else.

    Registered only by `bench.urls` (config.settings.bench), never in the site's URLconf.
    """
    return HttpResponse(b"ok", content_type="text/plain")
