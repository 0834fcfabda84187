"""Between Moodle's question model (GIFT, Moodle XML) and the questions of our lesson files.

    questions, errors = gift.parse(text, "bank.gift")
    dicts, problems = gift_to_questions(questions, "bank.gift")     # problems: "file:line: …"
    exported, messages = questions_to_gift(dicts, "lesson-key", "course-key")
    text = gift.dump(exported)                                       # messages: what GIFT lost

and the same for Moodle XML with `xml_to_questions` / `questions_to_xml` (content.moodlexml).

Pure functions: nothing here reads or writes the database. A produced dict is a question of a
lesson file as an author would write it (docs/authoring.md, with issue 12's feedback and weights):
only the fields that differ from their defaults, choices as plain strings unless they carry a
weight or a feedback. An import error names the line of the question in its file and leaves the
question out; the caller refuses the file if there is any. An export message names the question
key and says what was left out; the export goes on.

What the mapping decides (docs/authoring.md, "GIFT and Moodle XML", has the tables):
- Keys: a question's title (GIFT `::title::`, Moodle `<name>`) if it is a valid key, else a slug
  of it, else `q-` and a hash of the question text, so that importing a file again gives the same
  keys. Two questions of one file with the same key are refused.
- Texts become Markdown: markdown as it is, html through markdownify (our renderer has raw HTML
  off), plain and Moodle's auto-format escaped so that Markdown shows them as written, line
  breaks kept. Typed answers (short answers, cloze blanks) are compared, not shown, and stay as
  written, but for Moodle's wildcard: `\\*` is a literal star, an unescaped `*` is refused.
- Export writes Markdown texts (GIFT `[markdown]`, XML `format="markdown"`), so that importing an
  export gives back the same texts.
- A blank inside a text (GIFT's missing word, a short answer block in mid-sentence) becomes a
  visible gap in the prompt, except a short answer whose answers are all worth 100% and carry no
  feedback: that is a one-blank cloze. A cloze's prompt is written as the paragraphs before the
  one that holds the first blank, and read back the same way.
- We score a multiple-response question without weights as Moodle scores one whose n right
  choices are worth 1/n each and whose wrong ones -1/n: export writes those weights, and import
  reads such weights back as none.
"""

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markdownify import markdownify
from pydantic import TypeAdapter, ValidationError

from content import gift, moodlexml
from content.gift import BLANK, GiftAnswer, GiftQuestion
from content.moodlexml import MoodleAnswer, MoodlePair, MoodleQuestion, MoodleText
from content.schema import Question, QuestionKey
from quizzes.grading import cloze_parts

# What a blank looks like in a prompt: five underscores, escaped so that Markdown never reads
# them as emphasis or as a rule.
GAP = r"\_\_\_\_\_"
# Fields a lesson-file question may have that GIFT has no place for.
NOT_IN_GIFT = ("cite", "level", "flashcard", "labels", "typos", "case_sensitive",
               "accent_sensitive", "also_accept", "unit")  # fmt: skip
# Our fields that Moodle XML has no element for, by type: they travel in <learnhall>.
_EXTENSION_FIELDS = {
    "single_choice": (),
    "multiple_response": (),
    "true_false": ("labels",),
    "short_answer": ("typos", "accent_sensitive", "also_accept"),
    "numeric": ("also_accept",),
    "matching": (),
    "ordering": (),
    "cloze": ("typos", "accent_sensitive", "also_accept"),
}
_COMMON_EXTENSION = ("cite", "level", "flashcard")
_DEFAULTS = {"labels": "true_false", "flashcard": False, "typos": False, "case_sensitive": False,
             "accent_sensitive": False}  # fmt: skip
# Moodle rounds grades to 7 decimals (its list of grades: 0.3333333, 0.1428571, …).
_GRADE_DECIMALS = 7
_SAME_WEIGHT = 1e-6
_WEIGHT_SUM_SLACK = 0.001  # as issue 12's rule for multiple-response weights

_KEY_ADAPTER = TypeAdapter(QuestionKey)
_KEY_MAX = QuestionKey.__metadata__[0].max_length
_QUESTION_ADAPTER = TypeAdapter(Question)
_WILDCARD = re.compile(r"(?<!\\)\*")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# The placeholders that stand for the blanks of a cloze while its text is converted: Unicode's
# plane 15 private use area, which a question text is refused for holding.
_PLACEHOLDER_BASE = 0xF0000
_PLACEHOLDERS = re.compile("[\U000f0000-\U000ffffd]")


class _Problem(Exception):
    pass


# Texts ------------------------------------------------------------------------------------------

