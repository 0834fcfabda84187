"""The GIFT reader and writer (content/gift.py): pure functions, no database.

One import test per construct of Moodle's documentation, one export test per kind (the exact
text), errors as exact `file:line: message` strings, a round trip over generated questions, and
fuzzing: random text and mutated valid files never raise, only return errors.
"""

import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content import gift
from content.gift import BLANK, GiftAnswer, GiftQuestion

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "gift" / "moodle-examples.gift"
MESSAGE = re.compile(r"(?P<file>[^\n]+?):(?P<line>[1-9][0-9]*): [^\n]+")


def one(text: str) -> GiftQuestion:
    """The one question of `text`, which must parse without errors."""
    questions, errors = gift.parse(text, "q.gift")
    assert errors == []
    assert len(questions) == 1
    return questions[0]


def error(text: str) -> str:
    """The one error of `text`, which must give no question."""
    questions, errors = gift.parse(text, "q.gift")
    assert questions == []
    assert len(errors) == 1
    return errors[0]


def right(*texts: str) -> list[GiftAnswer]:
    return [GiftAnswer(text, 1.0, True) for text in texts]


# Import: one test per construct ------------------------------------------------------------------


def test_multiple_choice():
    q = one("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}")
    assert q.kind == "multiple_choice"
    assert q.text == "Who's buried in Grant's tomb?"
    assert q.text_format == "moodle"
    assert q.answers == [
        GiftAnswer("Grant", 0.0, False),
        GiftAnswer("Jefferson", 0.0, False),
        GiftAnswer("no one", 1.0, True),
    ]
    assert q.line == 1


def test_multiple_choice_with_partial_credit_and_answers_on_their_own_lines():
    q = one(
        "Difficult question.{\n"
        "     ~wrong answer           #comment on wrong answer\n"
        "     ~%50%half credit answer #comment on answer\n"
        "     =full credit answer     #well done!}"
    )
    assert q.kind == "multiple_choice"
    assert q.answers == [
        GiftAnswer("wrong answer", 0.0, False, "comment on wrong answer"),
        GiftAnswer("half credit answer", 0.5, False, "comment on answer"),
        GiftAnswer("full credit answer", 1.0, True, "well done!"),
    ]


def test_multiple_answers_by_weights_negative_ones_included():
    q = one(
        "What two people are entombed in Grant's tomb? {\n"
        "    ~%-50%No one\n    ~%50%Grant\n    ~%50%Grant's wife\n    ~%-50%Grant's father }"
    )
    assert q.kind == "multiple_answers"
    assert [(a.text, a.weight, a.correct) for a in q.answers] == [
        ("No one", -0.5, False),
        ("Grant", 0.5, True),
        ("Grant's wife", 0.5, True),
        ("Grant's father", -0.5, False),
    ]


def test_missing_word_keeps_the_text_on_both_sides_of_the_blank():
    q = one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert q.kind == "missing_word"
    assert q.text == f"Grant is {BLANK} in Grant's tomb."
    before, after = q.text.split(BLANK)
    assert (before, after) == ("Grant is ", " in Grant's tomb.")
    assert [a.text for a in q.answers if a.correct] == ["entombed"]


def test_a_blank_in_other_kinds_is_kept_in_the_text():
    q = one("Two plus two equals {=four =4}.")
    assert q.kind == "short_answer"
    assert q.text == f"Two plus two equals {BLANK}."


def test_short_answer_with_several_answers_and_weights():
    q = one(
        "::Jesus' hometown:: Jesus Christ was from {\n"
        "    =Nazareth#Yes! That's right!\n"
        "    =%75%Nazereth#Right, but misspelled.\n"
        "    =%25%Bethlehem#He was born here, but not raised here.}"
    )
    assert q.kind == "short_answer"
    assert q.title == "Jesus' hometown"
    assert q.text == "Jesus Christ was from"
    assert q.answers == [
        GiftAnswer("Nazareth", 1.0, True, "Yes! That's right!"),
        GiftAnswer("Nazereth", 0.75, False, "Right, but misspelled."),
        GiftAnswer("Bethlehem", 0.25, False, "He was born here, but not raised here."),
    ]


def test_short_answer_without_equals_sign_as_moodle_reads_it():
    assert one("1 + 2 \\= {3}").answers == right("3")
    assert one("Q {=a}").kind == "short_answer"  # one answer without ~ is no choice


