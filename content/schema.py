"""The shape of course and lesson files (docs/authoring.md), as pydantic models.

Only shape and single-file rules live here; rules that need other files or the database (key
uniqueness across files, citations against their sources) are in `content.loader`.

Every limit that a database column imposes is read from the column, so that whatever passes
here can be written on every database: text lengths from `max_length`, numbers and list lengths
(list positions are stored) from the column's integer range.
"""

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from content.markdown import footnote_refs
from content.models import Citation, KeyTerm, Lesson, Section, Source
from content.reading import forbidden_character, shorten
from courses.models import Course, LessonSet, LessonSetItem
from quizzes.grading import CLOZE_BLANK, cloze_parts, names_another_number
from quizzes.models import Card, Level, Quiz
from quizzes.models import Question as StoredQuestion

# Every lesson and every lesson set has a quiz, keyed by the lesson's or the set's key.
LESSON_QUIZ_PREFIX = "lesson-"
SET_QUIZ_PREFIX = "set-"
# A question studied as a flashcard is a card positioned after the lesson's own flashcards.
QUESTION_CARD_OFFSET = 10_000
MAX_ITEMS = 1000  # in any one list


def _max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


def _column_max(model: type[models.Model], name: str) -> int:
    internal_type = model._meta.get_field(name).get_internal_type()
    return BaseDatabaseOperations.integer_field_ranges[internal_type][1]


def _at_most(limit: int, model: type[models.Model], name: str) -> int:
    return min(limit, _column_max(model, name))


def _items(model: type[models.Model], offset: int = 0) -> int:
    """How many items a list may hold when each item's index is stored in `model.position`."""
    return min(MAX_ITEMS, _column_max(model, "position") - offset + 1)


def _scalar_to_str(value: Any) -> Any:
    """Let authors write `1977` or `0.5` where text is expected, without quoting it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _storable(value: str) -> str:
    if problem := forbidden_character(value):
        raise ValueError(problem)
    return value


def _key(max_length: int) -> Any:
    return Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=max_length)]


def _text(max_length: int | None = None, *, required: bool = True) -> Any:
    # The constraints come first so that they apply to the string itself (and say "characters");
    # the validators wrap it: numbers become text before, stored characters are checked after.
    return Annotated[
        str,
        StringConstraints(min_length=1 if required else 0, max_length=max_length),
        BeforeValidator(_scalar_to_str),
        AfterValidator(_storable),
    ]


CourseKey = _key(_max_length(Course, "key"))
SourceSlug = _key(_max_length(Source, "slug"))
LessonKey = _key(
    min(_max_length(Lesson, "key"), _max_length(Quiz, "key") - len(LESSON_QUIZ_PREFIX))
)
LessonSetKey = _key(
    min(_max_length(LessonSet, "key"), _max_length(Quiz, "key") - len(SET_QUIZ_PREFIX))
)
CitationRef = _key(_max_length(Citation, "ref"))
QuestionKey = _key(min(_max_length(StoredQuestion, "key"), _max_length(Card, "key")))
CardKey = _key(_max_length(Card, "key"))
# What names a lesson, a source or a citation; no key is longer.
Ref = _key(max(_max_length(Lesson, "key"), _max_length(Source, "slug"),
               _max_length(Citation, "ref")))  # fmt: skip
Text = _text()  # stored in a text column or in JSON: limited only by the file's size
OptionalText = _text(required=False)
_TEXT = TypeAdapter(Text)
Finite = Annotated[float, Field(allow_inf_nan=False)]  # no database stores NaN or infinity
# A fraction of the marks (GIFT's `%50%` is 0.5): a number, never a text or a yes/no.
Weight = Annotated[float, Field(ge=-1, le=1, allow_inf_nan=False, strict=True)]
PositiveWeight = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
# The sum that a multiple response's positive weights must reach, give or take this
# (thirds written as 0.333).
WEIGHT_SUM_SLACK = 0.001


def _distinct(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {shorten(value)} appears twice")
        seen.add(value)
    return values


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _refuse(problems: Iterable[tuple[tuple, str]]) -> None:
    """Raise every problem found by a rule that spans several fields, each at its own place
    (a location inside the model, so that the loader reports the line of the choice)."""
    errors = [
        InitErrorDetails(
            type=PydanticCustomError("value_error", "{error}", {"error": message}),
            loc=loc,
            input=None,
        )
        for loc, message in problems
    ]
    if errors:
        raise ValidationError.from_exception_data("question", errors)


def _entry(what: str) -> Any:
    """A choice or a short answer: its text alone, or a mapping with `text` and more."""

    def as_mapping(value: Any) -> Any:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            # Checked here, so that a problem with a text written alone is reported at the
            # entry, as before mappings were allowed.
            return {"text": _TEXT.validate_python(value)}
        if not isinstance(value, dict):
            raise ValueError(
                f"{what} is a text, or a mapping with 'text' (and 'weight', 'feedback')"
            )
        return value

    return BeforeValidator(as_mapping)


# Course files -----------------------------------------------------------------------------------


class CourseIn(Strict):
    key: CourseKey
    title: _text(_max_length(Course, "title"))
    summary: OptionalText = ""
    desired_retention: float = Field(0.9, ge=0.7, le=0.99, allow_inf_nan=False)
    new_cards_per_day: int = Field(20, ge=0, le=_at_most(9999, Course, "new_cards_per_day"))
    reviews_per_day: int = Field(200, ge=0, le=_at_most(9999, Course, "reviews_per_day"))
    learn_ahead_minutes: int = Field(20, ge=0, le=720)


class SourceIn(Strict):
    slug: SourceSlug
    title: _text(_max_length(Source, "title"))
    author: _text(_max_length(Source, "author"), required=False) = ""
    year: int | None = Field(None, ge=1, le=_at_most(9999, Source, "year"))
    file: _text(1000)  # a path relative to course.yaml, inside the course folder


class QuizIn(Strict):
    """A quiz's settings. Every lesson and every lesson set has a quiz; these fields tune it."""

    title: _text(_max_length(Quiz, "title"), required=False) = ""
    # None: every question
    question_count: int | None = Field(None, ge=1, le=_at_most(500, Quiz, "question_count"))
    shuffle_questions: bool = True
    shuffle_options: bool = True
    # None: unlimited
    attempts_allowed: int | None = Field(None, ge=1, le=_at_most(100, Quiz, "attempts_allowed"))
    time_limit_minutes: int | None = Field(None, ge=1, le=_at_most(600, Quiz, "time_limit_minutes"))
    feedback: Literal["immediate", "end"] = "immediate"
    # Moodle's navigation method: in order, or any question in any order (quizzes.models).
    navigation: Literal["sequential", "free"] = "sequential"


