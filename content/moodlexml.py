"""Moodle XML, the question bank format Moodle exports and imports: a reader and a writer.

    questions, errors = moodlexml.parse(data, "bank.xml")  # errors: ["bank.xml:12: message", ...]
    problems = moodlexml.unsupported(questions)              # essays, descriptions, other types
    data = moodlexml.dump(questions)                         # parse(dump(qs))[0] == qs

The same shape as `content.gift`: `parse` never raises, names the line of the offending
`<question>` element, and leaves a question with a problem out of the list; the caller refuses the
file if there is any error. `content.convert` turns the questions into lesson-file questions and
back.

The representation stays close to the XML (docs.moodle.org, "Moodle XML format"; Moodle's
question/format/xml/format.php): every text keeps the format it was written in (`html`, `moodle`,
`plain`, `markdown`), fractions are fractions (`fraction="50"` is 0.5), and a question keeps its
Moodle type name (`multichoice`, `truefalse`, `shortanswer`, `numerical`, `matching`, `ordering`
from the qtype_ordering plugin, and `cloze`, which is how Moodle's XML names its multianswer
type). Any other type is kept with its name and line only, so that `unsupported` can report it.

The parser is defusedxml's: a file that declares a DTD, an entity or an external reference is
refused before any of it is expanded, so a "billion laughs" file is an error, not a hang. Expat
gives each element the line it starts on.

Our own fields that Moodle has no element for (a question's citations, level, flashcard flag, …)
travel in a `<learnhall>` element holding JSON; Moodle's importer ignores elements it does not
know, and `content.convert` checks what the JSON holds.
"""

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

MAX_BYTES = 10 * 1024 * 1024  # Moodle XML is verbose; still a bound on what one file may cost
MAX_QUESTIONS = 10_000
MAX_ANSWERS = 1_000

# Moodle's name for each text format, and ours (as in content.gift.FORMATS).
FORMAT_NAMES = {"html": "html", "moodle_auto_format": "moodle", "plain_text": "plain",
                "markdown": "markdown"}  # fmt: skip
_WRITTEN_FORMATS = {ours: moodle for moodle, ours in FORMAT_NAMES.items()}
TYPES = ("multichoice", "truefalse", "shortanswer", "numerical", "matching", "ordering", "cloze")
_TYPE_ALIASES = {"multianswer": "cloze"}
UNSUPPORTED = {
    "essay": "essay questions are not supported",
    "description": "description items (text without an answer) are not supported",
}


@dataclass
class MoodleText:
    text: str = ""
    format: str = "html"


@dataclass
class MoodleAnswer:
    text: str = ""
    format: str = "moodle"
    fraction: float = 0.0  # -1 to 1; in an ordering question, the item's place (1, 2, …)
    feedback: MoodleText = field(default_factory=MoodleText)
    tolerance: float | None = None  # numerical answers only


@dataclass
class MoodlePair:
    """A matching question's subquestion: its text, and the answer it is matched to."""

    left: MoodleText = field(default_factory=MoodleText)
    right: str = ""


@dataclass
class MoodleQuestion:
    qtype: str
    name: str = ""
    text: MoodleText = field(default_factory=MoodleText)
    general_feedback: MoodleText = field(default_factory=MoodleText)
    answers: list[MoodleAnswer] = field(default_factory=list)
    pairs: list[MoodlePair] = field(default_factory=list)
    single: bool = True  # multichoice: one answer (radio buttons) or several (check boxes)
    case_sensitive: bool = False  # shortanswer's <usecase>
    unit: str = ""  # numerical: the one unit, of multiplier 1
    extension: dict = field(default_factory=dict)  # the <learnhall> element's JSON
    category: str = ""
    line: int = field(default=0, compare=False)
    filename: str = field(default="<xml>", compare=False)


_REFUSED = {
    "DTDForbidden": "a document type declaration (<!DOCTYPE …>) is not allowed",
    "EntitiesForbidden": "entity declarations are not allowed",
    "ExternalReferenceForbidden": "external references are not allowed",
}


