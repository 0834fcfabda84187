from django.urls import path

from content import views

app_name = "content"
urlpatterns = [
    path("<slug:key>/", views.lesson, name="lesson"),
]