_IMAGE = re.compile(r"<img\b", re.IGNORECASE)
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>&|])")
# What makes a line a heading, a list item, a rule or a code fence; the first character of the
# group that matched is escaped. Quotes (>), `*`, `_` and backquotes are escaped anywhere.
_BLOCK_START = re.compile(
    r"(#{1,6}|[-+])(?=[ \t]|$)|(=+|-+)[ \t]*$|(~{3,})|\d{1,9}([.)])(?=[ \t]|$)"
)


def escape_markdown(text: str) -> str:
    """Markdown that shows `text` as written: every character that could mean something is
    escaped, and each line break stays a line break. Leading spaces of a line are dropped (in
    Markdown they would make a code block; on a web page they collapse anyway)."""
    paragraphs = []
    for paragraph in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = []
        for line in paragraph.split("\n"):
            line = _INLINE_SPECIAL.sub(r"\\\1", line.strip(" \t"))
            if found := _BLOCK_START.match(line):
                at = next(found.start(g) for g in range(1, 5) if found.group(g) is not None)
                line = line[:at] + "\\" + line[at:]
            if line:
                lines.append(line)
        if lines:
            paragraphs.append("\\\n".join(lines))
    return "\n\n".join(paragraphs)


def _markdown_from(text: str, text_format: str) -> str:
    """A text of Moodle's, in one of its formats, as Markdown that shows the same."""
    if text_format == "markdown":
        return text.strip()
    if text_format == "html":
        if _IMAGE.search(text):
            # Our renderer shows no images: refused rather than lost without a word.
            raise _Problem("images are not supported")
        converted = markdownify(text, heading_style="ATX", bullets="-", escape_misc=False)
        return re.sub(r"\n{3,}", "\n\n", converted).strip()
    return escape_markdown(text).strip()


def _gapped(text: str) -> str:
    return text.replace(BLANK, GAP)


def _typed(text: str, what: str) -> str:
    """A typed answer as Moodle matches it: `\\*` is a star, a bare `*` a wildcard we refuse."""
    if _WILDCARD.search(text):
        raise _Problem(f"{what} {text!r} holds a wildcard (*), which is not supported (write \\* "
                       "for a star)")  # fmt: skip
    return text.replace("\\*", "*")


def _untyped(text: str) -> str:
    return text.replace("*", "\\*")


# Keys -------------------------------------------------------------------------------------------


def question_key(title: str, text: str) -> str:
    """The key of an imported question: its title if that is a key, else a slug of the title,
    else one made from a hash of its text. The same question always gets the same key."""
    try:
        return _KEY_ADAPTER.validate_python(title)
    except ValidationError:
        pass
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:_KEY_MAX].strip("-")
    if slug:
        return slug
    return "q-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class _Keys:
    """The keys claimed so far in one file, with the line of the question that claimed each."""

    def __init__(self) -> None:
        self.lines: dict[str, int] = {}

    def claim(self, title: str, text: str, line: int) -> str:
        key = question_key(title, text)
        if key in self.lines:
            raise _Problem(f"the question's key {key!r} is already the key of the question at "
                           f"line {self.lines[key]}: give the two different titles")  # fmt: skip
        self.lines[key] = line
        return key


# Building our questions ------------------------------------------------------------------------


@dataclass
class _Option:
    """A choice, or a typed answer, with its weight (a fraction) and its feedback (Markdown)."""

    text: str
    weight: float
    feedback: str = ""


@dataclass
class _Number:
    value: float
    tolerance: float
    weight: float
    feedback: str = ""


def _question(key: str, qtype: str, prompt: str, fields: dict, explanation: str) -> dict:
    question = {"key": key, "type": qtype}
    if prompt or qtype != "cloze":
        question["prompt"] = prompt
    question.update(fields)
    if explanation:
        question["explanation"] = explanation
    return question


def _entry(text: str, weight: float | None, feedback: str) -> str | dict:
    """A choice or an answer as written: the bare text unless it carries more."""
    if weight is None and not feedback:
        return text
    entry: dict[str, Any] = {"text": text}
    if feedback:
        entry["feedback"] = feedback
    if weight is not None:
        entry["weight"] = weight
    return entry


def _single_choice(key: str, prompt: str, options: list[_Option], explanation: str) -> dict:
    right = [o for o in options if o.weight == 1]
    if len(right) != 1:
        raise _Problem(f"{len(right)} answers are worth 100%; a single-choice question has "
                       "exactly one (give the others partial credit, below 100%)")  # fmt: skip
    for option in options:
        if option.weight < 0:
            raise _Problem(f"the answer {option.text!r} has a negative weight, which a "
                           "single-choice question cannot have")  # fmt: skip
    choices = [
        _entry(o.text, None if o.weight in (0, 1) else o.weight, o.feedback) for o in options
    ]
    fields = {"choices": choices, "answer": right[0].text}
    return _question(key, "single_choice", prompt, fields, explanation)