@pytest.mark.parametrize(("written", "truth"), [("T", True), ("TRUE", True), ("F", False),
                                                ("FALSE", False)])  # fmt: skip
def test_true_false(written, truth):
    q = one(f"The sun rises in the east.{{{written}}}")
    assert q.kind == "true_false"
    assert [(a.text, a.correct, a.weight) for a in q.answers] == [
        ("true", truth, float(truth)),
        ("false", not truth, float(not truth)),
    ]


def test_true_false_feedback_for_a_wrong_then_a_right_answer():
    q = one("Grant is buried in Grant's tomb.{FALSE#Sorry, no one is.#Right, no one is.}")
    true, false = q.answers
    assert (true.correct, true.feedback) == (False, "Sorry, no one is.")
    assert (false.correct, false.feedback) == (True, "Right, no one is.")
    q = one("The sun rises in the east.{T#Wrong.#Yes.}")
    assert [a.feedback for a in q.answers] == ["Yes.", "Wrong."]


def test_matching():
    q = one(
        "Match the following countries with their corresponding capitals. {\n"
        "    =Canada -> Ottawa\n    =Italy  -> Rome\n    =Japan  -> Tokyo\n    = -> Paris\n    }"
    )
    assert q.kind == "matching"
    assert [(a.left, a.right) for a in q.answers] == [
        ("Canada", "Ottawa"),
        ("Italy", "Rome"),
        ("Japan", "Tokyo"),
        ("", "Paris"),  # a distractor, as Moodle allows
    ]
    assert all(a.correct for a in q.answers)


def test_matching_splits_at_the_first_arrow():
    q = one("Which arrow? {=first -> a->b =second -> c}")
    assert [(a.left, a.right) for a in q.answers] == [("first", "a->b"), ("second", "c")]


def test_numeric_exact_and_with_tolerance():
    q = one("What's 2 plus 2? {#4}")
    assert q.kind == "numeric"
    assert q.answers == [GiftAnswer(weight=1.0, correct=True, value=4.0, tolerance=0.0)]
    q = one("What is the value of pi (to 3 decimal places)? {#3.1415:0.0005}")
    assert (q.answers[0].value, q.answers[0].tolerance) == (3.1415, 0.0005)
    assert (q.answers[0].min, q.answers[0].max) == (None, None)


def test_numeric_range():
    q = one("What is a number from 1 to 5? {#1..5}")
    assert q.answers == [GiftAnswer(weight=1.0, correct=True, min=1.0, max=5.0)]
    assert one("Below zero? {#-5..-1.5}").answers[0].max == -1.5


def test_numeric_weighted_alternatives_with_feedback_and_any_other_number():
    q = one(
        "::Numerical example::\nWhen was Ulysses S. Grant born? {#\n"
        "     =1822:0      #Correct! 100% credit\n"
        "     =%50%1822:2  #He was born in 1822.\n"
        "     ~#Not even close.\n}"
    )
    assert q.answers == [
        GiftAnswer(weight=1.0, correct=True, feedback="Correct! 100% credit", value=1822.0,
                   tolerance=0.0),
        GiftAnswer(weight=0.5, correct=False, feedback="He was born in 1822.", value=1822.0,
                   tolerance=2.0),
        GiftAnswer(text="*", feedback="Not even close."),
    ]  # fmt: skip
    assert one("When? {#=%100%5:0 =%50%5:2}").answers[1].weight == 0.5


def test_title():
    q = one("::Kanji Origins::Japanese characters originally\ncame from what country? {=China}")
    assert q.title == "Kanji Origins"
    assert q.text == "Japanese characters originally\ncame from what country?"
    assert one(":: A \\: title ::Text{T}").title == "A : title"


def test_comments_are_whole_lines_only():
    text = (
        "// a comment before the question\n"
        "What is at http://example.org? {\n"
        "  // a comment among the answers\n"
        "  =a site // not a comment\n"
        "}\n"
        "   // an indented comment"
    )
    q = one(text)
    assert q.text == "What is at http://example.org?"
    assert q.answers == right("a site // not a comment")
    assert q.line == 2  # where the question starts, past its comment