class _Problem(Exception):
    pass


# Reading -----------------------------------------------------------------------------------------


class _LineParser(DefusedXMLParser):
    """defusedxml's parser (no DTD, no entities, no external references), recording on each
    element the line where it starts."""

    def __init__(self) -> None:
        super().__init__(forbid_dtd=True, forbid_entities=True, forbid_external=True)

    def _start(self, tag, attr_list):  # expat's StartElementHandler, as the base class sets it
        element = super()._start(tag, attr_list)
        element.line = self.parser.CurrentLineNumber
        return element


def parse(data: bytes, filename: str = "<xml>") -> tuple[list[MoodleQuestion], list[str]]:
    """The questions of a Moodle XML file, and its problems as `file:line: message`."""
    if len(data) > MAX_BYTES:
        return [], [f"{filename}:1: the file has {len(data):,} bytes; a Moodle XML file may have "
                    f"at most {MAX_BYTES:,}"]  # fmt: skip
    parser = _LineParser()
    try:
        parser.feed(data)
        root = parser.close()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 1
        return [], [f"{filename}:{line}: not well-formed XML: {_expat_reason(exc)}"]
    except DefusedXmlException as exc:
        line = parser.parser.CurrentLineNumber or 1
        return [], [f"{filename}:{line}: {_REFUSED.get(type(exc).__name__, 'not allowed')} in a "
                    "question file"]  # fmt: skip
    if root.tag != "quiz":
        return [], [f"{filename}:{_line(root)}: the root element is <{root.tag}>, not <quiz>"]

    questions: list[MoodleQuestion] = []
    errors: list[str] = []
    category = ""
    count = 0
    for element in root:
        if element.tag != "question":
            errors.append(f"{filename}:{_line(element)}: <{element.tag}> where a <question> "
                          "belongs")  # fmt: skip
            continue
        qtype = element.get("type", "")
        if qtype == "category":
            category = _text_of(element.find("category"))
            if not category:
                errors.append(f"{filename}:{_line(element)}: the category names no category")
            continue
        count += 1
        if count > MAX_QUESTIONS:
            errors.append(f"{filename}:{_line(element)}: more than {MAX_QUESTIONS:,} questions "
                          "in one file; split it into several")  # fmt: skip
            break
        try:
            question = _question(element, _TYPE_ALIASES.get(qtype, qtype))
        except _Problem as problem:
            errors.append(f"{filename}:{_line(element)}: {problem}")
            continue
        question.category, question.line, question.filename = category, _line(element), filename
        questions.append(question)
    return questions, errors


def unsupported(questions: list[MoodleQuestion]) -> list[str]:
    """`file:line: message` for each question of a type the app cannot hold."""
    return [
        f"{q.filename}:{q.line}: "
        + UNSUPPORTED.get(q.qtype, f"questions of type {q.qtype!r} are not supported")
        for q in questions
        if q.qtype not in TYPES
    ]


def _expat_reason(exc: ET.ParseError) -> str:
    return str(exc).split(": line ")[0]


def _line(element: ET.Element) -> int:
    return getattr(element, "line", 1)


def _text_of(element: ET.Element | None) -> str:
    """The text of an element's <text> child (Moodle's way of holding every text)."""
    if element is None:
        return ""
    text = element.find("text")
    return (text.text or "").strip() if text is not None else ""


def _format(element: ET.Element, default: str) -> str:
    written = element.get("format")
    if written is None:
        return default
    if written not in FORMAT_NAMES:
        known = ", ".join(FORMAT_NAMES)
        raise _Problem(f"unknown text format {written!r} on <{element.tag}> (known: {known})")
    return FORMAT_NAMES[written]


def _moodle_text(element: ET.Element | None, default: str) -> MoodleText:
    if element is None:
        return MoodleText("", default)
    return MoodleText(_text_of(element), _format(element, default))