def _multiple_response(key: str, prompt: str, options: list[_Option], explanation: str) -> dict:
    answers = [o.text for o in options if o.weight > 0]
    if not answers:
        raise _Problem("no answer has a positive weight: a multiple-response question needs one")
    share = 1 / len(answers)
    unweighted = all(
        abs(abs(o.weight) - share) < _SAME_WEIGHT and (o.weight > 0) == (o.text in answers)
        for o in options
    )
    if not unweighted:
        total = sum(o.weight for o in options if o.weight > 0)
        if abs(total - 1) > _WEIGHT_SUM_SLACK:
            raise _Problem(f"the positive weights add up to {total * 100:g}%, not 100%")
    choices = [
        _entry(o.text, None if unweighted or o.weight == 0 else o.weight, o.feedback)
        for o in options
    ]
    return _question(key, "multiple_response", prompt, {"choices": choices, "answers": answers},
                     explanation)  # fmt: skip


def _true_false(key: str, prompt: str, truth: bool, feedback: dict, explanation: str) -> dict:
    fields: dict[str, Any] = {"answer": truth}
    feedback = {side: text for side, text in feedback.items() if text}
    if feedback:
        fields["feedback"] = feedback
    return _question(key, "true_false", prompt, fields, explanation)


def _short_answer(key: str, prompt: str, options: list[_Option], explanation: str) -> dict:
    for option in options:
        if not 0 <= option.weight <= 1:
            raise _Problem(f"the answer {option.text!r} is worth {option.weight * 100:g}%; a "
                           "short answer is worth from 0% to 100%")  # fmt: skip
    if not any(o.weight == 1 for o in options):
        raise _Problem("no answer is worth 100%")
    answers = [_entry(o.text, None if o.weight == 1 else o.weight, o.feedback) for o in options]
    return _question(key, "short_answer", prompt, {"answers": answers}, explanation)


def _can_be_blank(options: list[_Option]) -> bool:
    """Whether these answers fit one cloze blank: all right, no feedback, writable in `[[…]]`."""
    return all(
        o.weight == 1
        and not o.feedback
        and not any(mark in o.text for mark in ("|", "[[", "]]", "\n"))
        and o.text == o.text.strip()
        for o in options
    )


def _placeholder(number: int) -> str:
    return chr(_PLACEHOLDER_BASE + number)


def _cloze(key: str, text: str, blanks: list[list[str]], explanation: str) -> dict:
    """A cloze from a Markdown text holding each blank's placeholder, in order."""
    if [text.count(_placeholder(n)) for n in range(len(blanks))] != [1] * len(blanks):
        raise _Problem("a blank stands where the text cannot show it (inside an HTML tag or "
                       "attribute)")  # fmt: skip
    paragraphs = _PARAGRAPH_BREAK.split(text)
    first = next(i for i, p in enumerate(paragraphs) if _PLACEHOLDERS.search(p))
    prompt = "\n\n".join(paragraphs[:first]).strip()
    body = "\n\n".join(paragraphs[first:]).strip()
    for number, alternatives in enumerate(blanks):
        body = body.replace(_placeholder(number), "[[" + "|".join(alternatives) + "]]")
    return _question(key, "cloze", prompt, {"text": body}, explanation)


def _numeric(
    key: str, prompt: str, numbers: list[_Number], other: str | None, explanation: str
) -> dict:
    main = next((n for n in numbers if n.weight == 1), None)
    if main is None:
        raise _Problem("no answer is worth 100%")
    for earlier in numbers[: numbers.index(main)]:
        if abs(earlier.value - main.value) <= earlier.tolerance + main.tolerance:
            raise _Problem(f"the answer {earlier.value:g}, worth {earlier.weight * 100:g}%, "
                           "comes before the right answer and overlaps it: put the right answer "
                           "first")  # fmt: skip
    fields: dict[str, Any] = {"answer": main.value}
    if main.tolerance:
        fields["tolerance"] = main.tolerance
    if main.feedback:
        fields["feedback"] = main.feedback
    alternatives = []
    for number in numbers:
        if number is main:
            continue
        alternative: dict[str, Any] = {"answer": number.value}
        if number.tolerance:
            alternative["tolerance"] = number.tolerance
        alternative["weight"] = number.weight
        if number.feedback:
            alternative["feedback"] = number.feedback
        alternatives.append(alternative)
    if alternatives:
        fields["alternatives"] = alternatives
    if other:
        fields["other_feedback"] = other
    return _question(key, "numeric", prompt, fields, explanation)