def test_category_applies_to_the_questions_that_follow():
    questions, errors = gift.parse(
        "Before any category{T}\n\n$CATEGORY: $course$/top/Tom\n\n::Q1:: 1+1=2 {T}\n\n"
        "// comment\n$CATEGORY: Dick/Harry\n::Q2::Right after the line{F}\n"
    )
    assert errors == []
    assert [(q.title, q.category, q.line) for q in questions] == [
        ("", "", 1),
        ("Q1", "$course$/top/Tom", 5),
        ("Q2", "Dick/Harry", 9),
    ]


def test_per_answer_feedback():
    q = one("Japanese characters came from? {~India #Sorry. =China #Correct! ~Korea #Try again.}")
    assert [a.feedback for a in q.answers] == ["Sorry.", "Correct!", "Try again."]


def test_general_feedback():
    q = one("How are you? {\n=Fine\n~Ill\n####We hope you're feeling well.\n}")
    assert q.general_feedback == "We hope you're feeling well."
    assert [a.text for a in q.answers] == ["Fine", "Ill"]
    assert one("Sun? {TRUE#no#yes####The sun is a star.}").general_feedback == "The sun is a star."


def test_escapes():
    q = one(
        "Which of these are GIFT's control characters \\{ \\} \\: \\\\? {\n"
        "   ~ \\~     # \\~ is one.\n"
        "   = a \\= b # \\= and \\# are\\nescaped.\n"
        "   ~ C:\\Users\n"
        "}"
    )
    assert q.text == "Which of these are GIFT's control characters { } : \\?"
    assert q.answers == [
        GiftAnswer("~", 0.0, False, "~ is one."),
        GiftAnswer("a = b", 1.0, True, "= and # are\nescaped."),
        GiftAnswer("C:\\Users", 0.0, False),  # not an escape: the backslash stays, as in Moodle
    ]


@pytest.mark.parametrize("text_format", ["markdown", "html", "plain", "moodle"])
def test_text_formats(text_format):
    q = one(f"[{text_format}]Who's buried in **Grant's tomb**?{{=no one#[{text_format}]Yes!}}")
    assert q.text_format == text_format
    assert q.text == "Who's buried in **Grant's tomb**?"
    assert q.answers[0].feedback == "Yes!"  # repeating the question's format is allowed


def test_an_unknown_format_is_text():
    assert one("[latex]$x${T}").text == "[latex]$x$"


def test_blank_lines_separate_questions_and_multi_line_questions():
    questions, errors = gift.parse("\n\nFirst\nquestion{T}\n  \t\nSecond{F}\n\n\n\nThird{T}\n")
    assert errors == []
    assert [(q.text, q.line) for q in questions] == [
        ("First\nquestion", 3),
        ("Second", 6),
        ("Third", 10),
    ]


def test_windows_line_endings_and_a_byte_order_mark():
    questions, errors = gift.parse(
        "\ufeff// comment\r\n::A::First\r\nline{=a ~b}\r\n\r\nSecond{T}\r\n", "win.gift"
    )
    assert errors == []
    assert [(q.title, q.text, q.line) for q in questions] == [
        ("A", "First\nline", 2),
        ("", "Second", 5),
    ]


def test_essay_and_description_parse_and_are_reported_unsupported():
    questions, errors = gift.parse(
        "Write a short biography of Dag Hammarskjöld. {}\n\n"
        "You can use your pencil and paper for these next math questions.\n\n"
        "Sun? {T}\n\n::E::Essay {####What we look for}",
        "bank.gift",
    )
    assert errors == []
    assert [q.kind for q in questions] == ["essay", "description", "true_false", "essay"]
    assert questions[3].general_feedback == "What we look for"
    assert gift.unsupported(questions) == [
        "bank.gift:1: essay questions are not supported",
        "bank.gift:3: description items (text without an answer block) are not supported",
        "bank.gift:7: essay questions are not supported",
    ]


def test_moodle_documentation_examples():
    questions, errors = gift.parse(EXAMPLES.read_text(encoding="utf-8"), "moodle-examples.gift")
    assert errors == []
    kinds = [q.kind for q in questions]
    assert len(questions) == 30
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {
        "multiple_choice": 7,
        "missing_word": 4,
        "multiple_answers": 1,
        "short_answer": 6,
        "true_false": 4,
        "matching": 1,
        "numeric": 5,
        "essay": 1,
        "description": 1,
    }
    control = next(q for q in questions if q.title == "GIFT Control Characters")
    assert [a.text for a in control.answers] == ["~", "=", "#", "{", "}", "\\"]
    assert [a.text for a in control.answers if a.correct] == ["\\"]
    assert control.answers[5].feedback.startswith("Correct! \\ (backslash) is not")
    assert questions[-1].category == "$course$/top/Default for Tom"
    assert gift.parse(gift.dump(questions))[0] == questions


