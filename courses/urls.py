from django.urls import path

from courses import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("settings/", views.profile, name="profile"),
]