def _middle(low: float, high: float) -> tuple[float, float]:
    """A range's middle and half-width, in decimal: 3.141..3.142 is 3.1415 ± 0.0005."""
    low_, high_ = Decimal(repr(low)), Decimal(repr(high))
    return float((low_ + high_) / 2), float((high_ - low_) / 2)


def _matching(key: str, prompt: str, pairs: list[tuple[str, str]], explanation: str) -> dict:
    distractors = [right for left, right in pairs if not left]
    if distractors:
        raise _Problem(f"extra wrong answers in a matching question (an empty left side, as "
                       f"'= -> {distractors[0]}') are not supported")  # fmt: skip
    fields = {"pairs": [{"left": left, "right": right} for left, right in pairs]}
    return _question(key, "matching", prompt, fields, explanation)


def _checked(question: dict) -> dict:
    """`question`, if it has the shape of a lesson file's question (content.schema, issue 12's
    weights and feedback included); else _Problem."""
    try:
        _QUESTION_ADAPTER.validate_python(question)
    except ValidationError as exc:
        raise _Problem("; ".join(_schema_message(error) for error in exc.errors())) from None
    return question


def _schema_message(error: Any) -> str:
    """A schema error in the words content.loader uses: `choices[1]: …`."""
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"][1:])
    if error["type"] == "value_error" and "ctx" in error:
        message = str(error["ctx"]["error"])
    else:
        message = error["msg"][0].lower() + error["msg"][1:]
    return f"{where.lstrip('.') or 'the question'}: {message}"


def _refuse_placeholders(*texts: str) -> None:
    for text in texts:
        if found := _PLACEHOLDERS.search(text):
            raise _Problem(f"the character U+{ord(found.group()):05X} is not allowed")


# GIFT -------------------------------------------------------------------------------------------


def gift_to_questions(questions: list[GiftQuestion], filename: str) -> tuple[list[dict], list[str]]:
    """Our questions from `gift.parse`'s, and the problems as `file:line: message` (essays and
    descriptions among them: the caller need not call `gift.unsupported` too)."""
    dicts: list[dict] = []
    errors: list[str] = []
    keys = _Keys()
    for q in questions:
        where = f"{filename}:{q.line}"
        if q.kind in gift.UNSUPPORTED:
            errors.append(f"{where}: {gift.UNSUPPORTED[q.kind]}")
            continue
        try:
            key = keys.claim(q.title, q.text, q.line)
            dicts.append(_checked(_from_gift(q, key)))
        except _Problem as problem:
            errors.append(f"{where}: {problem}")
    return dicts, errors


def _from_gift(q: GiftQuestion, key: str) -> dict:
    fmt = q.text_format
    _refuse_placeholders(q.text)
    text = _markdown_from(q.text, fmt)
    prompt = _gapped(text)
    explanation = _markdown_from(q.general_feedback, fmt)

    def option(a: GiftAnswer) -> _Option:
        return _Option(_markdown_from(a.text, fmt), a.weight, _markdown_from(a.feedback, fmt))

    match q.kind:
        case "multiple_choice" | "missing_word":
            return _single_choice(key, prompt, [option(a) for a in q.answers], explanation)
        case "multiple_answers":
            return _multiple_response(key, prompt, [option(a) for a in q.answers], explanation)
        case "true_false":
            true, false = q.answers
            feedback = {"true": _markdown_from(true.feedback, fmt),
                        "false": _markdown_from(false.feedback, fmt)}  # fmt: skip
            return _true_false(key, prompt, true.correct, feedback, explanation)
        case "short_answer":
            options = [
                _Option(_typed(a.text, "the answer"), a.weight, _markdown_from(a.feedback, fmt))
                for a in q.answers
            ]
            if BLANK in text and _can_be_blank(options):
                cloze_text = text.replace(BLANK, _placeholder(0))
                return _cloze(key, cloze_text, [[o.text for o in options]], explanation)
            return _short_answer(key, prompt, options, explanation)
        case "numeric":
            numbers = []
            other = None
            for a in q.answers:
                if a.text == "*":
                    other = _markdown_from(a.feedback, fmt)
                    continue
                if a.value is None:
                    value, tolerance = _middle(a.min, a.max)
                else:
                    value, tolerance = a.value, a.tolerance or 0.0
                feedback = _markdown_from(a.feedback, fmt)
                numbers.append(_Number(value, tolerance, a.weight, feedback))
            return _numeric(key, prompt, numbers, other, explanation)
        case "matching":
            right_format = "markdown" if fmt == "markdown" else "plain"
            pairs = [
                (_markdown_from(a.left, fmt), _markdown_from(a.right, right_format))
                for a in q.answers
            ]
            return _matching(key, prompt, pairs, explanation)
    raise _Problem(f"{q.kind} questions are not supported")


