"""Moodle XML (content/moodlexml.py) and its questions to and from ours (content/convert.py).

For each Moodle XML question type an import test (a file written as Moodle writes it), an export
test (the elements written) and a round trip; malformed XML, entity bombs, wrong types and
missing fields as exact `file:line: message` strings; the whole bundled course and a fixture of
every construct through Moodle XML and back, giving identical dicts.
"""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from content import convert, gift, moodlexml
from content.moodlexml import MoodleAnswer, MoodlePair, MoodleQuestion, MoodleText
from content.schema import QUESTION_TYPES, Question
from tests.content.test_convert_gift import bundle_questions

MESSAGE = re.compile(r"q\.xml:[1-9][0-9]*: [^\n]+", re.DOTALL)
DATA = Path(__file__).resolve().parent.parent / "data" / "moodlexml"


def parsed(data: bytes, filename: str = "q.xml") -> tuple[list[MoodleQuestion], list[str]]:
    return moodlexml.parse(data, filename)


def imported(data: bytes, filename: str = "q.xml") -> tuple[list[dict], list[str]]:
    questions, errors = parsed(data, filename)
    assert errors == []
    return convert.xml_to_questions(questions, filename)


def quiz(*questions: str) -> bytes:
    """A Moodle XML file of these <question> elements; the first starts on line 3."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions)
            + "\n</quiz>\n").encode()  # fmt: skip


def question(qtype: str, body: str = "", name: str = "q", text: str = "Q?") -> str:
    return (f'<question type="{qtype}"><name><text>{name}</text></name>'
            f'<questiontext format="markdown"><text>{text}</text></questiontext>{body}'
            "</question>")  # fmt: skip


def error(data: bytes) -> str:
    """The one problem of `data`, at parsing or at conversion, which must give no question."""
    questions, errors = parsed(data)
    dicts, problems = convert.xml_to_questions(questions, "q.xml")
    assert dicts == []
    assert len(errors + problems) == 1
    return (errors + problems)[0]


def written(question: dict) -> ET.Element:
    """The <question> element our export writes for `question`."""
    questions, messages = convert.questions_to_xml([question], "lesson", "course")
    assert messages == []
    root = ET.fromstring(moodlexml.dump(questions))
    assert root[0].get("type") == "category"
    return root[1]


def round_trip(question: dict) -> dict:
    questions, _ = convert.questions_to_xml([question], "lesson", "course")
    dicts, errors = imported(moodlexml.dump(questions))
    assert errors == []
    assert len(dicts) == 1
    return dicts[0]


def valid(question: dict) -> None:
    model = TypeAdapter(Question).validate_python(question)
    assert model.model_dump(exclude_defaults=True) == question


# Import: a file as Moodle writes it --------------------------------------------------------------


@pytest.fixture(scope="module")
def moodle_export() -> tuple[dict[str, dict], list[str], list[MoodleQuestion]]:
    questions, errors = parsed((DATA / "moodle-export.xml").read_bytes(), "moodle-export.xml")
    assert errors == []
    dicts, problems = convert.xml_to_questions(questions, "moodle-export.xml")
    return {d["type"]: d for d in dicts}, problems, questions


def test_import_records_the_category_on_each_question_and_the_line_of_each(moodle_export):
    _, _, questions = moodle_export
    assert {q.category for q in questions} == {"$course$/top/Alliances/Three Nos"}
    assert [q.line for q in questions][:3] == [17, 66, 98]


def test_import_multichoice_single_with_html_fractions_and_feedback(moodle_export):
    assert moodle_export[0]["single_choice"] == {
        "key": "three-nos-q01",
        "type": "single_choice",
        "prompt": 'Which of these is **not** one of Vietnam\'s "Three Nos"?',
        "choices": [
            {"text": "No military alliances", "feedback": "That is the first."},
            {"text": "No foreign bases", "weight": 0.5},
            {"text": "No trade with capitalist states", "feedback": "Right."},
        ],
        "answer": "No trade with capitalist states",
        "explanation": "Trade is not part of the policy.",
    }


def test_import_multichoice_several_answers_scored_as_we_score(moodle_export):
    assert moodle_export[0]["multiple_response"] == {
        "key": "which-are-among-the-three-nos",  # a slug of the name
        "type": "multiple_response",
        "prompt": 'Which are among the "Three Nos"?',
        "choices": [
            "No military alliances",
            "No foreign military bases",
            {"text": "No foreign investment", "feedback": "Investment is welcome."},
        ],
        "answers": ["No military alliances", "No foreign military bases"],
    }


def test_import_truefalse(moodle_export):
    assert moodle_export[0]["true_false"] == {
        "key": "laos",
        "type": "true_false",
        "prompt": 'Vietnam\'s alliance with Laos is consistent with the "Three Nos".',
        "answer": False,
        "feedback": {"true": "It breaks the first No."},
        "explanation": "The alliance with Laos is the exception.",
    }


def test_import_shortanswer(moodle_export):
    assert moodle_export[0]["short_answer"] == {
        "key": "policy-name",
        "type": "short_answer",
        "prompt": "What is the name of Vietnam's defence policy of non-alignment?",
        "answers": [
            {"text": "Three Nos", "feedback": "Yes."},
            {"text": "Three No", "feedback": "Almost: there are three.", "weight": 0.5},
        ],
        "explanation": 'The "Three Nos".',
    }


def test_import_numerical_with_alternatives_other_feedback_and_a_unit(moodle_export):
    assert moodle_export[0]["numeric"] == {
        "key": "withdrawal-year",
        "type": "numeric",
        "prompt": "In which year did Vietnam withdraw from **Cambodia**?",
        "answer": 1989.0,
        "feedback": "Right.",
        "alternatives": [{"answer": 1989.0, "tolerance": 1.0, "weight": 0.5, "feedback": "Close."}],
        "other_feedback": "No.",
        "unit": "AD",
        "explanation": "In 1989.",
    }


def test_import_matching(moodle_export):
    question = moodle_export[0]["matching"]
    assert question == {
        "key": "saying",
        "type": "matching",
        "prompt": "Match each half of the saying to what Vietnam would lose.",
        "pairs": [
            {"left": "Allying with the United States", "right": "the Party"},
            {"left": "Allying with China", "right": "the country"},
        ],
    }
    valid({**question, "explanation": "-"})


def test_import_ordering_in_the_order_of_the_fractions(moodle_export):
    question = moodle_export[0]["ordering"]
    assert question == {
        "key": "events",
        "type": "ordering",
        "prompt": "Put these events in the order they happened.",
        "items": [
            "China attacks Vietnam",
            "Johnson South Reef is annexed",
            "Vietnam withdraws from Cambodia",
        ],
        "explanation": "1979, 1988, 1989.",
    }
    valid(question)


def test_import_cloze_its_first_paragraph_the_prompt(moodle_export):
    question = moodle_export[0]["cloze"]
    assert question == {
        "key": "cambodia-cloze",
        "type": "cloze",
        "prompt": "Fill in the blanks.",
        "text": "Vietnam withdrew from [[Cambodia|Kampuchea]] in [[1989]].",
        "explanation": "In 1989.",
    }
    valid(question)


def test_import_reports_essay_description_and_other_types_with_their_lines(moodle_export):
    assert moodle_export[1] == [
        "moodle-export.xml:284: essay questions are not supported",
        "moodle-export.xml:295: description items (text without an answer) are not supported",
        "moodle-export.xml:305: questions of type 'ddwtos' are not supported",
    ]
    assert moodlexml.unsupported(moodle_export[2]) == moodle_export[1]


def test_import_text_formats():
    data = quiz(
        '<question type="truefalse"><name><text>plain</text></name>'
        '<questiontext format="plain_text"><text>Is 2 * 3 = 6 &lt;b&gt;?\n# no</text>'
        '</questiontext><answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question>',
        '<question type="truefalse"><name><text>html</text></name>'
        '<questiontext format="html"><text><![CDATA[<p>Is <em>this</em> it?</p>]]></text>'
        '</questiontext><answer fraction="100"><text>true</text></answer>'
        '<answer fraction="0"><text>false</text></answer></question>',
    )
    dicts, errors = imported(data)
    assert errors == []
    assert [d["prompt"] for d in dicts] == ["Is 2 \\* 3 = 6 \\<b\\>?\\\n\\# no", "Is *this* it?"]


def test_import_case_sensitive_short_answer_and_cloze():
    data = quiz(
        question(
            "shortanswer",
            '<usecase>1</usecase><answer fraction="100"><text>US</text></answer>',
            name="a",
        ),
        question("cloze", text="The {1:SHORTANSWER_C:=US} and {1:SAC:=UK}.", name="b"),
    )
    dicts, errors = imported(data)
    assert errors == []
    assert [d.get("case_sensitive") for d in dicts] == [True, True]


# Export: the elements written --------------------------------------------------------------------


SINGLE = {
    "key": "three-nos-q01",
    "type": "single_choice",
    "prompt": "Which is **not** one?",
    "choices": ["No alliances", {"text": "No bases", "weight": 0.5, "feedback": "Half."}, "Trade"],
    "answer": "Trade",
    "explanation": "Trade is allowed.",
    "cite": ["nos"],
    "level": "recall",
    "flashcard": True,
}


def test_export_single_choice():
    element = written(SINGLE)
    assert element.get("type") == "multichoice"
    assert element.findtext("name/text") == "three-nos-q01"
    assert element.find("questiontext").get("format") == "markdown"
    assert element.findtext("questiontext/text") == "Which is **not** one?"
    assert element.findtext("generalfeedback/text") == "Trade is allowed."
    assert element.findtext("single") == "true"
    answers = element.findall("answer")
    assert [(a.get("fraction"), a.findtext("text")) for a in answers] == [
        ("0", "No alliances"),
        ("50", "No bases"),
        ("100", "Trade"),
    ]
    assert answers[1].findtext("feedback/text") == "Half."
    assert element.findtext("learnhall/text") == (
        '{"cite": ["nos"], "flashcard": true, "level": "recall"}'
    )


MULTIPLE = {
    "key": "three-nos-q02",
    "type": "multiple_response",
    "prompt": "Which are among them?",
    "choices": ["a", "b", "c", "d"],
    "answers": ["a", "b", "c"],
    "explanation": "Three.",
}


def test_export_multiple_response_scored_as_we_score():
    element = written(MULTIPLE)
    assert element.findtext("single") == "false"
    fractions = [a.get("fraction") for a in element.findall("answer")]
    assert fractions == ["33.33333", "33.33333", "33.33333", "-33.33333"]
    weighted = {**MULTIPLE, "choices": [{"text": "a", "weight": 0.2}, {"text": "b", "weight": 0.3},
                                        {"text": "c", "weight": 0.5}, "d"]}  # fmt: skip
    fractions = [a.get("fraction") for a in written(weighted).findall("answer")]
    assert fractions == ["20", "30", "50", "0"]


TRUE_FALSE = {
    "key": "laos",
    "type": "true_false",
    "prompt": "Is the alliance consistent?",
    "answer": False,
    "labels": "yes_no",
    "feedback": {"true": "No: it breaks one.", "false": "Right."},
    "explanation": "It is the exception.",
}


def test_export_true_false():
    element = written(TRUE_FALSE)
    assert element.get("type") == "truefalse"
    answers = [(a.findtext("text"), a.get("fraction"), a.findtext("feedback/text"))
               for a in element.findall("answer")]  # fmt: skip
    assert answers == [("true", "0", "No: it breaks one."), ("false", "100", "Right.")]
    assert element.findtext("learnhall/text") == '{"labels": "yes_no"}'


SHORT = {
    "key": "policy",
    "type": "short_answer",
    "prompt": "Name the policy.",
    "answers": ["Three Nos", {"text": "3 No*", "weight": 0.5, "feedback": "Almost."}],
    "case_sensitive": True,
    "typos": True,
    "also_accept": ["three noes"],
    "explanation": "The Three Nos.",
}


def test_export_short_answer():
    element = written(SHORT)
    assert element.get("type") == "shortanswer"
    assert element.findtext("usecase") == "1"
    answers = [(a.findtext("text"), a.get("fraction")) for a in element.findall("answer")]
    assert answers == [("Three Nos", "100"), ("3 No\\*", "50")]  # a star, not Moodle's wildcard
    assert element.findtext("learnhall/text") == '{"also_accept": ["three noes"], "typos": true}'


NUMERIC = {
    "key": "year",
    "type": "numeric",
    "prompt": "Which year?",
    "answer": 1989.0,
    "tolerance": 0.5,
    "feedback": "Yes.",
    "alternatives": [{"answer": 1988.0, "weight": 0.25, "feedback": "Close."}],
    "other_feedback": "No.",
    "unit": "AD",
    "explanation": "1989.",
}


def test_export_numeric():
    element = written(NUMERIC)
    assert element.get("type") == "numerical"
    answers = [(a.findtext("text"), a.get("fraction"), a.findtext("tolerance"),
                a.findtext("feedback/text")) for a in element.findall("answer")]  # fmt: skip
    assert answers == [
        ("1989", "100", "0.5", "Yes."),
        ("1988", "25", "0", "Close."),
        ("*", "0", "0", "No."),
    ]
    assert element.findtext("units/unit/unit_name") == "AD"
    assert element.findtext("units/unit/multiplier") == "1"


MATCHING = {
    "key": "saying",
    "type": "matching",
    "prompt": "Match.",
    "pairs": [
        {"left": "The *US*", "right": "the Party"},
        {"left": "China", "right": "the country"},
    ],
    "explanation": "The saying.",
}


def test_export_matching():
    element = written(MATCHING)
    assert element.get("type") == "matching"
    pairs = [(s.get("format"), s.findtext("text"), s.findtext("answer/text"))
             for s in element.findall("subquestion")]  # fmt: skip
    assert pairs == [("markdown", "The *US*", "the Party"), ("markdown", "China", "the country")]


ORDERING = {
    "key": "events",
    "type": "ordering",
    "prompt": "Order them.",
    "items": ["1979", "1988", "1989"],
    "explanation": "In order.",
}


def test_export_ordering_as_the_plugin_reads_it():
    element = written(ORDERING)
    assert element.get("type") == "ordering"
    assert [(a.get("fraction"), a.findtext("text")) for a in element.findall("answer")] == [
        ("1", "1979"),
        ("2", "1988"),
        ("3", "1989"),
    ]
    assert element.findtext("gradingtype") == "ALL_OR_NOTHING"  # as we grade it
    assert element.findtext("selecttype") == "ALL"


CLOZE = {
    "key": "withdrawal",
    "type": "cloze",
    "prompt": "Fill in the blanks.",
    "text": 'Vietnam withdrew from [[Cambodia|Kampuchea]] in [[1989]]; [[a}b~c#d/e"f\\g*]].',
    "case_sensitive": True,
    "also_accept": {2: ["nineteen eighty-nine"]},
    "explanation": "In 1989.",
}


def test_export_cloze_as_moodles_multianswer():
    element = written(CLOZE)
    assert element.get("type") == "cloze"
    assert element.findtext("questiontext/text") == (
        "Fill in the blanks.\n\nVietnam withdrew from {1:SHORTANSWER_C:=Cambodia~=Kampuchea} in "
        '{1:SHORTANSWER_C:=1989}; {1:SHORTANSWER_C:=a\\}b\\~c\\#d\\/e\\"f\\\\g\\\\*}.'
    )
    assert element.findtext("learnhall/text") == '{"also_accept": {"2": ["nineteen eighty-nine"]}}'


# Round trips -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [SINGLE, MULTIPLE, TRUE_FALSE, SHORT, NUMERIC, MATCHING, ORDERING, CLOZE],
    ids=lambda q: q["type"],
)
def test_round_trip_each_type(question):
    assert round_trip(question) == question


def test_round_trip_of_the_moodle_questions_themselves():
    questions = [
        MoodleQuestion("multichoice", "a", MoodleText("<p>Q</p>", "html"), MoodleText("F", "plain"),
                       [MoodleAnswer("x", "html", 1.0, MoodleText("fb", "html")),
                        MoodleAnswer("y", "html", -0.3333333)], single=False, category="c/d"),
        MoodleQuestion("numerical", "b", MoodleText("N", "moodle"),
                       answers=[MoodleAnswer("1.5", "moodle", 1.0, tolerance=0.25)], unit="m",
                       extension={"level": "recall"}, category="c/d"),
        MoodleQuestion("matching", "c", MoodleText("M", "markdown"),
                       pairs=[MoodlePair(MoodleText("l", "html"), "r")], category="e"),
    ]  # fmt: skip
    again, errors = parsed(moodlexml.dump(questions))
    assert errors == []
    assert again == questions


def test_the_bundled_course_round_trips_through_moodle_xml():
    by_lesson: dict[str, list[dict]] = {}
    for lesson, question in bundle_questions():
        by_lesson.setdefault(lesson, []).append(question)
    exported: list[MoodleQuestion] = []
    for lesson, questions in by_lesson.items():
        written_questions, messages = convert.questions_to_xml(questions, lesson, "alliances")
        assert messages == []
        exported += written_questions
    parsed_again, errors = parsed(moodlexml.dump(exported), "course.xml")
    assert errors == []
    assert len({q.category for q in parsed_again}) == len(by_lesson)
    dicts, errors = convert.xml_to_questions(parsed_again, "course.xml")
    assert errors == []
    expected = [q for questions in by_lesson.values() for q in questions]
    assert len(expected) == 237
    assert {q["type"] for q in expected} == set(QUESTION_TYPES)  # every type
    assert dicts == expected


def test_every_construct_round_trips_through_moodle_xml():
    questions = yaml.safe_load((DATA / "every-construct.yaml").read_text())["questions"]
    exported, messages = convert.questions_to_xml(questions, "lesson", "course")
    assert messages == []
    dicts, errors = imported(moodlexml.dump(exported))
    assert errors == []
    assert dicts == questions


# Errors ------------------------------------------------------------------------------------------


def test_malformed_xml_names_its_line():
    assert error(b'<quiz>\n<question type="truefalse">\n</quiz>') == (
        "q.xml:3: not well-formed XML: mismatched tag"
    )
    assert error(b"") == "q.xml:1: not well-formed XML: no element found"
    assert (
        error(b"\xff\xfe<quiz>") == "q.xml:1: not well-formed XML: not well-formed (invalid token)"
    )


def test_entity_bombs_and_external_entities_are_refused_before_expansion():
    for name in ("billion-laughs.xml", "external-entity.xml"):
        assert parsed((DATA / name).read_bytes(), name) == (
            [],
            [f"{name}:2: a document type declaration (<!DOCTYPE …>) is not allowed in a question "
             "file"],
        )  # fmt: skip


def test_the_file_must_be_a_quiz_of_questions():
    assert error(b"<questions/>") == "q.xml:1: the root element is <questions>, not <quiz>"
    assert error(quiz("<item/>")) == "q.xml:3: <item> where a <question> belongs"
    assert error(quiz('<question type="category"><category><text/></category></question>')) == (
        "q.xml:3: the category names no category"
    )


def test_a_file_too_large_is_refused_unread():
    data = b" " * (moodlexml.MAX_BYTES + 1)
    assert parsed(data) == ([], [f"q.xml:1: the file has {len(data):,} bytes; a Moodle XML file "
                                 f"may have at most {moodlexml.MAX_BYTES:,}"])  # fmt: skip


TRUE_FALSE_ANSWERS = '<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>'  # noqa: E501


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (question("truefalse", TRUE_FALSE_ANSWERS).replace('format="markdown"', 'format="rtf"'),
         "unknown text format 'rtf' on <questiontext> (known: html, moodle_auto_format, "
         "plain_text, markdown)"),
        ('<question type="truefalse"><name><text>q</text></name></question>',
         "the question has no <questiontext>"),
        (question("truefalse", TRUE_FALSE_ANSWERS.replace('"100"', '"lots"')),
         "answer 1: the fraction: 'lots' is not a number"),
        (question("truefalse", TRUE_FALSE_ANSWERS.replace('"100"', '"150"')),
         "answer 1: the fraction 150 is not from -100 to 100"),
        (question("truefalse", '<answer fraction="100"><text>yes</text></answer>'),
         "a true/false question has two answers, 'true' and 'false'"),
        (question("truefalse", TRUE_FALSE_ANSWERS.replace('"0"', '"100"')),
         "one of a true/false question's answers is worth 100%, the other 0%"),
        (question("multichoice", '<answer fraction="100"><text>a</text></answer>'),
         "a multiple-choice question needs at least 2 answers"),
        (question("multichoice", '<single>maybe</single>'),
         "<single> is 'maybe', not true or false"),
        (question("multichoice", '<single>false</single><answer fraction="50"><text>a</text>'
                  '</answer><answer fraction="40"><text>b</text></answer>'),
         "the positive weights add up to 90%, not 100%"),
        (question("shortanswer"), "a short-answer question needs an answer"),
        (question("shortanswer", '<answer fraction="100"><text>*</text></answer>'),
         "the answer '*' holds a wildcard (*), which is not supported (write \\* for a star)"),
        (question("numerical", '<answer fraction="100"><text>ten</text></answer>'),
         "the answer 'ten' is not a number"),
        (question("numerical", '<answer fraction="100"><text>1</text>'
                  '<tolerance>-1</tolerance></answer>'),
         "answer 1: the tolerance -1 is negative"),
        (question("numerical", '<answer fraction="100"><text>1</text></answer><units><unit>'
                  '<multiplier>1000</multiplier><unit_name>km</unit_name></unit></units>'),
         "a unit with a multiplier other than 1 is not supported"),
        (question("matching", '<subquestion><text>a</text><answer><text>1</text></answer>'
                  '</subquestion><subquestion><text>b</text><answer><text>2</text></answer>'
                  '</subquestion><subquestion><text></text><answer><text>3</text></answer>'
                  '</subquestion>'),
         "extra wrong answers in a matching question (an empty left side, as '= -> 3') are not "
         "supported"),
        (question("matching", '<subquestion><text>a</text><answer><text>1</text></answer>'
                  '</subquestion>'),
         "pairs: list should have at least 2 items after validation, not 1"),
        (question("ordering", '<selecttype>RANDOM</selecttype><selectcount>2</selectcount>'
                  '<answer><text>a</text></answer><answer><text>b</text></answer>'
                  '<answer><text>c</text></answer>'),
         "an ordering question that shows only some of its items is not supported"),
        (question("cloze", text="No blank."),
         "the cloze question has no blank like {1:SHORTANSWER:=answer}"),
        (question("cloze", text="A {1:MULTICHOICE:=a~b}."),
         "blank 1: MULTICHOICE blanks are not supported (only SHORTANSWER ones)"),
        (question("cloze", text="A {1:SA:=a~%50%b}."),
         "blank 1: the answer 'b' is worth 50%; here every answer of a blank is right (no "
         "partial credit)"),
        (question("cloze", text="A {1:SA:=a#Good.}."),
         "blank 1: feedback on a blank's answer is not supported"),
        (question("cloze", text="A {1:SA:=a|b}."),
         "blank 1: an answer is empty or holds '|', '[[', ']]' or a line break"),
        (question("cloze", text="A {1:SA:=a} {1:SAC:=b}."),
         "some blanks are case-sensitive (SHORTANSWER_C) and some not: a cloze question is one "
         "or the other"),
        (question("ordering", "<learnhall><text>{oops</text></learnhall>"),
         "<learnhall> does not hold JSON: Expecting property name enclosed in double quotes: "
         "line 1 column 2 (char 1)"),
        (question("ordering", '<learnhall><text>{"typos": true}</text></learnhall>'
                  "<answer><text>a</text></answer><answer><text>b</text></answer>"),
         "<learnhall> holds 'typos', which a ordering question does not take"),
        (question("ordering", '<learnhall><text>{"level": "hard"}</text></learnhall>'
                  "<answer><text>a</text></answer><answer><text>b</text></answer>"),
         "level: input should be 'recall', 'understanding', 'application' or 'evaluation'"),
        (question("truefalse", TRUE_FALSE_ANSWERS,
                  text="See @@PLUGINFILE@@/map.png"),
         "embedded files (images, attachments) are not supported"),
        (question("truefalse", TRUE_FALSE_ANSWERS).replace(
            '<questiontext format="markdown"><text>Q?</text>',
            '<questiontext format="html"><text>&lt;img src="https://example.org/a.png"&gt;</text>'),
         "images are not supported"),
        (question("cloze", text='&lt;span title="{1:SA:=a}"&gt;x&lt;/span&gt; {1:SA:=b}').replace(
            'format="markdown"', 'format="html"'),
         "a blank stands where the text cannot show it (inside an HTML tag or attribute)"),
    ],
)  # fmt: skip
def test_wrong_or_missing_fields_name_the_questions_line(xml, message):
    assert error(quiz(xml)) == f"q.xml:3: {message}"


def test_two_questions_with_one_name_are_refused():
    data = quiz(question("truefalse", TRUE_FALSE_ANSWERS, name="Same"),
                question("truefalse", TRUE_FALSE_ANSWERS, name="same"))  # fmt: skip
    dicts, errors = imported(data)
    assert [d["key"] for d in dicts] == ["same"]
    assert errors == [
        "q.xml:4: the question's key 'same' is already the key of the question at line 3: give "
        "the two different titles"
    ]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_give_questions_or_errors_never_an_exception(data):
    questions, errors = moodlexml.parse(data, "q.xml")
    dicts, problems = convert.xml_to_questions(questions, "q.xml")
    assert all(MESSAGE.fullmatch(message) for message in errors + problems)
    assert len(dicts) + len(problems) == len(questions)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_mutated_moodle_file_never_raises(data):
    original = (DATA / "moodle-export.xml").read_bytes()
    start = data.draw(st.integers(0, len(original)))
    end = data.draw(st.integers(start, min(len(original), start + 40)))
    insert = data.draw(st.sampled_from([b"", b"<", b">", b"&", b"{1:SA:", b"}", b"\\", b'"',
                                        b"</answer>", b"<text>", b"fraction=\"x\""]))  # fmt: skip
    mutated = original[:start] + insert + original[end:]
    questions, errors = moodlexml.parse(mutated, "q.xml")
    dicts, problems = convert.xml_to_questions(questions, "q.xml")
    assert all(MESSAGE.fullmatch(message) for message in errors + problems)
    assert len(dicts) + len(problems) == len(questions)


def test_the_documentations_examples_import_as_it_says():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "formats-gift-moodle.md").read_text()
    blocks = dict(re.findall(r"```(text|yaml|xml)\n(.*?)```", docs, re.DOTALL))
    expected = yaml.safe_load("questions:\n" + blocks["yaml"])["questions"]
    questions, errors = gift.parse(blocks["text"], "docs.gift")
    assert errors == []
    from_gift, errors = convert.gift_to_questions(questions, "docs.gift")
    assert (from_gift, errors) == (expected, [])
    from_xml, errors = imported(blocks["xml"].encode(), "docs.xml")
    assert (from_xml, errors) == (expected[:1], [])


def test_export_leaves_out_a_question_whose_text_xml_cannot_hold():
    broken = {**MATCHING, "pairs": [{"left": "a\x0bb", "right": "c"}, *MATCHING["pairs"][1:]]}
    questions, messages = convert.questions_to_xml([broken, ORDERING], "lesson", "course")
    assert [q.name for q in questions] == ["events"]
    assert messages == [
        "question 'saying': the character U+000B cannot be written in XML: left out"
    ]
