"""A factory for every model. Content is normally made by the loader; these are for unit tests."""

from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from fsrs import Scheduler

from content.models import Citation, ImportRecord, KeyTerm, Lesson, Section, Source
from courses.models import (
    Assignment,
    AssignmentLesson,
    Classroom,
    Course,
    Enrollment,
    Invitation,
    LessonSet,
    LessonSetItem,
    ParameterFit,
    Profile,
)
from quizzes.grading import stored_form
from quizzes.models import (
    AcceptedResponse,
    Answer,
    Attempt,
    Card,
    CardFlag,
    CardSuspension,
    MemoryState,
    Question,
    QuestionType,
    QuestionVersion,
    Quiz,
    RecallRollup,
    Regrade,
    ReviewLog,
)

PASSWORD = "a-test-password-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, extracted)


def _add_roles(user, create: bool, names) -> None:
    if create and names:
        user.groups.add(*Group.objects.filter(name__in=names))
    if create:
        user.save()


class StudentFactory(UserFactory):
    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, extracted or ["Student"])


class TeacherFactory(UserFactory):
    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, extracted or ["Teacher"])


class AuthorFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, extracted or ["Author"])


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Source {n}")
    author = "Khang Vu"
    text = "Title line\n\nFirst paragraph with a quotation.\nSecond paragraph.\n"


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    key = factory.Sequence(lambda n: f"lesson-{n}")
    title = factory.Sequence(lambda n: f"Lesson {n}")
    summary = "A summary."


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    lesson = factory.SubFactory(LessonFactory)
    position = factory.Sequence(lambda n: n)
    title = "A section"
    body = "Some *Markdown*."


class KeyTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyTerm

    lesson = factory.SubFactory(LessonFactory)
    position = factory.Sequence(lambda n: n)
    term = "Three Nos"
    definition = "Vietnam's defence policy."


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    lesson = factory.SubFactory(LessonFactory)
    ref = factory.Sequence(lambda n: f"ref-{n}")
    position = factory.Sequence(lambda n: n)
    source = factory.SubFactory(SourceFactory)
    paragraph = 2
    quote = "a quotation"


class QuestionFactory(factory.django.DjangoModelFactory):
    """A single-choice question with a first version whose answer is "B"."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"question-{n}")
    lesson = factory.SubFactory(LessonFactory)
    position = factory.Sequence(lambda n: n)
    type = QuestionType.SINGLE_CHOICE

    @factory.post_generation
    def with_version(self, create, extracted, **kwargs):
        if create and self.current_version is None:
            self.current_version = QuestionVersionFactory(question=self, type=self.type)
            self.save(update_fields=["current_version"])


class QuestionVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuestionVersion

    question = factory.SubFactory(QuestionFactory, with_version=False)
    number = factory.Sequence(lambda n: n + 1)
    type = QuestionType.SINGLE_CHOICE
    prompt = "Pick B."
    body = factory.LazyFunction(lambda: stored_form("single_choice", _CHOICE)[0])
    answer_key = factory.LazyFunction(lambda: stored_form("single_choice", _CHOICE)[1])
    explanation = "B is right."
    meaning_hash = factory.Sequence(lambda n: f"{n:064x}")


_CHOICE = {"choices": ["A", "B", "C"], "answer": "B"}


class CardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Card

    key = factory.Sequence(lambda n: f"card-{n}")
    lesson = factory.SubFactory(LessonFactory)
    position = factory.Sequence(lambda n: n)
    front = "Front"
    back = "Back"


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Quiz {n}")

    @factory.post_generation
    def lessons(self, create, extracted, **kwargs):
        if create and extracted:
            self.lessons.set(extracted)


class AttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attempt

    quiz = factory.SubFactory(QuizFactory)
    student = factory.SubFactory(StudentFactory)
    number = factory.Sequence(lambda n: n + 1)
    versions = factory.LazyFunction(lambda: [QuestionFactory().current_version_id])
    settings_snapshot = factory.LazyFunction(lambda: {"feedback": "immediate"})
    started_at = factory.LazyFunction(timezone.now)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    attempt = factory.SubFactory(AttemptFactory)
    version = factory.LazyAttribute(lambda o: QuestionFactory().current_version)
    position = factory.Sequence(lambda n: n)
    response = factory.LazyFunction(lambda: {"choice": 1})
    score = 1.0
    correct = True
    answered_at = factory.LazyFunction(timezone.now)


class AcceptedResponseFactory(factory.django.DjangoModelFactory):
    """An author's acceptance (for everyone) of a response to a short-answer question."""

    class Meta:
        model = AcceptedResponse

    question = factory.SubFactory("tests.factories.QuestionFactory", type=QuestionType.SHORT_ANSWER)
    version = factory.LazyAttribute(lambda o: o.question.current_version)
    blank = -1
    text = factory.Sequence(lambda n: f"response {n}")
    form = factory.LazyAttribute(lambda o: o.text)
    accepted_by = factory.SubFactory(AuthorFactory)
    accepted_at = factory.LazyFunction(timezone.now)


class RegradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Regrade

    answer = factory.SubFactory(AnswerFactory, score=1.0, correct=True)
    accepted = factory.SubFactory(AcceptedResponseFactory)
    regraded_by = factory.LazyAttribute(lambda o: o.accepted.accepted_by)
    regraded_at = factory.LazyFunction(timezone.now)
    old_score = 0.0
    new_score = 1.0


class CardSuspensionFactory(factory.django.DjangoModelFactory):
    """A card a student suspended."""

    class Meta:
        model = CardSuspension

    student = factory.SubFactory(StudentFactory)
    card = factory.SubFactory("tests.factories.CardFactory")
    reason = "student"


class CardFlagFactory(factory.django.DjangoModelFactory):
    """A student's open report on a card."""

    class Meta:
        model = CardFlag

    card = factory.SubFactory("tests.factories.CardFactory")
    student = factory.SubFactory(StudentFactory)
    note = "The date looks wrong."


class MemoryStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemoryState

    student = factory.SubFactory(StudentFactory)
    card = factory.SubFactory(CardFactory)
    state = 2
    step = None
    stability = 3.0
    difficulty = 5.0
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    last_review_at = factory.LazyFunction(timezone.now)


class ReviewLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewLog

    student = factory.SubFactory(StudentFactory)
    card = factory.SubFactory(CardFactory)
    rating = 3
    reviewed_at = factory.LazyFunction(timezone.now)
    state_after = 1
    due_after = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=10))


class RecallRollupFactory(factory.django.DjangoModelFactory):
    """A rollup row of one state (tests of the rollups let the triggers build theirs)."""

    class Meta:
        model = RecallRollup

    student = factory.SubFactory(StudentFactory)
    lesson = factory.SubFactory(LessonFactory)
    base_day = factory.LazyFunction(lambda: (timezone.now().date() - date(1970, 1, 1)).days)
    n = 1
    r0 = 1.0


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    key = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")


class ParameterFitFactory(factory.django.DjangoModelFactory):
    """A finished fit of FSRS's parameters to a course's reviews (FSRS's defaults, not in force)."""

    class Meta:
        model = ParameterFit

    course = factory.SubFactory(CourseFactory)
    status = "done"
    reviews = 1200
    train_reviews = 960
    test_reviews = 240
    parameters = factory.LazyFunction(lambda: list(Scheduler().parameters))


class LessonSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonSet

    course = factory.SubFactory(CourseFactory)
    key = factory.Sequence(lambda n: f"set-{n}")
    title = factory.Sequence(lambda n: f"Lesson set {n}")
    position = factory.Sequence(lambda n: n)


class LessonSetItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonSetItem

    lesson_set = factory.SubFactory(LessonSetFactory)
    lesson = factory.SubFactory(LessonFactory)
    position = factory.Sequence(lambda n: n)


class ClassroomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Classroom
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Class {n}")

    @factory.post_generation
    def teachers(self, create, extracted, **kwargs):
        if create and extracted:
            self.teachers.set(extracted)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    classroom = factory.SubFactory(ClassroomFactory)
    student = factory.SubFactory(StudentFactory)


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation of a student to a class."""

    class Meta:
        model = Invitation

    classroom = factory.SubFactory(ClassroomFactory)
    student = factory.SubFactory(StudentFactory)
    invited_by = factory.SubFactory(TeacherFactory)


class AssignmentFactory(factory.django.DjangoModelFactory):
    """An assignment of a lesson set to a class; its lessons are copied from the set."""

    class Meta:
        model = Assignment
        skip_postgeneration_save = True

    classroom = factory.SubFactory(ClassroomFactory)
    lesson_set = factory.SubFactory(LessonSetFactory)
    title = factory.LazyAttribute(lambda o: o.lesson_set.title if o.lesson_set else "Lessons")
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    @factory.post_generation
    def copy_lessons(self, create, extracted, **kwargs):
        if create and self.lesson_set:
            for item in self.lesson_set.items.order_by("position"):
                AssignmentLesson.objects.create(
                    assignment=self, lesson=item.lesson, position=item.position
                )


class AssignmentLessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssignmentLesson

    assignment = factory.SubFactory(AssignmentFactory)
    lesson = factory.SubFactory(LessonFactory)
    position = factory.Sequence(lambda n: n)


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(StudentFactory)
    time_zone = "Asia/Ho_Chi_Minh"


class ImportRecordFactory(factory.django.DjangoModelFactory):
    """An upload previewed on /author/import/ (content.imports makes the real ones)."""

    class Meta:
        model = ImportRecord

    uploaded_by = factory.SubFactory(AuthorFactory)
    filename = factory.Sequence(lambda n: f"lesson-{n}.yaml")
    format = "lesson YAML"
    file = b"lesson:\n  key: a-lesson\n  title: A lesson\n"
    size = factory.LazyAttribute(lambda o: len(o.file))