def _present(question: dict, name: str) -> bool:
    value = question.get(name)
    return value not in (None, "", [], {}) and value != _DEFAULTS.get(name)


def _weight(entry: Any) -> float | None:
    weight = entry.get("weight") if isinstance(entry, dict) else None
    return None if weight is None else float(weight)


def _text(entry: Any) -> str:
    return entry["text"] if isinstance(entry, dict) else str(entry)


def _entry_feedback(entry: Any) -> str:
    return (entry.get("feedback") or "") if isinstance(entry, dict) else ""


def _choice_weights(question: dict) -> list[float]:
    """Each choice's weight as Moodle scores it: the authored weights, or for a multiple-response
    question without them, each right choice worth 1/n and each wrong one -1/n (n right ones),
    which is how we score it."""
    choices = question["choices"]
    if question["type"] == "single_choice":
        return [1.0 if _text(c) == question["answer"] else (_weight(c) or 0.0) for c in choices]
    answers = set(question["answers"])
    if all(_weight(c) is None for c in choices):
        share = round(1 / len(answers), _GRADE_DECIMALS)
        return [share if _text(c) in answers else -share for c in choices]
    return [_weight(c) or 0.0 for c in choices]


def questions_to_gift(
    questions: list[dict], lesson_key: str, course_key: str
) -> tuple[list[GiftQuestion], list[str]]:
    """GIFT questions for what GIFT can hold of `questions`, and messages naming the question key
    for what it cannot (a whole question, or some of its fields)."""
    exported: list[GiftQuestion] = []
    messages: list[str] = []
    category = f"{course_key}/{lesson_key}"
    for question in questions:
        key = question["key"]
        try:
            written, notes = _to_gift(question)
        except _Problem as problem:
            messages.append(f"question {key!r}: {problem}: left out")
            continue
        written.title, written.category = key, category
        try:
            gift.dump([written])
        except ValueError as exc:
            messages.append(f"question {key!r} cannot be written in GIFT ({exc}): left out")
            continue
        exported.append(written)
        dropped = [name for name in NOT_IN_GIFT if _present(question, name)]
        if dropped:
            notes.append(f"GIFT has no place for {', '.join(dropped)}: written without")
        messages.extend(f"question {key!r}: {note}" for note in notes)
    return exported, messages


def _true_false_feedback(question: dict) -> dict[str, str]:
    """The feedback by side; YAML reads an unquoted `true:` key as a boolean, so both count."""
    written = question.get("feedback") or {}
    return {
        side: written.get(side) or written.get(side == "true") or "" for side in ("true", "false")
    }


def _to_gift(d: dict) -> tuple[GiftQuestion, list[str]]:
    qtype = d["type"]
    notes: list[str] = []
    q = GiftQuestion("", d.get("prompt") or "", text_format="markdown",
                     general_feedback=d.get("explanation") or "")  # fmt: skip
    if qtype in ("single_choice", "multiple_response"):
        q.kind = "multiple_choice" if qtype == "single_choice" else "multiple_answers"
        right = {d["answer"]} if qtype == "single_choice" else set(d["answers"])
        for entry, weight in zip(d["choices"], _choice_weights(d), strict=True):
            text = _text(entry)
            correct = text in right if qtype == "single_choice" else weight > 0
            q.answers.append(GiftAnswer(text, weight, correct, _entry_feedback(entry)))
    elif qtype == "true_false":
        q.kind = "true_false"
        feedback = _true_false_feedback(d)
        truth = bool(d["answer"])
        q.answers = [
            GiftAnswer("true", float(truth), truth, feedback.get("true") or ""),
            GiftAnswer("false", float(not truth), not truth, feedback.get("false") or ""),
        ]
    elif qtype == "short_answer":
        q.kind = "short_answer"
        for entry in d["answers"]:
            weight = _weight(entry)
            weight = 1.0 if weight is None else weight
            q.answers.append(GiftAnswer(_untyped(_text(entry)), weight, weight == 1,
                                        _entry_feedback(entry)))  # fmt: skip
    elif qtype == "numeric":
        q.kind = "numeric"
        q.answers.append(GiftAnswer(weight=1.0, correct=True, feedback=d.get("feedback") or "",
                                    value=float(d["answer"]),
                                    tolerance=float(d.get("tolerance") or 0)))  # fmt: skip
        for other in d.get("alternatives") or []:
            weight = float(other["weight"])
            q.answers.append(GiftAnswer(weight=weight, correct=weight == 1,
                                        feedback=other.get("feedback") or "",
                                        value=float(other["answer"]),
                                        tolerance=float(other.get("tolerance") or 0)))  # fmt: skip
        if d.get("other_feedback"):
            q.answers.append(GiftAnswer("*", feedback=d["other_feedback"]))
    elif qtype == "matching":
        q.kind = "matching"
        q.answers = [GiftAnswer(weight=1.0, correct=True, left=p["left"], right=p["right"])
                     for p in d["pairs"]]  # fmt: skip
    elif qtype == "cloze":
        texts, blanks = cloze_parts(d["text"])
        if len(blanks) != 1:
            raise _Problem(f"GIFT holds a cloze of one blank, not {len(blanks)}")
        before, after = texts
        lead = f"{d['prompt']}\n\n" if d.get("prompt") else ""
        q.kind = "short_answer"
        q.answers = [GiftAnswer(_untyped(text), 1.0, True) for text in blanks[0]]
        if after.strip():
            q.text = lead + before + BLANK + after
        else:
            q.text = lead + before
            notes.append("its blank ends the text, so it is written as a short answer after "
                         "the text, and comes back as a short-answer question")  # fmt: skip
    else:
        raise _Problem(f"GIFT has no {qtype.replace('_', ' ')} questions")
    return q, notes


