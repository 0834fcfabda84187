"""GIFT, Moodle's text format for question banks: a reader and a writer, in plain Python.

    questions, errors = gift.parse(text, "bank.gift")  # errors: ["bank.gift:12: message", ...]
    problems = gift.unsupported(questions)              # essays and descriptions, with their lines
    text = gift.dump(questions)                         # parse(dump(qs))[0] == qs

`parse` never raises: every problem is a string `file:line: message` naming the line where the
offending question starts, and a question with a problem is left out of the list. The caller
refuses the file if there is any error, and reports `unsupported(questions)` the same way.
`dump` raises ValueError only for a question that GIFT cannot hold as it is (see `_unwritable`).

The representation:
- `GiftQuestion.kind` is one of KINDS. `multiple_choice` has a right answer marked `=`;
  `multiple_answers` has none, only weights (`~%50%`); `missing_word` is a multiple choice whose
  answer block sits inside the text ("Grant is {~buried =entombed} in Grant's tomb.").
- Wherever an answer block is followed by more text, `text` holds BLANK where the block was (for
  any kind: "Two plus two equals {=four =4}." is a short answer with a blank before the full stop).
- `GiftAnswer.weight` is a fraction (`%50%` is 0.5, from -1 to 1); `correct` says the answer is
  right: worth 100% in most kinds, any positive weight in `multiple_answers`.
- true_false has two answers, "true" and "false", each with the feedback shown to a student who
  picks it (GIFT's `{TRUE#feedback if wrong#feedback if right}`).
- numeric answers have `value` and `tolerance`, or a range `min`..`max`; `~#feedback`, the
  feedback for any other number, is a last answer with text "*".
- matching answers are pairs `left` -> `right`; a pair with an empty left is a distractor.
- Texts are as the student sees them (escapes undone, `\\n` a newline), stripped of surrounding
  whitespace; `text_format` is the question's; an answer or feedback can only repeat it.

Moodle's documentation ("GIFT format" on docs.moodle.org) is followed; where it is silent, what
Moodle's importer does (question/format/gift/format.php): the kind is told as Moodle tells it
(`{#` numeric, any `~` a choice, `=` with `->` matching, T/TRUE/F/FALSE, else short answer), text
before the first `~`/`=` is an answer, the general feedback follows the last `####`, only whole
lines starting with `//` are comments, a backslash before any other character stays. Where Moodle
would import nonsense without a word, or refuse the question only when saving it, this module
reports an error instead: an unclosed title, a second answer block, a weight that is not a number
from -100 to 100 (0 to 100 outside choices), `=%50%` in a choice, positive weights of a multiple
answers question that do not add up to 100%, no answer worth 100% in a short answer or numeric
question, a number that is not one, a `#` in a matching pair, an empty answer, or a text format
for an answer other than its question's. A `$CATEGORY:` line may be followed by a question
without a blank line between them.
"""

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

KINDS = ("multiple_choice", "multiple_answers", "true_false", "short_answer", "numeric",
         "matching", "missing_word", "description", "essay")  # fmt: skip
FORMATS = ("moodle", "html", "plain", "markdown")
UNSUPPORTED = {
    "essay": "essay questions are not supported",
    "description": "description items (text without an answer block) are not supported",
}
# Where the answer block was, in a text that goes on after it. Found in an author's file, the
# character (left by a pasted image in some editors) is refused.
BLANK = "\N{OBJECT REPLACEMENT CHARACTER}"

MAX_CHARS = 2 * 1024 * 1024  # as content.reading.MAX_FILE_BYTES
MAX_QUESTIONS = 10_000
MAX_ANSWERS = 1_000  # as content.schema.MAX_ITEMS
_MAX_NUMBER_CHARS = 400

# PHP's trim(), which Moodle applies to every part.
_WS = " \t\n\r\0\x0b"
# While a question is taken apart, each escaped character stands as a Unicode noncharacter
# (reserved for a program's internal use), as Moodle uses its "&&058;" placeholders.
_PLACEHOLDER = {"\\": "\ufdd0", "~": "\ufdd1", "=": "\ufdd2", "#": "\ufdd3", "{": "\ufdd4",
                "}": "\ufdd5", ":": "\ufdd6", "n": "\n"}  # fmt: skip
