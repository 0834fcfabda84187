from django.contrib import admin
from django.urls import include, path

from config import views
from courses.passwords import PasswordChangeView

admin.site.site_header = "Learnhall"
admin.site.site_title = "Learnhall admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/password_change/", PasswordChangeView.as_view(), name="password_change"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("", include("quizzes.urls")),
    path("lessons/", include("content.urls")),
    path("", include("courses.urls")),
]