# Moodle XML -------------------------------------------------------------------------------------

_CLOZE_CODE = re.compile(r"\{(\d*):([A-Za-z_]+):((?:\\.|[^\\}])*)\}", re.DOTALL)
_CLOZE_SHORT = {"SHORTANSWER", "SA", "MW"}
_CLOZE_SHORT_CASE = {"SHORTANSWER_C", "SAC", "MWC"}
_CLOZE_ESCAPE = str.maketrans({c: "\\" + c for c in '\\}#~/"'})
_CLOZE_WEIGHT = re.compile(r"%(-?(?:\d+(?:\.\d*)?|\.\d+))%")


def xml_to_questions(
    questions: list[MoodleQuestion], filename: str
) -> tuple[list[dict], list[str]]:
    """Our questions from `moodlexml.parse`'s, and the problems as `file:line: message`
    (unsupported types among them)."""
    dicts: list[dict] = []
    errors: list[str] = []
    keys = _Keys()
    for q in questions:
        where = f"{filename}:{q.line}"
        try:
            if q.qtype not in moodlexml.TYPES:
                errors.extend(moodlexml.unsupported([q]))
                continue
            key = keys.claim(q.name, q.text.text, q.line)
            dicts.append(_checked(_with_extension(_from_xml(q, key), q)))
        except _Problem as problem:
            errors.append(f"{where}: {problem}")
    return dicts, errors


def _md(text: MoodleText) -> str:
    return _markdown_from(text.text, text.format)