class LessonSetIn(Strict):
    key: LessonSetKey
    title: _text(_max_length(LessonSet, "title"))
    lessons: list[Ref] = Field(min_length=1, max_length=_items(LessonSetItem))
    quiz: QuizIn = QuizIn(question_count=20)

    @field_validator("lessons")
    @classmethod
    def lessons_distinct(cls, value: list[str]) -> list[str]:
        return _distinct(value, "lesson")


class CourseFile(Strict):
    course: CourseIn
    sources: list[SourceIn] = Field([], max_length=MAX_ITEMS)
    lesson_sets: list[LessonSetIn] = Field([], max_length=_items(LessonSet))


# Lesson files -----------------------------------------------------------------------------------


class CitationIn(Strict):
    source: Ref
    paragraph: int = Field(ge=1, le=_column_max(Citation, "paragraph"))
    quote: Text


class SectionIn(Strict):
    title: _text(_max_length(Section, "title"))
    body: Text


class KeyTermIn(Strict):
    term: _text(_max_length(KeyTerm, "term"))
    definition: Text


class LessonIn(Strict):
    key: LessonKey
    title: _text(_max_length(Lesson, "title"))
    summary: OptionalText = ""
    citations: dict[CitationRef, CitationIn] = Field({}, max_length=_items(Citation))
    sections: list[SectionIn] = Field([], max_length=_items(Section))
    key_terms: list[KeyTermIn] = Field([], max_length=_items(KeyTerm))
    quiz: QuizIn = QuizIn()


Cite = Annotated[list[Ref], Field(max_length=MAX_ITEMS)]


