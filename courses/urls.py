from django.urls import path

from content import ids  # noqa: F401  (registers <id:...>)
from courses import author, author_import, author_scheduling, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("settings/", views.profile, name="profile"),
    path("lessons/", views.lessons, name="lessons"),
    path("author/", author.author_dashboard, name="author_dashboard"),
    path("author/guide/", author.author_guide, name="author_guide"),
    path("author/import/", author_import.author_import, name="author_import"),
    path(
        "author/import/<id:import_id>/",
        author_import.author_import_detail,
        name="author_import_detail",
    ),
    path(
        "author/import/<id:import_id>/apply/",
        author_import.author_import_apply,
        name="author_import_apply",
    ),
    path(
        "author/import/<id:import_id>/cancel/",
        author_import.author_import_cancel,
        name="author_import_cancel",
    ),
    path(
        "author/import/<id:import_id>/file/",
        author_import.author_import_file,
        name="author_import_file",
    ),
    path(
        "author/lessons/<slug:lesson_key>/export/<slug:format>/",
        author.author_lesson_export,
        name="author_lesson_export",
    ),
    path(
        "author/courses/<slug:course_key>/export.zip",
        author.author_course_export,
        name="author_course_export",
    ),
    path(
        "author/courses/<slug:course_key>/reviews.csv",
        author.author_reviews_csv,
        name="author_reviews_csv",
    ),
    path(
        "author/courses/<slug:course_key>/scheduling/",
        author_scheduling.author_scheduling,
        name="author_scheduling",
    ),
    path(
        "author/courses/<slug:course_key>/scheduling/fit/",
        author_scheduling.author_scheduling_fit,
        name="author_scheduling_fit",
    ),
    path(
        "author/courses/<slug:course_key>/scheduling/fits/<id:fit_id>/use/",
        author_scheduling.author_scheduling_use,
        name="author_scheduling_use",
    ),
    path(
        "author/courses/<slug:course_key>/scheduling/defaults/",
        author_scheduling.author_scheduling_defaults,
        name="author_scheduling_defaults",
    ),
    path(
        "author/courses/<slug:course_key>/scheduling/students/defaults/",
        author_scheduling.author_scheduling_students_defaults,
        name="author_scheduling_students_defaults",
    ),
    path(
        "author/courses/<slug:course_key>/scheduling/retention/",
        author_scheduling.author_scheduling_retention,
        name="author_scheduling_retention",
    ),
    path("classes/", views.classes, name="classes"),
    path("my-classes/<id:class_id>/", views.my_class, name="my_class"),
    path("sign-in/code/", views.sign_in_with_code, name="sign_in_code"),
    path("join/", views.join, name="join"),
    path("join/<str:code>/", views.join_code, name="join_code"),
    path("invitations/<id:invitation_id>/", views.invitation, name="invitation"),
    path("classes/new/", views.class_new, name="class_new"),
    path("classes/archived/", views.classes_archived, name="classes_archived"),
    path("classes/<id:class_id>/", views.class_detail, name="class_detail"),
    path("classes/<id:class_id>/archive/", views.class_archive, name="class_archive"),
    path("classes/<id:class_id>/restore/", views.class_restore, name="class_restore"),
    path("classes/<id:class_id>/join-link/", views.class_join_link, name="class_join_link"),
    path("classes/<id:class_id>/roster/", views.class_roster, name="class_roster"),
    path("classes/<id:class_id>/assignments/new/", views.assignment_new, name="assignment_new"),
    path(
        "classes/<id:class_id>/assignments/<id:assignment_id>/",
        views.assignment_detail,
        name="assignment_detail",
    ),
    path("classes/<id:class_id>/gradebook/", views.gradebook, name="gradebook"),
    path("classes/<id:class_id>/gradebook.csv", views.gradebook_csv, name="gradebook_csv"),
    path("classes/<id:class_id>/item-analysis/", views.item_analysis, name="item_analysis"),
    path("classes/<id:class_id>/scheduling/", views.class_scheduling, name="class_scheduling"),
    path(
        "classes/<id:class_id>/item-analysis/accept/",
        views.item_analysis_accept,
        name="item_analysis_accept",
    ),
    path(
        "classes/<id:class_id>/students/<id:student_id>/",
        views.class_student,
        name="class_student",
    ),
    path(
        "classes/<id:class_id>/students/<id:student_id>/remove/",
        views.student_remove,
        name="student_remove",
    ),
    path(
        "classes/<id:class_id>/students/<id:student_id>/undo-remove/",
        views.student_remove_undo,
        name="student_remove_undo",
    ),
]