# Export: one test per kind (the exact text) ------------------------------------------------------


def test_export_multiple_choice():
    q = GiftQuestion(
        "multiple_choice",
        "Who's buried in Grant's tomb?",
        title="Grant's tomb",
        answers=[
            GiftAnswer("Grant", 0.0, False, "No: he is in it, with his wife."),
            GiftAnswer("Jefferson", -0.5, False),
            GiftAnswer("no one", 1.0, True, "Yes: they are entombed, not buried."),
        ],
        general_feedback="A riddle.",
    )
    assert gift.dump([q]) == (
        "::Grant's tomb::Who's buried in Grant's tomb?{\n"
        "\t~Grant#No\\: he is in it, with his wife.\n"
        "\t~%-50%Jefferson\n"
        "\t=no one#Yes\\: they are entombed, not buried.\n"
        "\t####A riddle.\n"
        "}\n\n"
    )


def test_export_multiple_answers():
    q = GiftQuestion(
        "multiple_answers",
        "Who is entombed?",
        answers=[
            GiftAnswer("Grant", 0.5, True),
            GiftAnswer("Julia Grant", 0.5, True),
            GiftAnswer("No one", -1.0, False),
            GiftAnswer("Lincoln", 0.0, False),
        ],
    )
    assert gift.dump([q]) == (
        "Who is entombed?{\n\t~%50%Grant\n\t~%50%Julia Grant\n\t~%-100%No one\n\t~Lincoln\n}\n\n"
    )


def test_export_true_false():
    q = GiftQuestion(
        "true_false",
        "Grant is buried in Grant's tomb.",
        answers=[
            GiftAnswer("true", 0.0, False, "No one is buried there."),
            GiftAnswer("false", 1.0, True),
        ],
    )
    assert gift.dump([q]) == "Grant is buried in Grant's tomb.{FALSE#No one is buried there.}\n\n"
    q.answers[1].feedback = "Right."
    assert "{FALSE#No one is buried there.#Right.}" in gift.dump([q])
    q.answers[0].feedback = ""
    assert "{FALSE##Right.}" in gift.dump([q])


def test_export_short_answer():
    q = GiftQuestion(
        "short_answer",
        "Two plus two equals " + BLANK + ".",
        answers=[GiftAnswer("four", 1.0, True), GiftAnswer("4", 1.0, True, "Digits will do."),
                 GiftAnswer("for", 0.5, False)],
    )  # fmt: skip
    assert gift.dump([q]) == (
        "Two plus two equals {\n\t=four\n\t=4#Digits will do.\n\t=%50%for\n}.\n\n"
    )


def test_export_numeric():
    q = GiftQuestion(
        "numeric",
        "When was Ulysses S. Grant born?",
        answers=[
            GiftAnswer(weight=1.0, correct=True, value=1822.0, tolerance=0.0, feedback="Yes."),
            GiftAnswer(weight=0.5, value=1822.0, tolerance=2.5),
            GiftAnswer(weight=0.25, min=1800.0, max=1850.0),
            GiftAnswer(text="*", feedback="Not even close."),
        ],
    )
    assert gift.dump([q]) == (
        "When was Ulysses S. Grant born?{#\n"
        "\t=1822#Yes.\n\t=%50%1822:2.5\n\t=%25%1800..1850\n\t~#Not even close.\n}\n\n"
    )
    q.answers = [GiftAnswer(weight=1.0, correct=True, value=3.1415, tolerance=0.0005)]
    assert gift.dump([q]) == "When was Ulysses S. Grant born?{#3.1415:0.0005}\n\n"


def test_export_matching():
    q = GiftQuestion(
        "matching",
        "Match the capitals.",
        answers=[
            GiftAnswer(weight=1.0, correct=True, left="Canada", right="Ottawa"),
            GiftAnswer(weight=1.0, correct=True, left="Italy", right="Rome"),
            GiftAnswer(weight=1.0, correct=True, left="", right="Paris"),
        ],
    )
    assert gift.dump([q]) == (
        "Match the capitals.{\n\t=Canada -> Ottawa\n\t=Italy -> Rome\n\t= -> Paris\n}\n\n"
    )


