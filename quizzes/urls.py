from django.urls import path

from quizzes import views

app_name = "quizzes"
urlpatterns = [
    path("quizzes/<int:quiz_id>/", views.quiz, name="quiz"),
    path("lessons/<slug:key>/quiz/", views.lesson_quiz, name="lesson_quiz"),
    path("attempts/<int:attempt_id>/", views.attempt, name="attempt"),
    path("attempts/<int:attempt_id>/review/", views.review, name="review"),
    path("study/", views.study, name="study"),
    path("study/<slug:lesson_key>/", views.study, name="study_lesson"),
]
