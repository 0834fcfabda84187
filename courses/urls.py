from django.urls import path

from courses import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("settings/", views.profile, name="profile"),
    path("join/", views.join, name="join"),
    path("classes/new/", views.class_new, name="class_new"),
    path("classes/<int:class_id>/", views.class_detail, name="class_detail"),
    path("classes/<int:class_id>/roster/", views.class_roster, name="class_roster"),
    path("classes/<int:class_id>/assignments/new/", views.assignment_new, name="assignment_new"),
    path("classes/<int:class_id>/gradebook/", views.gradebook, name="gradebook"),
    path("classes/<int:class_id>/gradebook.csv", views.gradebook_csv, name="gradebook_csv"),
    path("classes/<int:class_id>/item-analysis/", views.item_analysis, name="item_analysis"),
    path(
        "classes/<int:class_id>/students/<int:student_id>/",
        views.class_student,
        name="class_student",
    ),
]