def test_export_missing_word():
    q = GiftQuestion(
        "missing_word",
        f"Grant is {BLANK} in Grant's tomb.",
        text_format="markdown",
        answers=[GiftAnswer("buried", 0.0, False), GiftAnswer("entombed", 1.0, True)],
    )
    assert gift.dump([q]) == "[markdown]Grant is {\n\t~buried\n\t=entombed\n} in Grant's tomb.\n\n"


def test_export_essay_and_description_with_a_category():
    questions = [
        GiftQuestion("essay", "Write about Grant.", general_feedback="Mention his tomb.",
                     category="$course$/Essays"),
        GiftQuestion("description", "Use pencil {and} paper.", title="Note",
                     category="$course$/Essays"),
    ]  # fmt: skip
    assert gift.dump(questions) == (
        "$CATEGORY: $course$/Essays\n\n"
        "Write about Grant.{####Mention his tomb.}\n\n"
        "::Note::Use pencil \\{and\\} paper.\n\n"
    )


def test_export_escapes_every_special_character():
    special = "a~b=c#d{e}f:g\\h\ni"
    q = GiftQuestion(
        "multiple_choice",
        special,
        title=special,
        answers=[GiftAnswer(special, 1.0, True, special), GiftAnswer("x", 0.0, False)],
        general_feedback=special,
    )
    escaped = "a\\~b\\=c\\#d\\{e\\}f\\:g\\\\h\\ni"
    written = gift.dump([q])
    assert written.count(escaped) == 5
    assert gift.parse(written)[0] == [q]


