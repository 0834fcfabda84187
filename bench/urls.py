"""The site's URLs plus the benchmark's bare view (config.settings.bench only)."""

from django.urls import path

from bench import views
from config.urls import urlpatterns as site_urlpatterns

BARE_PATH = "/bench/bare/"

urlpatterns = [
    path(BARE_PATH.strip("/") + "/", views.bare, name="bench_bare"),
    *site_urlpatterns,
]