def _child(element: ET.Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _number(written: str, what: str) -> float:
    try:
        value = float(written)
    except ValueError:
        raise _Problem(f"{what}: {written[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise _Problem(f"{what}: {written[:40]!r} is not a finite number")
    return value


def _flag(element: ET.Element, tag: str, default: bool) -> bool:
    written = _child(element, tag).lower()
    if not written:
        return default
    if written in ("true", "1"):
        return True
    if written in ("false", "0"):
        return False
    raise _Problem(f"<{tag}> is {written[:20]!r}, not true or false")


def _question(element: ET.Element, qtype: str) -> MoodleQuestion:
    question = MoodleQuestion(qtype, name=_text_of(element.find("name")))
    if qtype not in TYPES:
        return question
    question.text = _moodle_text(element.find("questiontext"), "moodle")
    if element.find("questiontext") is None:
        raise _Problem("the question has no <questiontext>")
    if element.find("questiontext/file") is not None or "@@PLUGINFILE@@" in question.text.text:
        raise _Problem("embedded files (images, attachments) are not supported")
    default = question.text.format
    question.general_feedback = _moodle_text(element.find("generalfeedback"), default)
    extension = element.find("learnhall")
    if extension is not None:
        try:
            question.extension = json.loads(_text_of(extension) or "{}")
        except ValueError as exc:
            raise _Problem(f"<learnhall> does not hold JSON: {exc}") from None
        except RecursionError:
            raise _Problem("<learnhall> holds JSON nested too deeply") from None
        if not isinstance(question.extension, dict):
            raise _Problem("<learnhall> holds JSON that is not an object")
    answers = element.findall("answer")
    if len(answers) > MAX_ANSWERS:
        raise _Problem(f"more than {MAX_ANSWERS:,} answers")
    for number, answer in enumerate(answers, 1):
        question.answers.append(_answer(answer, qtype, default, f"answer {number}"))
    if qtype == "multichoice":
        question.single = _flag(element, "single", True)
    if qtype == "shortanswer":
        question.case_sensitive = _flag(element, "usecase", False)
    if qtype == "numerical":
        question.unit = _unit(element)
    if qtype == "matching":
        subquestions = element.findall("subquestion")
        if len(subquestions) > MAX_ANSWERS:
            raise _Problem(f"more than {MAX_ANSWERS:,} subquestions")
        for sub in subquestions:
            right = sub.find("answer")
            pair = MoodlePair(_moodle_text(sub, default), _text_of(right))
            question.pairs.append(pair)
    if qtype == "ordering":
        _check_ordering(element, len(question.answers))
    return question


def _answer(element: ET.Element, qtype: str, default: str, what: str) -> MoodleAnswer:
    written = element.get("fraction", "0")
    fraction = _number(written, f"{what}: the fraction")
    if qtype != "ordering":
        if not -100 <= fraction <= 100:
            raise _Problem(f"{what}: the fraction {fraction:g} is not from -100 to 100")
        # In decimal, so that fraction="30" is 0.3 exactly as a float can be.
        fraction = float(Decimal(written.strip()) / 100)
    answer = MoodleAnswer(
        text=_text_of(element),
        format=_format(element, default),
        fraction=fraction,
        feedback=_moodle_text(element.find("feedback"), default),
    )
    if qtype == "numerical":
        tolerance = _child(element, "tolerance")
        answer.tolerance = _number(tolerance, f"{what}: the tolerance") if tolerance else 0.0
        if answer.tolerance < 0:
            raise _Problem(f"{what}: the tolerance {answer.tolerance:g} is negative")
    return answer


def _unit(element: ET.Element) -> str:
    """The one unit of a numerical question; units that convert (multipliers) are refused."""
    units = element.findall("units/unit")
    if not units:
        return ""
    if len(units) > 1:
        raise _Problem("a numerical question with several units is not supported (one unit, "
                       "shown after the answer box, is)")  # fmt: skip
    multiplier = _child(units[0], "multiplier") or "1"
    if _number(multiplier, "the unit's multiplier") != 1:
        raise _Problem("a unit with a multiplier other than 1 is not supported")
    return _child(units[0], "unit_name")


def _check_ordering(element: ET.Element, count: int) -> None:
    select = _child(element, "selecttype").upper() or "ALL"
    selected = _child(element, "selectcount") or "0"
    if select != "ALL" and selected not in ("0", str(count)):
        raise _Problem("an ordering question that shows only some of its items is not supported")


# Writing -----------------------------------------------------------------------------------------


def dump(questions: list[MoodleQuestion]) -> bytes:
    """Moodle XML that `parse` reads back to equal questions."""
    root = ET.Element("quiz")
    category = ""
    for question in questions:
        if question.qtype not in TYPES:
            raise ValueError(f"{question.name or 'a question'}: type {question.qtype!r} cannot "
                             "be written")  # fmt: skip
        if question.category != category:
            category = question.category
            element = ET.SubElement(root, "question", type="category")
            _text_element(element, "category", category)
        root.append(_question_element(question))
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _text_element(parent: ET.Element, tag: str, text: str, text_format: str | None = None):
    element = ET.SubElement(parent, tag)
    if text_format is not None:
        element.set("format", _WRITTEN_FORMATS[text_format])
    ET.SubElement(element, "text").text = text
    return element


def _number_text(value: float) -> str:
    return repr(float(value)).removesuffix(".0")


def _question_element(q: MoodleQuestion) -> ET.Element:
    element = ET.Element("question", type=q.qtype)
    _text_element(element, "name", q.name)
    _text_element(element, "questiontext", q.text.text, q.text.format)
    _text_element(element, "generalfeedback", q.general_feedback.text, q.general_feedback.format)
    ET.SubElement(element, "defaultgrade").text = "1"
    ET.SubElement(element, "hidden").text = "0"
    if q.qtype == "multichoice":
        ET.SubElement(element, "single").text = "true" if q.single else "false"
        ET.SubElement(element, "shuffleanswers").text = "true"
        ET.SubElement(element, "answernumbering").text = "none"
    if q.qtype == "shortanswer":
        ET.SubElement(element, "usecase").text = "1" if q.case_sensitive else "0"
    if q.qtype == "matching":
        ET.SubElement(element, "shuffleanswers").text = "true"
        for pair in q.pairs:
            sub = _text_element(element, "subquestion", pair.left.text, pair.left.format)
            _text_element(sub, "answer", pair.right)
    if q.qtype == "ordering":
        for tag, value in (("layouttype", "VERTICAL"), ("selecttype", "ALL"),
                           ("selectcount", "0"), ("gradingtype", "ALL_OR_NOTHING"),
                           ("showgrading", "SHOW"), ("numberingstyle", "none")):  # fmt: skip
            ET.SubElement(element, tag).text = value
    for answer in q.answers:
        if q.qtype == "ordering":
            fraction = _number_text(answer.fraction)
        else:
            fraction = format((Decimal(repr(float(answer.fraction))) * 100).normalize(), "f")
        written = _text_element(element, "answer", answer.text, answer.format)
        written.set("fraction", fraction)
        _text_element(written, "feedback", answer.feedback.text, answer.feedback.format)
        if answer.tolerance is not None:
            ET.SubElement(written, "tolerance").text = _number_text(answer.tolerance)
    if q.qtype == "numerical" and q.unit:
        unit = ET.SubElement(ET.SubElement(element, "units"), "unit")
        ET.SubElement(unit, "multiplier").text = "1"
        ET.SubElement(unit, "unit_name").text = q.unit
        ET.SubElement(element, "showunits").text = "3"  # the unit shown as text, not graded
    if q.extension:
        text = json.dumps(q.extension, ensure_ascii=False, sort_keys=True)
        _text_element(element, "learnhall", text)
    return element