@pytest.mark.parametrize(
    ("question", "written"),
    [
        # A text that starts like a comment, a format, a weight or a category.
        (GiftQuestion("true_false", "// not a comment",
                      answers=[GiftAnswer("true", 1.0, True), GiftAnswer("false", 0.0, False)]),
         "::::// not a comment{TRUE}"),
        (GiftQuestion("short_answer", "[html] is text here", answers=right("[plain]")),
         "[moodle][html] is text here{\n\t=[moodle][plain]\n}"),
        (GiftQuestion("multiple_choice", "Format?",
                      answers=[GiftAnswer("%d%s", 1.0, True), GiftAnswer("%x%", 0.0, False)]),
         "Format?{\n\t=%100%%d%s\n\t~%0%%x%\n}"),
        (GiftQuestion("essay", "$CATEGORY: not one"), "$CATEGORY\\: not one{}"),
    ],
)  # fmt: skip
def test_export_of_texts_that_look_like_syntax(question, written):
    assert gift.dump([question]) == written + "\n\n"
    assert gift.parse(gift.dump([question]))[0] == [question]


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (GiftQuestion("cloze", "x"), "question 1: unknown kind 'cloze'"),
        (GiftQuestion("short_answer", "a", answers=right("a->b")),
         "question 1: '->' in a short answer or its feedback would make it a matching question"),
        (GiftQuestion("multiple_choice", "a", answers=right("a", "b")),
         "question 1: a multiple choice needs an answer that is not right (else it is a short "
         "answer)"),
        (GiftQuestion("short_answer", f"Ends with a blank {BLANK}", title="T",
                      answers=right("a")),
         "question 1 (T): the blank cannot end the text"),
    ],
)  # fmt: skip
def test_export_refuses_what_would_read_back_differently(question, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        gift.dump([question])


def test_export_refuses_a_question_without_category_after_one_with():
    questions = [GiftQuestion("essay", "a", category="A"), GiftQuestion("essay", "b")]
    with pytest.raises(ValueError, match="question 2: a question without a category cannot"):
        gift.dump(questions)


# Errors: exact messages, naming the line where the question starts ----------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\n\nQ {=a ~b", "q.gift:3: unbalanced braces: '{' without a closing '}' "
                         "(write a literal { as \\{)"),
        ("Q =a ~b}", "q.gift:1: unbalanced braces: '}' without an opening '{' "
                     "(write a literal } as \\})"),
        ("Q } {=a ~b}", "q.gift:1: unbalanced braces: '}' without an opening '{' "
                        "(write a literal } as \\})"),
        ("Q {=a {~b}", "q.gift:1: unbalanced braces: a '{' inside the answer block"),
        ("Q {=a ~b} and {=c}", "q.gift:1: more than one answer block "
                               "(write a literal brace as \\{ or \\})"),
        ("::Title Q {T}", "q.gift:1: the title is not closed by '::'"),
        ("Q {~a ~b}", "q.gift:1: no right answer: mark one with = or give the right ones "
                      "weights like ~%50%"),
        ("Q {~%50%a ~%40%b ~c}", "q.gift:1: the positive weights add up to 90%, not 100%"),
        ("Q {=%50%a}", "q.gift:1: no right answer: no answer is worth 100%"),
        ("Q {#=%50%1}", "q.gift:1: no right answer: no answer is worth 100%"),
        ("Q {~%150%a =b}", "q.gift:1: answer 1: bad weight %150%: a weight here is from -100% "
                           "to 100%"),
        ("Q {~%abc%a =b}", "q.gift:1: answer 1: bad weight '%abc%': a weight is a number of "
                           "percent between % signs, like %50%"),
        ("Q {=a =%-50%b}", "q.gift:1: answer 2: bad weight %-50%: a weight here is from 0% to "
                           "100%"),
        ("Q {~a =%50%b}", "q.gift:1: answer 2: a right answer (=) is worth 100%; give partial "
                          "credit with ~%50%"),
        ("Q {=a ~}", "q.gift:1: answer 2 is empty"),
        ("Q {~a}", "q.gift:1: a multiple-choice question needs at least 2 answers"),
        ("Q {#abc}", "q.gift:1: answer 1: 'abc' is not a number"),
        ("Q {#1,5}", "q.gift:1: answer 1: '1,5' is not a number"),
        ("Q {#1:x}", "q.gift:1: answer 1: 'x' is not a number"),
        ("Q {#1e999}", "q.gift:1: answer 1: '1e999' is too large"),
        ("Q {#5..1}", "q.gift:1: answer 1: the range '5..1' ends below its start"),
        ("Q {#5:-1}", "q.gift:1: answer 1: the tolerance '-1' is negative"),
        ("Q {#}", "q.gift:1: a numeric question needs at least one answer, like {#1822}"),
        ("Q {#1 ~x#no}", "q.gift:1: after '~' a numeric question takes only the feedback for "
                         "any other number: ~#feedback"),
        ("Q {=a -> b}", "q.gift:1: a matching question needs at least 2 pairs"),
        ("Q {=a -> b =c d}", "q.gift:1: pair 2 has no '->' between its two sides"),
        ("Q {=a -> b =c -> }", "q.gift:1: pair 2 has nothing after '->'"),
        ("Q {=a -> b#fb =c -> d}", "q.gift:1: pair 1: a matching pair has no feedback "
                                   "(write a literal # as \\#)"),
        ("[html]Q {=[markdown]a ~b}", "q.gift:1: answer 1 is in [markdown] but the question is "
                                      "in [html]: a question has one text format"),
        ("Q {T####[html]x}", "q.gift:1: the general feedback is in [html] but the question is in "
                             "[moodle]: a question has one text format"),
        ("Q \ufffc {T}", "q.gift:1: the character U+FFFC is not allowed (it marks a blank here)"),
        ("Q \ufdd1 {T}", "q.gift:1: the character U+FDD1 is not allowed"),
        ("$CATEGORY:   ", "q.gift:1: the $CATEGORY line names no category"),
    ],
)  # fmt: skip
def test_errors(text, message):
    assert error(text) == message


def test_errors_name_each_question_and_the_others_still_parse():
    questions, errors = gift.parse(
        "Good {T}\n\n// comment\nBad\n{~a ~b}\n\nGood too {F}\n\nBad too {#x}\n", "bank.gift"
    )
    assert [q.text for q in questions] == ["Good", "Good too"]
    assert errors == [
        "bank.gift:4: no right answer: mark one with = or give the right ones weights like ~%50%",
        "bank.gift:9: answer 1: 'x' is not a number",
    ]


def test_limits():
    assert gift.parse("x" * (gift.MAX_CHARS + 1), "big.gift") == (
        [],
        ["big.gift:1: the file has 2,097,153 characters; a GIFT file may have at most 2,097,152"],
    )
    many = "Q{T}\n\n" * (gift.MAX_QUESTIONS + 5)
    questions, errors = gift.parse(many, "many.gift")
    assert len(questions) == gift.MAX_QUESTIONS
    assert errors == [
        f"many.gift:{2 * gift.MAX_QUESTIONS + 1}: more than 10,000 questions in one file; split "
        "it into several"
    ]
    too_many = "Q {" + "~a " * (gift.MAX_ANSWERS + 1) + "}"
    assert error(too_many) == "q.gift:1: more than 1,000 answers"