class QuestionIn(Strict):
    key: QuestionKey
    prompt: Text
    # The general feedback, shown after answering whatever the answer.
    explanation: OptionalText = ""
    cite: Cite = []
    level: Level | None = None
    flashcard: bool = False

    def authored(self) -> dict[str, Any]:
        """The type-specific fields, as `quizzes.grading.stored_form` takes them."""
        common = set(QuestionIn.model_fields) | {"type"}
        return self.model_dump(exclude=common)

    def markdown_fields(self) -> list[str]:
        return [self.prompt, self.explanation, *self.feedback_texts()]

    def feedback_texts(self) -> list[str]:
        """The feedback written for the question's options (Markdown, shown after answering)."""
        return []


class ChoiceIn(Strict):
    text: Text
    feedback: OptionalText = ""  # shown after answering to a student who picked it
    weight: Weight | None = None


Choice = Annotated[ChoiceIn, _entry("a choice")]


class Choices(QuestionIn):
    choices: list[Choice] = Field(min_length=2, max_length=MAX_ITEMS)

    @field_validator("choices")
    @classmethod
    def choices_distinct(cls, value: list[ChoiceIn]) -> list[ChoiceIn]:
        _distinct([choice.text for choice in value], "choice")
        return value

    def texts(self) -> list[str]:
        return [choice.text for choice in self.choices]

    def feedback_texts(self) -> list[str]:
        return [choice.feedback for choice in self.choices if choice.feedback]


def _choice_texts(info: ValidationInfo) -> list[str] | None:
    return [c.text for c in info.data["choices"]] if "choices" in info.data else None


class SingleChoiceIn(Choices):
    type: Literal["single_choice"]
    answer: Text

    @field_validator("answer")
    @classmethod
    def answer_is_a_choice(cls, value: str, info: ValidationInfo) -> str:
        texts = _choice_texts(info)
        if texts is not None and value not in texts:
            raise ValueError(f"the answer {shorten(value)} is not one of the choices")
        return value

    @model_validator(mode="after")
    def weights_fit(self) -> "SingleChoiceIn":
        """The answer is worth 1; another choice's weight is the partial credit for it."""
        problems = []
        for i, choice in enumerate(self.choices):
            name, weight = shorten(choice.text), choice.weight
            if weight is None:
                continue
            if choice.text == self.answer:
                message = (
                    "" if weight == 1 else f"the answer {name} is worth 1: leave out its weight"
                )
            elif weight < 0:
                message = (
                    f"choice {name}: a single choice takes weights from 0 to 1 (negative "
                    "weights are for multiple_response)"
                )
            elif weight == 1:
                message = (
                    f"choice {name} has weight 1 but is not the answer: make it the answer, "
                    "or give it less"
                )
            else:
                message = ""
            if message:
                problems.append((("choices", i, "weight"), message))
        _refuse(problems)
        return self


class MultipleResponseIn(Choices):
    type: Literal["multiple_response"]
    answers: list[Text] = Field(min_length=1, max_length=MAX_ITEMS)

    @field_validator("answers")
    @classmethod
    def answers_are_choices(cls, value: list[str], info: ValidationInfo) -> list[str]:
        _distinct(value, "answer")
        texts = _choice_texts(info)
        for answer in value:
            if texts is not None and answer not in texts:
                raise ValueError(f"the answer {shorten(answer)} is not one of the choices")
        return value

    @model_validator(mode="after")
    def weights_fit(self) -> "MultipleResponseIn":
        """With weights, each answer's is positive, the others' at most 0, and the answers'
        add up to 1: picking exactly the answers is full marks, whatever the weights."""
        if all(choice.weight is None for choice in self.choices):
            return self
        problems = []
        answers = set(self.answers)
        for i, choice in enumerate(self.choices):
            name, weight = shorten(choice.text), choice.weight
            if choice.text in answers and (weight is None or weight <= 0):
                message = (
                    f"the answer {name} needs a positive weight: with weights, every answer has one"
                )
            elif choice.text not in answers and (weight or 0) > 0:
                message = (
                    f"choice {name} is not an answer: its weight may be 0 or negative, not positive"
                )
            else:
                continue
            # Where no weight is written, the choice's own line.
            problems.append((("choices", i, "weight"), message))
        if not problems:
            total = sum(c.weight for c in self.choices if c.text in answers and c.weight)
            if abs(total - 1) > WEIGHT_SUM_SLACK:
                problems.append((("answers",), f"the answers' weights add up to {total:g}, not 1"))
        _refuse(problems)
        return self