_ESCAPED = re.compile(r"\\([\\~=#{}:n])")
_UNESCAPE = str.maketrans({v: k for k, v in _PLACEHOLDER.items() if k != "n"})
_RESERVED = re.compile("[\ufdd0-\ufdef\ufffc]")
_ESCAPE = str.maketrans({"\\": "\\\\", "~": "\\~", "=": "\\=", "#": "\\#", "{": "\\{",
                         "}": "\\}", ":": "\\:", "\n": "\\n", "\r": ""})  # fmt: skip
_FORMAT_PREFIX = re.compile(r"\[(moodle|html|plain|markdown)\]")
_WEIGHT = re.compile(r"%([^%]*)%")
_PERCENT = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_CHOICE_MARKER = re.compile(r"([~=])")


@dataclass
class GiftAnswer:
    text: str = ""
    weight: float = 0.0
    correct: bool = False
    feedback: str = ""
    value: float | None = None
    tolerance: float | None = None
    min: float | None = None
    max: float | None = None
    left: str = ""
    right: str = ""


@dataclass
class GiftQuestion:
    kind: str
    text: str
    title: str = ""
    text_format: str = "moodle"
    answers: list[GiftAnswer] = field(default_factory=list)
    general_feedback: str = ""
    category: str = ""
    line: int = field(default=0, compare=False)
    filename: str = field(default="<gift>", compare=False)


class _Problem(Exception):
    pass


def _quote(text: str, limit: int = 40) -> str:
    text = text.translate(_UNESCAPE)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# Reading -----------------------------------------------------------------------------------------


def parse(text: str, filename: str = "<gift>") -> tuple[list[GiftQuestion], list[str]]:
    """The questions of a GIFT file, and its problems as `file:line: message`; never raises."""
    if len(text) > MAX_CHARS:
        return [], [f"{filename}:1: the file has {len(text):,} characters; a GIFT file may have "
                    f"at most {MAX_CHARS:,}"]  # fmt: skip
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions: list[GiftQuestion] = []
    errors: list[str] = []
    category = ""
    count = 0
    for start, lines in _blocks(text.split("\n")):
        kept = [
            (number, line)
            for number, line in enumerate(lines, start)
            if not line.strip(_WS).startswith("//")
        ]
        if kept and kept[0][1].strip(_WS).startswith("$CATEGORY:"):
            number, line = kept.pop(0)
            path = line.strip(_WS)[len("$CATEGORY:") :].strip(_WS)
            if path:
                category = path
            else:
                errors.append(f"{filename}:{number}: the $CATEGORY line names no category")
        if not kept:
            continue
        count += 1
        line = kept[0][0]
        if count > MAX_QUESTIONS:
            errors.append(f"{filename}:{line}: more than {MAX_QUESTIONS:,} questions in one file; "
                          "split it into several")  # fmt: skip
            break
        try:
            question = _question("\n".join(text for _, text in kept))
        except _Problem as problem:
            errors.append(f"{filename}:{line}: {problem}")
            continue
        question.category, question.line, question.filename = category, line, filename
        questions.append(question)
    return questions, errors


def unsupported(questions: list[GiftQuestion]) -> list[str]:
    """`file:line: message` for each question of a kind the app cannot hold."""
    return [
        f"{q.filename}:{q.line}: {UNSUPPORTED[q.kind]}" for q in questions if q.kind in UNSUPPORTED
    ]