@pytest.mark.parametrize(
    "text",
    [
        "Q {" + "=a -> b " * 50_000 + "}",  # one long block
        "{" * 500_000,
        "}" * 500_000,
        ("Q {~%50%" + "a" * 100 + "}\n\n") * 4_000,
        "::" * 500_000,
        "Q {#" + "1" * 500_000 + "}",
        "Q {~%" + "5" * 500_000 + "%a =b}",
        "Q {" + "\\" * 500_000 + "}",
        "a\n" * 500_000,
    ],
    ids=["long-block", "opening", "closing", "many-questions", "colons", "digits", "weight",
         "backslashes", "lines"],
)  # fmt: skip
def test_a_megabyte_parses_quickly(text):
    assert len(text) >= 400_000
    started = time.perf_counter()
    gift.parse(text)
    assert time.perf_counter() - started < 5  # linear: about 0.1 s here


# Round trip: parse(dump(questions)) == questions -------------------------------------------------

# Texts as the reader leaves them: no surrounding whitespace, no carriage return, none of the
# reserved characters, no BLANK; every special character of GIFT included.
text_chars = st.one_of(
    st.sampled_from(list("~=#{}:\\%[]->/ \t\nTF$aé🙂")),
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\ufffc"),
).filter(lambda c: not "\ufdd0" <= c <= "\ufdef")
texts = st.text(text_chars, max_size=12).map(lambda t: t.strip(gift._WS))
nonempty = texts.filter(bool)
words = st.sampled_from(["[html]", "[plain]x", "%50%", "%x%y", "//c", "::", "$CATEGORY: c",
                         "T", "TRUE", "#", "####", "\\n", "a->b"])  # fmt: skip
answer_texts = st.one_of(nonempty, words)
fractions_ = st.sampled_from([0.1, 0.25, 1 / 3, 0.5, 0.75, 0.9, 0.0001, 0.123456789])
numbers = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def question_texts(draw, blank: bool | None = False) -> str:
    text = draw(texts)
    if blank is None:
        blank = draw(st.booleans())
    if blank:
        after = draw(nonempty)
        text = draw(texts) + BLANK + after
    return text


@st.composite
def choice_questions(draw, kind: str) -> GiftQuestion:
    count = draw(st.integers(2, 5))
    labels = draw(st.lists(answer_texts, min_size=count, max_size=count))
    feedback = draw(st.lists(st.one_of(st.just(""), texts), min_size=count, max_size=count))
    if kind == "multiple_answers":
        rights = draw(st.integers(1, count))
        weights = [1 / rights] * rights + [
            draw(st.sampled_from([0.0, -0.5, -1.0])) for _ in range(count - rights)
        ]
        answers = [GiftAnswer(t, w, w > 0, f) for t, w, f in zip(labels, weights, feedback,
                                                                    strict=True)]  # fmt: skip
        text = draw(question_texts(None))
    else:
        others = [draw(st.one_of(st.just(0.0), fractions_, fractions_.map(lambda f: -f)))
                  for _ in range(count - 1)]  # fmt: skip
        weights = [1.0, *others]
        answers = [GiftAnswer(t, w, w == 1, f) for t, w, f in zip(labels, weights, feedback,
                                                                     strict=True)]  # fmt: skip
        answers = draw(st.permutations(answers))
        text = draw(question_texts(kind == "missing_word"))
    return GiftQuestion(kind, text, answers=list(answers))


@st.composite
def short_answer_questions(draw) -> GiftQuestion:
    labels = draw(st.lists(answer_texts.filter(lambda t: "->" not in t), min_size=1, max_size=4))
    weights = [1.0] + [draw(st.one_of(st.just(1.0), st.just(0.0), fractions_))
                       for _ in labels[1:]]  # fmt: skip
    answers = [
        GiftAnswer(t, w, w == 1, draw(texts.filter(lambda f: "->" not in f)))
        for t, w in zip(labels, weights, strict=True)
    ]
    return GiftQuestion("short_answer", draw(question_texts(None)), answers=answers)