def _from_xml(q: MoodleQuestion, key: str) -> dict:
    _refuse_placeholders(q.text.text)
    if q.qtype == "cloze":
        return _cloze_from_xml(q, key)
    prompt = _md(q.text)
    explanation = _md(q.general_feedback)

    def option(a: MoodleAnswer) -> _Option:
        return _Option(_markdown_from(a.text, a.format), a.fraction, _md(a.feedback))

    match q.qtype:
        case "multichoice":
            if len(q.answers) < 2:
                raise _Problem("a multiple-choice question needs at least 2 answers")
            options = [option(a) for a in q.answers]
            if q.single:
                return _single_choice(key, prompt, options, explanation)
            return _multiple_response(key, prompt, options, explanation)
        case "truefalse":
            sides = {a.text.strip().lower(): a for a in q.answers}
            if len(q.answers) != 2 or set(sides) != {"true", "false"}:
                raise _Problem("a true/false question has two answers, 'true' and 'false'")
            if sorted((sides["true"].fraction, sides["false"].fraction)) != [0, 1]:
                raise _Problem("one of a true/false question's answers is worth 100%, the other "
                               "0%")  # fmt: skip
            feedback = {side: _md(a.feedback) for side, a in sides.items()}
            return _true_false(key, prompt, sides["true"].fraction == 1, feedback, explanation)
        case "shortanswer":
            if not q.answers:
                raise _Problem("a short-answer question needs an answer")
            options = [
                _Option(_typed(a.text, "the answer"), a.fraction, _md(a.feedback))
                for a in q.answers
            ]
            question = _short_answer(key, prompt, options, explanation)
            if q.case_sensitive:
                question["case_sensitive"] = True
            return question
        case "numerical":
            numbers = []
            other = None
            for a in q.answers:
                if a.text == "*":
                    other = _md(a.feedback)
                    continue
                try:
                    value = float(a.text)
                except ValueError:
                    raise _Problem(f"the answer {a.text[:40]!r} is not a number") from None
                if not 0 <= a.fraction <= 1:
                    raise _Problem(f"the answer {a.text!r} is worth {a.fraction * 100:g}%; a "
                                   "numeric answer is worth from 0% to 100%")  # fmt: skip
                numbers.append(_Number(value, a.tolerance or 0.0, a.fraction, _md(a.feedback)))
            question = _numeric(key, prompt, numbers, other, explanation)
            if q.unit:
                question["unit"] = q.unit
            return question
        case "matching":
            pairs = []
            for pair in q.pairs:
                right_format = "markdown" if pair.left.format == "markdown" else "plain"
                pairs.append((_md(pair.left), _markdown_from(pair.right, right_format)))
            return _matching(key, prompt, pairs, explanation)
        case "ordering":
            ranked = sorted(q.answers, key=lambda a: a.fraction)  # stable: ties keep file order
            items = [_markdown_from(a.text, a.format) for a in ranked]
            return _question(key, "ordering", prompt, {"items": items}, explanation)
    raise _Problem(f"{q.qtype} questions are not supported")


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def _cloze_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def _cloze_blank(number: int, qtype: str, body: str, text_format: str) -> tuple[list[str], bool]:
    """A cloze code's accepted answers, and whether case counts in them."""
    what = f"blank {number}"
    qtype = qtype.upper()
    if qtype not in _CLOZE_SHORT | _CLOZE_SHORT_CASE:
        raise _Problem(f"{what}: {qtype} blanks are not supported (only SHORTANSWER ones)")
    alternatives = []
    for raw in _split_unescaped(body, "~"):
        raw = raw.strip()
        if raw.startswith("="):
            percent, raw = "100", raw[1:]
        elif found := _CLOZE_WEIGHT.match(raw):
            percent, raw = found.group(1), raw[found.end() :]
        else:
            percent = "0"
        answer, *feedback = _split_unescaped(raw, "#")
        answer = _cloze_unescape(answer).strip()
        if text_format == "html":
            answer = html.unescape(answer)
        if Decimal(percent) != 100:
            raise _Problem(f"{what}: the answer {answer!r} is worth {percent}%; here every "
                           "answer of a blank is right (no partial credit)")  # fmt: skip
        if feedback and feedback[0].strip():
            raise _Problem(f"{what}: feedback on a blank's answer is not supported")
        alternatives.append(_typed(answer, f"{what}: the answer"))
    options = [_Option(text, 1.0) for text in alternatives]
    if not alternatives or not all(alternatives) or not _can_be_blank(options):
        raise _Problem(f"{what}: an answer is empty or holds '|', '[[', ']]' or a line break")
    return alternatives, qtype in _CLOZE_SHORT_CASE


def _cloze_from_xml(q: MoodleQuestion, key: str) -> dict:
    blanks: list[list[str]] = []
    cases: set[bool] = set()

    def hold(found: re.Match) -> str:
        alternatives, case = _cloze_blank(len(blanks) + 1, found.group(2), found.group(3),
                                          q.text.format)  # fmt: skip
        blanks.append(alternatives)
        cases.add(case)
        return _placeholder(len(blanks) - 1)

    raw = _CLOZE_CODE.sub(hold, q.text.text)
    if not blanks:
        raise _Problem("the cloze question has no blank like {1:SHORTANSWER:=answer}")
    if len(cases) > 1:
        raise _Problem("some blanks are case-sensitive (SHORTANSWER_C) and some not: a cloze "
                       "question is one or the other")  # fmt: skip
    text = _markdown_from(raw, q.text.format)
    question = _cloze(key, text, blanks, _md(q.general_feedback))
    if cases == {True}:
        question["case_sensitive"] = True
    return question


def _with_extension(question: dict, q: MoodleQuestion) -> dict:
    """`question` with the fields that travelled in the <learnhall> element."""
    allowed = _COMMON_EXTENSION + _EXTENSION_FIELDS[question["type"]]
    for name, value in q.extension.items():
        if name not in allowed:
            raise _Problem(f"<learnhall> holds {name!r}, which a {question['type']} question "
                           "does not take")  # fmt: skip
        if name == "also_accept" and question["type"] == "cloze" and isinstance(value, dict):
            # Blank numbers: ASCII digits of a sensible length ("²".isdigit() is True too).
            value = {
                int(k) if str(k).isascii() and str(k).isdigit() and len(str(k)) < 6 else k: v
                for k, v in value.items()
            }
        question[name] = value
    return question