def _blocks(lines: list[str]):
    """(first line number, lines) of each run of lines that are not blank."""
    block: list[str] = []
    start = 1
    for number, line in enumerate(lines, 1):
        if line.strip(_WS):
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _question(raw: str) -> GiftQuestion:
    reserved = _RESERVED.search(raw)
    if reserved:
        why = " (it marks a blank here)" if reserved.group() == BLANK else ""
        raise _Problem(f"the character U+{ord(reserved.group()):04X} is not allowed{why}")
    text = _ESCAPED.sub(lambda m: _PLACEHOLDER[m.group(1)], raw.strip(_WS))

    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end == -1:
            raise _Problem("the title is not closed by '::'")
        title = text[2:end].translate(_UNESCAPE).strip(_WS)
        text = text[end + 2 :].strip(_WS)

    opening, closing = text.find("{"), text.find("}")
    if opening == -1 and closing == -1:
        text_format, body = _with_format(text)
        return GiftQuestion("description", _plain(body), title, text_format)
    if closing == -1:
        raise _Problem("unbalanced braces: '{' without a closing '}' (write a literal { as \\{)")
    if opening == -1 or closing < opening:
        raise _Problem("unbalanced braces: '}' without an opening '{' (write a literal } as \\})")
    if "{" in text[opening + 1 : closing]:
        raise _Problem("unbalanced braces: a '{' inside the answer block")
    after = text[closing + 1 :]
    if "{" in after or "}" in after:
        raise _Problem("more than one answer block (write a literal brace as \\{ or \\})")
    question_text = text[:opening] + (BLANK + after if after else "")
    text_format, question_text = _with_format(question_text)
    question = GiftQuestion("essay", _plain(question_text), title, text_format)

    block = text[opening + 1 : closing].strip(_WS)
    general = block.rfind("####")
    if general != -1:
        question.general_feedback = _part(block[general + 4 :], text_format, "the general feedback")
        block = block[:general].strip(_WS)

    if not block:
        return question
    if block[0] == "#":
        question.kind = "numeric"
        question.answers = _numeric(block[1:], text_format)
    elif "~" in block:
        question.kind, question.answers = _choices(block, text_format)
        if question.kind == "multiple_choice" and BLANK in question.text:
            question.kind = "missing_word"
    elif "=" in block and "->" in block:
        question.kind = "matching"
        question.answers = _matching(block, text_format)
    elif block.split("#", 1)[0].strip(_WS) in ("T", "TRUE", "F", "FALSE"):
        question.kind = "true_false"
        question.answers = _true_false(block, text_format)
    else:
        question.kind = "short_answer"
        question.answers = _short_answers(block, text_format)
    return question


def _with_format(text: str) -> tuple[str, str]:
    found = _FORMAT_PREFIX.match(text)
    if found is None:
        return "moodle", text
    return found.group(1), text[found.end() :]


def _plain(text: str) -> str:
    return text.translate(_UNESCAPE).strip(_WS)


def _part(text: str, text_format: str, what: str) -> str:
    """An answer's or a feedback's text, which may repeat the question's [format], no other."""
    text = text.strip(_WS)
    found = _FORMAT_PREFIX.match(text)
    if found:
        if found.group(1) != text_format:
            raise _Problem(f"{what} is in [{found.group(1)}] but the question is in "
                           f"[{text_format}]: a question has one text format")  # fmt: skip
        text = text[found.end() :]
    return _plain(text)


def _items(block: str, separator: str, implicit: str) -> list[tuple[str, str]]:
    """(marker, text) of each answer; text before the first marker is an answer, as in Moodle."""
    if separator == "~=":
        pieces = _CHOICE_MARKER.split(block)
        items = list(zip(pieces[1::2], pieces[2::2], strict=True))
    else:
        pieces = block.split(separator)
        items = [(separator, piece) for piece in pieces[1:]]
    if pieces[0].strip(_WS):
        items.insert(0, (implicit, pieces[0]))
    if len(items) > MAX_ANSWERS:
        raise _Problem(f"more than {MAX_ANSWERS:,} answers")
    return items


def _weight(text: str, what: str, lowest: int) -> tuple[Decimal | None, str]:
    """A leading `%n%` as percent, and the rest of the answer."""
    text = text.strip(_WS)
    found = _WEIGHT.match(text)
    if found is None:
        return None, text
    written = found.group(1).translate(_UNESCAPE)
    if len(written) > _MAX_NUMBER_CHARS or not _PERCENT.fullmatch(written):
        raise _Problem(f"{what}: bad weight {_quote('%' + written + '%')}: a weight is a number "
                       "of percent between % signs, like %50%")  # fmt: skip
    percent = Decimal(written)
    if not lowest <= percent <= 100:
        raise _Problem(f"{what}: bad weight %{written}%: a weight here is from {lowest}% to 100%")
    return percent, text[found.end() :]


def _fraction(percent: Decimal) -> float:
    return float(percent / 100)


def _with_feedback(text: str, text_format: str, what: str) -> tuple[str, str]:
    answer, _, feedback = text.partition("#")
    return _part(answer, text_format, what), _part(feedback, text_format, f"{what}'s feedback")