@st.composite
def true_false_questions(draw) -> GiftQuestion:
    truth = draw(st.booleans())
    return GiftQuestion(
        "true_false",
        draw(question_texts(None)),
        answers=[GiftAnswer("true", float(truth), truth, draw(texts)),
                 GiftAnswer("false", float(not truth), not truth, draw(texts))],
    )  # fmt: skip


@st.composite
def numeric_answers(draw, weight: float) -> GiftAnswer:
    answer = GiftAnswer(weight=weight, correct=weight == 1, feedback=draw(texts))
    if draw(st.booleans()):
        answer.value = draw(numbers)
        answer.tolerance = abs(draw(numbers))
    else:
        answer.min, answer.max = sorted([draw(numbers), draw(numbers)])
    return answer


@st.composite
def numeric_questions(draw) -> GiftQuestion:
    answers = [draw(numeric_answers(1.0))]
    answers += draw(st.lists(fractions_.flatmap(numeric_answers), max_size=3))
    if draw(st.booleans()):
        answers.append(GiftAnswer("*", feedback=draw(texts)))
    return GiftQuestion("numeric", draw(question_texts(None)), answers=answers)


@st.composite
def matching_questions(draw) -> GiftQuestion:
    lefts = draw(st.lists(nonempty.filter(lambda t: "->" not in t), min_size=2, max_size=4))
    lefts += draw(st.lists(st.just(""), max_size=1))
    answers = [GiftAnswer(weight=1.0, correct=True, left=left, right=draw(nonempty))
               for left in lefts]  # fmt: skip
    return GiftQuestion("matching", draw(question_texts(None)), answers=answers)


@st.composite
def other_questions(draw) -> GiftQuestion:
    kind = draw(st.sampled_from(["essay", "description"]))
    if kind == "essay":
        return GiftQuestion("essay", draw(question_texts(None)))
    return GiftQuestion("description", draw(nonempty))


@st.composite
def questions(draw) -> GiftQuestion:
    question = draw(st.one_of(
        choice_questions("multiple_choice"), choice_questions("missing_word"),
        choice_questions("multiple_answers"), short_answer_questions(), true_false_questions(),
        numeric_questions(), matching_questions(), other_questions(),
    ))  # fmt: skip
    question.title = draw(st.one_of(st.just(""), texts))
    question.text_format = draw(st.sampled_from(gift.FORMATS))
    if question.kind != "description":
        question.general_feedback = draw(st.one_of(st.just(""), texts))
    return question


@st.composite
def question_lists(draw) -> list[GiftQuestion]:
    result = draw(st.lists(questions(), max_size=6))
    category = ""
    for question in result:
        if draw(st.integers(0, 3)) == 0:
            category = draw(nonempty.filter(lambda t: "\n" not in t))
        question.category = category
    return result


# 150 examples keep the suite quick (about 7 s); 5,000 passed when this was written.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question_lists())
def test_round_trip(generated):
    written = gift.dump(generated)
    parsed, errors = gift.parse(written, "round.gift")
    assert errors == []
    assert parsed == generated
    assert gift.dump(parsed) == written


# Fuzzing: never an exception, only errors ---------------------------------------------------------

FRAGMENTS = ["{", "}", "~", "=", "#", "####", "::", ":", "->", "..", "%", "%50%", "%-%", "\\",
             "\\n", "\n", "\n\n", "\r", "//", "$CATEGORY:", "[html]", "[", "T", "#1..", "\ufeff",
             "\ufffc", "\ufdd0", "\x00", "\u2028", "1e999", "-"]  # fmt: skip
VALID = EXAMPLES.read_text(encoding="utf-8")


def check(text: str) -> None:
    questions, errors = gift.parse(text, "fuzz.gift")
    for message in errors:
        assert MESSAGE.fullmatch(message), message
    for question in questions:
        assert question.kind in gift.KINDS
        assert question.line >= 1
    gift.unsupported(questions)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=60))
def test_random_text_never_raises(pieces):
    check("".join(pieces))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 20),
                          st.sampled_from(FRAGMENTS)), min_size=1, max_size=8))  # fmt: skip
def test_mutated_valid_files_never_raise(edits):
    text = VALID
    for position, deleted, inserted in edits:
        position = min(position, len(text))
        text = text[:position] + inserted + text[position + deleted :]
    check(text)
