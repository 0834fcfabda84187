from django.urls import path

from content import ids  # noqa: F401  (registers <id:...>)
from quizzes import views

app_name = "quizzes"
urlpatterns = [
    path("quizzes/<id:quiz_id>/", views.quiz, name="quiz"),
    path("lessons/<slug:key>/quiz/", views.lesson_quiz, name="lesson_quiz"),
    path("attempts/<id:attempt_id>/", views.attempt, name="attempt"),
    path("attempts/<id:attempt_id>/summary/", views.summary, name="summary"),
    path("attempts/<id:attempt_id>/review/", views.review, name="review"),
    path("questions/", views.questions, name="questions"),
    path("questions/<slug:key>/", views.question, name="question"),
    path("study/", views.study, name="study"),
    path("cards/suspended/", views.suspended_cards, name="suspended_cards"),
    path("cards/<id:card_id>/report/", views.card_report, name="card_report"),
    path("cards/reported/", views.card_flags, name="card_flags"),
    path("study/<slug:lesson_key>/", views.study, name="study_lesson"),
]