def _choices(block: str, text_format: str) -> tuple[str, list[GiftAnswer]]:
    items = _items(block, "~=", "~")
    answers, percents = [], []
    for number, (marker, raw) in enumerate(items, 1):
        what = f"answer {number}"
        percent, raw = _weight(raw, what, -100)
        if marker == "=":
            if percent is not None and percent != 100:
                raise _Problem(f"{what}: a right answer (=) is worth 100%; give partial credit "
                               f"with ~%{percent}%")  # fmt: skip
            percent = Decimal(100)
        percent = percent if percent is not None else Decimal(0)
        text, feedback = _with_feedback(raw, text_format, what)
        if not text:
            raise _Problem(f"{what} is empty")
        answers.append(GiftAnswer(text=text, weight=_fraction(percent), feedback=feedback))
        percents.append(percent)
    if len(answers) < 2:
        raise _Problem("a multiple-choice question needs at least 2 answers")
    if "=" in block:
        for answer in answers:
            answer.correct = answer.weight == 1
        return "multiple_choice", answers
    positive = sum(p for p in percents if p > 0)
    if not positive:
        raise _Problem("no right answer: mark one with = or give the right ones weights like "
                       "~%50%")  # fmt: skip
    if abs(positive - 100) >= Decimal("0.5"):
        raise _Problem(f"the positive weights add up to {positive.normalize():f}%, not 100%")
    for answer in answers:
        answer.correct = answer.weight > 0
    return "multiple_answers", answers


def _short_answers(block: str, text_format: str) -> list[GiftAnswer]:
    answers = []
    for number, (_, raw) in enumerate(_items(block, "=", "="), 1):
        what = f"answer {number}"
        percent, raw = _weight(raw, what, 0)
        fraction = 1.0 if percent is None else _fraction(percent)
        text, feedback = _with_feedback(raw, text_format, what)
        if not text:
            raise _Problem(f"{what} is empty")
        answers.append(GiftAnswer(text=text, weight=fraction, correct=fraction == 1,
                                  feedback=feedback))  # fmt: skip
    if not any(answer.correct for answer in answers):
        raise _Problem("no right answer: no answer is worth 100%")
    return answers


def _true_false(block: str, text_format: str) -> list[GiftAnswer]:
    parts = [*block.split("#", 2), "", ""]
    true = parts[0].strip(_WS) in ("T", "TRUE")
    wrong = _part(parts[1], text_format, "the feedback for a wrong answer")
    right = _part(parts[2], text_format, "the feedback for a right answer")
    return [
        GiftAnswer("true", 1.0 if true else 0.0, true, right if true else wrong),
        GiftAnswer("false", 0.0 if true else 1.0, not true, wrong if true else right),
    ]


def _matching(block: str, text_format: str) -> list[GiftAnswer]:
    answers = []
    for number, (_, raw) in enumerate(_items(block, "=", "="), 1):
        what = f"pair {number}"
        if "#" in raw:
            raise _Problem(f"{what}: a matching pair has no feedback (write a literal # as \\#)")
        arrow = raw.find("->")
        if arrow == -1:
            raise _Problem(f"{what} has no '->' between its two sides")
        left = _part(raw[:arrow], text_format, what)
        right = _plain(raw[arrow + 2 :])
        if not right:
            raise _Problem(f"{what} has nothing after '->'")
        answers.append(GiftAnswer(weight=1.0, correct=True, left=left, right=right))
    if sum(1 for answer in answers if answer.left) < 2:
        raise _Problem("a matching question needs at least 2 pairs")
    return answers