def questions_to_xml(
    questions: list[dict], lesson_key: str, course_key: str
) -> tuple[list[MoodleQuestion], list[str]]:
    """Moodle XML questions for `questions` (every type and field travels), and messages naming
    the question key of any that cannot."""
    exported: list[MoodleQuestion] = []
    messages: list[str] = []
    for question in questions:
        try:
            for text in _strings(question):
                if found := _NOT_XML.search(text):
                    raise _Problem(f"the character U+{ord(found.group()):04X} cannot be written "
                                   "in XML")  # fmt: skip
            written = _to_xml(question)
        except _Problem as problem:
            messages.append(f"question {question['key']!r}: {problem}: left out")
            continue
        written.category = f"{course_key}/{lesson_key}"
        exported.append(written)
    return exported, messages


# What XML 1.0 cannot hold, and a carriage return, which XML reads back as a line feed.
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")


def _strings(value: Any):
    """Every string inside a question dict."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _decimal(value: Any) -> str:
    return repr(float(value)).removesuffix(".0")


def _markdown(text: str) -> MoodleText:
    return MoodleText(text, "markdown")


def _to_xml(d: dict) -> MoodleQuestion:
    qtype = d["type"]
    q = MoodleQuestion("", name=d["key"], text=_markdown(d.get("prompt") or ""),
                       general_feedback=_markdown(d.get("explanation") or ""))  # fmt: skip
    for name in _COMMON_EXTENSION + _EXTENSION_FIELDS.get(qtype, ()):
        if _present(d, name):
            q.extension[name] = d[name]
    if qtype in ("single_choice", "multiple_response"):
        q.qtype, q.single = "multichoice", qtype == "single_choice"
        for entry, weight in zip(d["choices"], _choice_weights(d), strict=True):
            q.answers.append(MoodleAnswer(_text(entry), "markdown", weight,
                                          _markdown(_entry_feedback(entry))))  # fmt: skip
    elif qtype == "true_false":
        q.qtype = "truefalse"
        feedback = _true_false_feedback(d)
        truth = bool(d["answer"])
        for side, fraction in (("true", float(truth)), ("false", float(not truth))):
            q.answers.append(MoodleAnswer(side, "moodle", fraction,
                                          _markdown(feedback.get(side) or "")))  # fmt: skip
    elif qtype == "short_answer":
        q.qtype, q.case_sensitive = "shortanswer", bool(d.get("case_sensitive"))
        for entry in d["answers"]:
            weight = _weight(entry)
            q.answers.append(MoodleAnswer(_untyped(_text(entry)), "moodle",
                                          1.0 if weight is None else weight,
                                          _markdown(_entry_feedback(entry))))  # fmt: skip
    elif qtype == "numeric":
        q.qtype, q.unit = "numerical", d.get("unit") or ""
        numbers = [{"answer": d["answer"], "tolerance": d.get("tolerance"), "weight": 1,
                    "feedback": d.get("feedback")}, *(d.get("alternatives") or [])]  # fmt: skip
        for number in numbers:
            q.answers.append(MoodleAnswer(_decimal(number["answer"]), "moodle",
                                          float(number["weight"]),
                                          _markdown(number.get("feedback") or ""),
                                          float(number.get("tolerance") or 0)))  # fmt: skip
        if d.get("other_feedback"):
            q.answers.append(MoodleAnswer("*", "moodle", 0.0, _markdown(d["other_feedback"]),
                                          0.0))  # fmt: skip
    elif qtype == "matching":
        q.qtype = "matching"
        q.pairs = [MoodlePair(_markdown(p["left"]), p["right"]) for p in d["pairs"]]
    elif qtype == "ordering":
        q.qtype = "ordering"
        q.answers = [MoodleAnswer(item, "markdown", float(place))
                     for place, item in enumerate(d["items"], 1)]  # fmt: skip
    elif qtype == "cloze":
        q.qtype = "cloze"
        code = "SHORTANSWER_C" if d.get("case_sensitive") else "SHORTANSWER"
        texts, blanks = cloze_parts(d["text"])
        parts = [texts[0]]
        for alternatives, after in zip(blanks, texts[1:], strict=True):
            answers = "~".join("=" + _untyped(a).translate(_CLOZE_ESCAPE) for a in alternatives)
            parts += [f"{{1:{code}:{answers}}}", after]
        lead = f"{d['prompt']}\n\n" if d.get("prompt") else ""
        q.text = _markdown(lead + "".join(parts))
    else:
        raise _Problem(f"unknown question type {qtype!r}")
    return q