class TrueFalseFeedbackIn(Strict):
    """The feedback for a student who answered true, and for one who answered false."""

    true: OptionalText = ""
    false: OptionalText = ""


class TrueFalseIn(QuestionIn):
    type: Literal["true_false"]
    answer: bool
    # The options' words: "True"/"False", or "Yes"/"No" for a question that asks one
    # ("Is this consistent with…?").
    labels: Literal["true_false", "yes_no"] = "true_false"
    feedback: TrueFalseFeedbackIn = TrueFalseFeedbackIn()

    @field_validator("feedback", mode="before")
    @classmethod
    def yaml_booleans(cls, value: Any) -> Any:
        # YAML reads the keys `true:` and `false:` (and `yes:`, `no:`) as booleans.
        if isinstance(value, dict):
            return {str(k).lower() if isinstance(k, bool) else k: v for k, v in value.items()}
        return value

    def feedback_texts(self) -> list[str]:
        return [text for text in (self.feedback.true, self.feedback.false) if text]


class TypedAnswerOptions(BaseModel):
    """How strictly a typed answer is compared (`quizzes.grading.TEXT_OPTIONS`): a near miss
    accepted with a note, and case or accents that count."""

    typos: StrictBool = False
    case_sensitive: StrictBool = False
    accent_sensitive: StrictBool = False


# Responses accepted after the fact (in the browser: "Accept this response"), as
# `manage.py accepted_responses --write` adds them to a file; also accepted, never shown.
AlsoAccept = Annotated[list[Text], Field(max_length=MAX_ITEMS)]


class ShortAnswerEntryIn(Strict):
    text: Text
    # Full marks by default; 0 makes it a wrong answer recognised, to show its feedback.
    weight: PositiveWeight = 1
    feedback: OptionalText = ""


class ShortAnswerIn(TypedAnswerOptions, QuestionIn):
    type: Literal["short_answer"]
    answers: list[Annotated[ShortAnswerEntryIn, _entry("an answer")]] = Field(
        min_length=1, max_length=MAX_ITEMS
    )
    also_accept: AlsoAccept = []

    @field_validator("answers")
    @classmethod
    def one_is_right(cls, value: list[ShortAnswerEntryIn]) -> list[ShortAnswerEntryIn]:
        if all(answer.weight != 1 for answer in value):
            raise ValueError("no answer is worth full marks: give one weight 1 (or no weight)")
        return value

    def feedback_texts(self) -> list[str]:
        return [answer.feedback for answer in self.answers if answer.feedback]


class AlternativeIn(Strict):
    """Another number than the answer (GIFT's `=%50%1978:1`), tried in order after it."""

    answer: Finite
    tolerance: float = Field(0, ge=0, allow_inf_nan=False)
    weight: PositiveWeight
    feedback: OptionalText = ""