def _number(text: str, what: str) -> float:
    text = text.strip(_WS)
    if len(text) > _MAX_NUMBER_CHARS or not _NUMBER.fullmatch(text):
        raise _Problem(f"{what}: {_quote(text)} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise _Problem(f"{what}: {_quote(text)} is too large")
    return value


def _numeric(block: str, text_format: str) -> list[GiftAnswer]:
    other = None
    tilde = block.find("~")
    if tilde != -1:
        rest = block[tilde + 1 :]
        before, _, feedback = rest.partition("#")
        if before.strip(_WS):
            raise _Problem("after '~' a numeric question takes only the feedback for any other "
                           "number: ~#feedback")  # fmt: skip
        other = GiftAnswer("*", feedback=_part(feedback, text_format, "the feedback after '~'"))
        block = block[:tilde]
    answers = []
    for number, (_, raw) in enumerate(_items(block, "=", "="), 1):
        what = f"answer {number}"
        percent, raw = _weight(raw, what, 0)
        fraction = 1.0 if percent is None else _fraction(percent)
        written, _, feedback = raw.partition("#")
        feedback = _part(feedback, text_format, f"{what}'s feedback")
        answer = GiftAnswer(weight=fraction, correct=fraction == 1, feedback=feedback)
        written = written.strip(_WS)
        if written.find("..") > 0:
            low, _, high = written.partition("..")
            answer.min, answer.max = _number(low, what), _number(high, what)
            if answer.min > answer.max:
                raise _Problem(f"{what}: the range {_quote(written)} ends below its start")
        elif written.find(":") > 0:
            value, _, tolerance = written.partition(":")
            answer.value, answer.tolerance = _number(value, what), _number(tolerance, what)
            if answer.tolerance < 0:
                raise _Problem(f"{what}: the tolerance {_quote(tolerance.strip(_WS))} is "
                               "negative")  # fmt: skip
        else:
            answer.value, answer.tolerance = _number(written, what), 0.0
        answers.append(answer)
    if not answers:
        raise _Problem("a numeric question needs at least one answer, like {#1822}")
    if not any(answer.correct for answer in answers):
        raise _Problem("no right answer: no answer is worth 100%")
    if other is not None:
        answers.append(other)
    return answers


# Writing -----------------------------------------------------------------------------------------


def dump(questions: list[GiftQuestion]) -> str:
    """GIFT that `parse` reads back to equal questions; ValueError for one GIFT cannot hold."""
    written = []
    category = ""
    for number, question in enumerate(questions, 1):
        problem = _unwritable(question, category)
        if problem:
            label = f" ({question.title})" if question.title else ""
            raise ValueError(f"question {number}{label}: {problem}")
        if question.category != category:
            category = question.category
            written.append(f"$CATEGORY: {category}")
        written.append(_write(question))
    return "".join(part + "\n\n" for part in written)


def _texts(question: GiftQuestion) -> list[str]:
    """Every text but the question's own."""
    texts = [question.title, question.general_feedback, question.category]
    for answer in question.answers:
        texts += [answer.text, answer.feedback, answer.left, answer.right]
    return texts


def _unwritable(q: GiftQuestion, category: str) -> str | None:
    """Why `q` would not read back as itself, or None."""
    if q.kind not in KINDS:
        return f"unknown kind {q.kind!r}"
    if q.text_format not in FORMATS:
        return f"unknown text format {q.text_format!r}"
    if "\n" in q.category or "\r" in q.category or q.category != q.category.strip(_WS):
        return "a category is one line without surrounding spaces"
    if category and not q.category:
        return "a question without a category cannot follow one with a category"
    if any(_RESERVED.search(text) for text in _texts(q)) or _RESERVED.search(
        q.text.replace(BLANK, "")
    ):
        return "a text holds a reserved character (U+FDD0 to U+FDEF, or BLANK outside the text)"
    blanks = q.text.count(BLANK)
    if blanks > 1 or (q.kind == "description" and blanks):
        return "too many blanks"
    if q.kind == "missing_word" and not blanks:
        return "a missing word has a blank"
    if blanks and q.text.strip(_WS).endswith(BLANK):
        return "the blank cannot end the text"
    if q.kind in ("description", "essay") and q.answers:
        return f"{q.kind} questions have no answers"
    if q.kind == "description" and (q.general_feedback or not (q.text or q.title)):
        return "a description has a text or a title, and no general feedback"
    if q.kind in ("multiple_choice", "missing_word") and all(a.weight == 1 for a in q.answers):
        return "a multiple choice needs an answer that is not right (else it is a short answer)"
    if q.kind == "short_answer" and any("->" in a.text or "->" in a.feedback for a in q.answers):
        return "'->' in a short answer or its feedback would make it a matching question"
    if q.kind == "matching" and any("->" in a.left for a in q.answers):
        return "the left side of a pair cannot hold '->'"
    if q.kind == "true_false" and [(a.text, a.correct) for a in q.answers] not in (
        [("true", True), ("false", False)],
        [("true", False), ("false", True)],
    ):
        return "a true/false question has the answers 'true' and 'false', one of them correct"
    if q.kind == "numeric":
        for index, a in enumerate(q.answers, 1):
            if a.text == "*" and index != len(q.answers):
                return "the answer for any other number ('*') comes last"
            if a.text != "*" and (a.value is None) == (a.min is None or a.max is None):
                return "a numeric answer has a value and tolerance, or a range min..max"
    return None


def _escape(text: str) -> str:
    return text.translate(_ESCAPE)


def _guarded(text: str, text_format: str) -> str:
    """An escaped text that reads back as itself even if it starts like a [format]."""
    text = _escape(text)
    return f"[{text_format}]{text}" if _FORMAT_PREFIX.match(text) else text


def _percent(fraction: float) -> str:
    return format((Decimal(repr(fraction)) * 100).normalize(), "f")


def _number_text(value: float | None) -> str:
    text = repr(float(value or 0.0))
    return text.removesuffix(".0")


def _marker(weight: float, text: str, right: str | None, other: str) -> str:
    """`=`, `~` or `~%50%` before an answer (its text and feedback, as written), with an
    explicit weight if the answer starts like one."""
    looks_weighted = _WEIGHT.match(text) is not None
    if right is not None and weight == 1:
        return right + ("%100%" if looks_weighted else "")
    if weight == 0 and other == "~":
        return "~" + ("%0%" if looks_weighted else "")
    return f"{other}%{_percent(weight)}%"


def _feedback(text: str, text_format: str) -> str:
    return "#" + _guarded(text, text_format) if text else ""


def _write(q: GiftQuestion) -> str:
    fmt = q.text_format
    before, blank, after = q.text.partition(BLANK)
    head = f"::{_escape(q.title)}::" if q.title else ""
    if fmt != "moodle" or _FORMAT_PREFIX.match(before):
        head += f"[{fmt}]"
    elif not head and before.startswith("//"):
        head = "::::"  # an empty title, so that the text does not read as a comment
    head += _escape(before)
    tail = _escape(after) if blank else ""
    general = f"####{_guarded(q.general_feedback, fmt)}" if q.general_feedback else ""
    if q.kind == "description":
        return head
    if q.kind == "essay":
        return f"{head}{{{general}}}{tail}"
    if q.kind == "true_false":
        true, false = q.answers
        right, wrong = (true, false) if true.correct else (false, true)
        block = "TRUE" if true.correct else "FALSE"
        if wrong.feedback or right.feedback:
            block += _feedback(wrong.feedback, fmt) or "#"
        block += _feedback(right.feedback, fmt)
        return f"{head}{{{block}{general}}}{tail}"

    lines = []
    for a in q.answers:
        if q.kind == "matching":
            lines.append(f"={_guarded(a.left, fmt)} -> {_escape(a.right)}")
            continue
        if q.kind == "numeric" and a.text == "*":
            lines.append("~" + _feedback(a.feedback, fmt))
            continue
        if q.kind == "numeric":
            if a.value is not None:
                number = _number_text(a.value)
                if a.tolerance:
                    number += ":" + _number_text(a.tolerance)
            else:
                number = f"{_number_text(a.min)}..{_number_text(a.max)}"
            lines.append(_marker(a.weight, "", "=", "=") + number + _feedback(a.feedback, fmt))
            continue
        text = _guarded(a.text, fmt) + _feedback(a.feedback, fmt)
        if q.kind == "short_answer":
            marker = _marker(a.weight, text, "=", "=")
        elif q.kind == "multiple_answers":
            marker = _marker(a.weight, text, None, "~")
        else:
            marker = _marker(a.weight, text, "=", "~")
        lines.append(marker + text)
    if q.kind == "numeric" and len(lines) == 1 and not general and lines[0].startswith("="):
        return head + "{#" + lines[0][1:] + "}" + tail  # {#1822:5}, as the documentation writes it
    if general:
        lines.append(general)
    opening = "{#" if q.kind == "numeric" else "{"
    return head + opening + "\n" + "".join(f"\t{line}\n" for line in lines) + "}" + tail
