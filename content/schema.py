"""The shape of course and lesson files (docs/authoring.md), as pydantic models.

Only shape and single-file rules live here; rules that need other files or the database (key
uniqueness across files, citations against their sources) are in `content.loader`.
"""

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from content.markdown import footnote_refs
from quizzes.grading import CLOZE_BLANK, cloze_parts
from quizzes.models import Level


def _scalar_to_str(value: Any) -> Any:
    """Let authors write `1977` or `0.5` where text is expected, without quoting it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


Key = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100),
]
Text = Annotated[str, BeforeValidator(_scalar_to_str), StringConstraints(min_length=1)]
OptionalText = Annotated[str, BeforeValidator(_scalar_to_str)]


def _distinct(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} appears twice")
        seen.add(value)
    return values


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Course files -----------------------------------------------------------------------------------


class CourseIn(Strict):
    key: Key
    title: Text
    summary: OptionalText = ""
    desired_retention: float = Field(0.9, ge=0.7, le=0.99)
    new_cards_per_day: int = Field(20, ge=0, le=9999)
    reviews_per_day: int = Field(200, ge=0, le=9999)


class SourceIn(Strict):
    slug: Key
    title: Text
    author: OptionalText = ""
    year: int | None = Field(None, ge=1, le=9999)
    file: Text


class QuizIn(Strict):
    """A quiz's settings. Every lesson and every lesson set has a quiz; these fields tune it."""

    title: OptionalText = ""
    question_count: int | None = Field(None, ge=1, le=500)  # None: every question
    shuffle_questions: bool = True
    shuffle_options: bool = True
    attempts_allowed: int | None = Field(None, ge=1, le=100)  # None: unlimited
    time_limit_minutes: int | None = Field(None, ge=1, le=600)
    feedback: Literal["immediate", "end"] = "immediate"


class LessonSetIn(Strict):
    key: Key
    title: Text
    lessons: list[Key] = Field(min_length=1)
    quiz: QuizIn = QuizIn(question_count=20)

    @field_validator("lessons")
    @classmethod
    def lessons_distinct(cls, value: list[str]) -> list[str]:
        return _distinct(value, "lesson")


class CourseFile(Strict):
    course: CourseIn
    sources: list[SourceIn] = []
    lesson_sets: list[LessonSetIn] = []


# Lesson files -----------------------------------------------------------------------------------


class CitationIn(Strict):
    source: Key
    paragraph: int = Field(ge=1)
    quote: Text


class SectionIn(Strict):
    title: Text
    body: Text


class KeyTermIn(Strict):
    term: Text
    definition: Text


class LessonIn(Strict):
    key: Key
    title: Text
    summary: OptionalText = ""
    citations: dict[Key, CitationIn] = {}
    sections: list[SectionIn] = []
    key_terms: list[KeyTermIn] = []
    quiz: QuizIn = QuizIn()


class QuestionIn(Strict):
    key: Key
    prompt: Text
    explanation: Text
    cite: list[Key] = []
    level: Level | None = None
    flashcard: bool = False

    def authored(self) -> dict[str, Any]:
        """The type-specific fields, as `quizzes.grading.stored_form` takes them."""
        common = set(QuestionIn.model_fields) | {"type"}
        return self.model_dump(exclude=common)

    def markdown_fields(self) -> list[str]:
        return [self.prompt, self.explanation]


class Choices(QuestionIn):
    choices: list[Text] = Field(min_length=2)

    @field_validator("choices")
    @classmethod
    def choices_distinct(cls, value: list[str]) -> list[str]:
        return _distinct(value, "choice")


class SingleChoiceIn(Choices):
    type: Literal["single_choice"]
    answer: Text

    @field_validator("answer")
    @classmethod
    def answer_is_a_choice(cls, value: str, info: ValidationInfo) -> str:
        if "choices" in info.data and value not in info.data["choices"]:
            raise ValueError(f"the answer {value!r} is not one of the choices")
        return value


class MultipleResponseIn(Choices):
    type: Literal["multiple_response"]
    answers: list[Text] = Field(min_length=1)

    @field_validator("answers")
    @classmethod
    def answers_are_choices(cls, value: list[str], info: ValidationInfo) -> list[str]:
        _distinct(value, "answer")
        for answer in value:
            if "choices" in info.data and answer not in info.data["choices"]:
                raise ValueError(f"the answer {answer!r} is not one of the choices")
        return value


class TrueFalseIn(QuestionIn):
    type: Literal["true_false"]
    answer: bool


class ShortAnswerIn(QuestionIn):
    type: Literal["short_answer"]
    answers: list[Text] = Field(min_length=1)


class NumericIn(QuestionIn):
    type: Literal["numeric"]
    answer: float
    tolerance: float = Field(0, ge=0)
    unit: OptionalText = ""


class PairIn(Strict):
    left: Text
    right: Text


class MatchingIn(QuestionIn):
    type: Literal["matching"]
    pairs: list[PairIn] = Field(min_length=2)

    @field_validator("pairs")
    @classmethod
    def sides_distinct(cls, value: list[PairIn]) -> list[PairIn]:
        _distinct([p.left for p in value], "left item")
        _distinct([p.right for p in value], "right item")
        return value


class OrderingIn(QuestionIn):
    type: Literal["ordering"]
    items: list[Text] = Field(min_length=2)

    @field_validator("items")
    @classmethod
    def items_distinct(cls, value: list[str]) -> list[str]:
        return _distinct(value, "item")


class ClozeIn(QuestionIn):
    type: Literal["cloze"]
    prompt: OptionalText = ""
    text: Text

    @field_validator("text")
    @classmethod
    def has_blanks(cls, value: str) -> str:
        if not CLOZE_BLANK.search(value):
            raise ValueError("the text has no [[blank]]")
        _, blanks = cloze_parts(value)
        if any(not alternatives for alternatives in blanks):
            raise ValueError("a [[blank]] has no accepted answer")
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
    key: Key
    front: Text
    back: Text
    hint: OptionalText = ""
    cite: list[Key] = []


class LessonFile(Strict):
    lesson: LessonIn
    questions: list[Question] = []
    flashcards: list[FlashcardIn] = []

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