class NumericIn(QuestionIn):
    type: Literal["numeric"]
    answer: Finite
    tolerance: float = Field(0, ge=0, allow_inf_nan=False)
    unit: OptionalText = ""
    feedback: OptionalText = ""  # for the answer
    alternatives: list[AlternativeIn] = Field([], max_length=MAX_ITEMS)
    other_feedback: OptionalText = ""  # for any other number
    also_accept: AlsoAccept = []

    @field_validator("alternatives")
    @classmethod
    def reachable(cls, value: list[AlternativeIn], info: ValidationInfo) -> list[AlternativeIn]:
        """An alternative whose whole range lies within the answer's would never be matched."""
        if "answer" in info.data and "tolerance" in info.data:
            low = info.data["answer"] - info.data["tolerance"]
            high = info.data["answer"] + info.data["tolerance"]
            for i, alt in enumerate(value, start=1):
                if low <= alt.answer - alt.tolerance and alt.answer + alt.tolerance <= high:
                    raise ValueError(
                        f"alternative {i} ({alt.answer:g} ± {alt.tolerance:g}) lies within the "
                        "answer's tolerance: it would never be matched"
                    )
        return value

    def feedback_texts(self) -> list[str]:
        texts = [self.feedback, *(alt.feedback for alt in self.alternatives), self.other_feedback]
        return [text for text in texts if text]

    @field_validator("also_accept")
    @classmethod
    def no_other_number(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if "answer" in info.data and "tolerance" in info.data:
            key = {"value": info.data["answer"], "tolerance": info.data["tolerance"]}
            for text in value:
                if names_another_number("numeric", key, text):
                    raise ValueError(f"{text!r} names another number than the answer")
        return value


class PairIn(Strict):
    left: Text
    right: Text


class MatchingIn(QuestionIn):
    type: Literal["matching"]
    pairs: list[PairIn] = Field(min_length=2, max_length=MAX_ITEMS)

    @field_validator("pairs")
    @classmethod
    def sides_distinct(cls, value: list[PairIn]) -> list[PairIn]:
        _distinct([p.left for p in value], "left item")
        _distinct([p.right for p in value], "right item")
        return value


class OrderingIn(QuestionIn):
    type: Literal["ordering"]
    items: list[Text] = Field(min_length=2, max_length=MAX_ITEMS)

    @field_validator("items")
    @classmethod
    def items_distinct(cls, value: list[str]) -> list[str]:
        return _distinct(value, "item")


class ClozeIn(TypedAnswerOptions, QuestionIn):
    type: Literal["cloze"]
    prompt: OptionalText = ""
    text: Text
    # By blank number, counted from 1.
    also_accept: dict[Annotated[int, Field(ge=1)], AlsoAccept] = Field({}, max_length=MAX_ITEMS)

    @field_validator("text")
    @classmethod
    def has_blanks(cls, value: str) -> str:
        # CLOZE_BLANK searches the rest of the line from every `[[`: quadratic in a line of many
        # unclosed ones, linear once each `[[` has a `]]` after it on its line. If the last
        # `[[` of a line has one, every earlier `[[` has it too.
        for number, line in enumerate(value.split("\n"), start=1):
            last = line.rfind("[[")
            if last != -1 and line.find("]]", last + 3) == -1:
                where = f" on line {number} of the text" if "\n" in value else ""
                raise ValueError(f"a [[blank]] is not closed by ]]{where}")
        if not CLOZE_BLANK.search(value):
            raise ValueError("the text has no [[blank]]")
        _, blanks = cloze_parts(value)
        if any(not alternatives for alternatives in blanks):
            raise ValueError("a [[blank]] has no accepted answer")
        return value

    @field_validator("also_accept")
    @classmethod
    def blanks_exist(cls, value: dict[int, list[str]], info: ValidationInfo) -> dict:
        if "text" in info.data:
            count = len(cloze_parts(info.data["text"])[1])
            for number in value:
                if number > count:
                    raise ValueError(f"blank {number} does not exist: the text has {count}")
        return value

    def markdown_fields(self) -> list[str]:
        return [self.prompt, self.explanation, self.text]


Question = Annotated[
    SingleChoiceIn
    | MultipleResponseIn
    | TrueFalseIn
    | ShortAnswerIn
    | NumericIn
    | MatchingIn
    | OrderingIn
    | ClozeIn,
    Field(discriminator="type"),
]
QUESTION_TYPES = ["single_choice", "multiple_response", "true_false", "short_answer", "numeric",
                  "matching", "ordering", "cloze"]  # fmt: skip


class FlashcardIn(Strict):
    key: CardKey
    front: Text
    back: Text
    hint: OptionalText = ""
    cite: Cite = []


class LessonFile(Strict):
    lesson: LessonIn
    questions: list[Question] = Field(
        [], max_length=min(_items(StoredQuestion), _items(Card, offset=QUESTION_CARD_OFFSET))
    )
    flashcards: list[FlashcardIn] = Field([], max_length=_items(Card))

    def footnote_texts(self) -> list[tuple[tuple, str]]:
        """Every Markdown text that may hold `[^ref]`, with its location in the file."""
        found: list[tuple[tuple, str]] = []
        for i, section in enumerate(self.lesson.sections):
            found.append((("lesson", "sections", i, "body"), section.body))
        for i, term in enumerate(self.lesson.key_terms):
            found.append((("lesson", "key_terms", i, "definition"), term.definition))
        for i, question in enumerate(self.questions):
            found.append((("questions", i, "explanation"), question.explanation))
        for i, card in enumerate(self.flashcards):
            found.append((("flashcards", i, "back"), card.back))
        return [(loc, text) for loc, text in found if footnote_refs(text)]
