"""Weights (partial credit per option) and per-option feedback in the graders (issue 12).

Pure functions, no database: the stored form of the new lesson-file shape, grading with weights,
and which feedback a response gets.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizzes.grading import (
    Grade,
    accepts,
    answer_text,
    feedback_for,
    grade,
    key_response,
    meaning_hash,
    stored_feedback,
    stored_form,
    wrong_parts,
)

RIGHT = Grade(1.0, True)
WRONG = Grade(0.0, False)
CHOICES = ["Alliances", "Bases", "Reliance", "Trade"]


def graded(qtype: str, authored: dict, response: dict) -> Grade:
    _, key = stored_form(qtype, authored)
    return grade(qtype, key, response)


def shown(qtype: str, authored: dict, response: dict) -> list[tuple[str, str]]:
    body, key = stored_form(qtype, authored)
    return feedback_for(qtype, body, key, stored_feedback(qtype, authored), response)


# Without weights, nothing is stored that was not before ------------------------------------------


@pytest.mark.parametrize(
    ("qtype", "authored", "body", "key"),
    [
        (
            "single_choice",
            {"choices": ["A", "B"], "answer": "B"},
            {"choices": ["A", "B"]},
            {"choice": 1},
        ),
        (
            "multiple_response",
            {"choices": ["A", "B", "C"], "answers": ["C", "A"]},
            {"choices": ["A", "B", "C"]},
            {"choices": [0, 2]},
        ),
        (
            "short_answer",
            {"answers": ["Three Nos", "3 Nos"]},
            {},
            {"accepted": ["Three Nos", "3 Nos"]},
        ),
        ("numeric", {"answer": 1989, "tolerance": 0}, {}, {"value": 1989, "tolerance": 0}),
    ],
)
def test_a_question_without_weights_is_stored_as_before(qtype, authored, body, key):
    assert stored_form(qtype, authored) == (body, key)
    assert stored_feedback(qtype, authored) == {}


@pytest.mark.parametrize(
    ("qtype", "plain", "as_mappings"),
    [
        (
            "single_choice",
            {"choices": ["A", "B", "C"], "answer": "B"},
            {
                "choices": [
                    {"text": "A", "feedback": "Not A.", "weight": 0},
                    {"text": "B", "feedback": "", "weight": 1},
                    {"text": "C", "weight": None},
                ],
                "answer": "B",
            },
        ),
        (
            "multiple_response",
            {"choices": ["A", "B", "C", "D"], "answers": ["A", "C", "D"]},
            # Today's scoring written out: 1/3 for each answer, -1/3 for the other (as Moodle
            # writes thirds: 33.33333%).
            {
                "choices": [
                    {"text": "A", "weight": 0.3333333},
                    {"text": "B", "weight": -0.3333333},
                    {"text": "C", "weight": 0.3333333},
                    {"text": "D", "weight": 0.3333334, "feedback": "D is right."},
                ],
                "answers": ["A", "C", "D"],
            },
        ),
        (
            "short_answer",
            {"answers": ["Three Nos", "3 Nos"], "also_accept": ["three no"]},
            {
                "answers": [{"text": "Three Nos", "weight": 1, "feedback": "Yes."}, "3 Nos"],
                "also_accept": ["three no"],
            },
        ),
        (
            "numeric",
            {"answer": 1989, "tolerance": 1, "unit": "AD"},
            {
                "answer": 1989,
                "tolerance": 1,
                "unit": "AD",
                "feedback": "Yes.",
                "alternatives": [],
                "other_feedback": "No.",
            },
        ),
    ],
)
def test_mappings_and_weights_that_grade_as_the_default_keep_the_meaning(qtype, plain, as_mappings):
    body, key = stored_form(qtype, plain)
    assert stored_form(qtype, as_mappings) == (body, key)
    assert meaning_hash(qtype, "Q?", *stored_form(qtype, as_mappings)) == meaning_hash(
        qtype, "Q?", body, key
    )


# Single choice -------------------------------------------------------------------------------

WEIGHTED_SINGLE = {
    "choices": [
        {"text": "Alliances", "weight": 0.5, "feedback": "Half of it."},
        {"text": "Bases", "feedback": "**Right.**"},
        "Reliance",
        {"text": "Trade", "weight": 0.25},
    ],
    "answer": "Bases",
}


def test_a_single_choice_stores_a_weight_per_choice_with_the_answer_worth_1():
    body, key = stored_form("single_choice", WEIGHTED_SINGLE)
    assert body == {"choices": CHOICES}
    assert key == {"choice": 1, "weights": [0.5, 1.0, 0.0, 0.25]}
    assert stored_feedback("single_choice", WEIGHTED_SINGLE) == {
        "choices": {"0": "Half of it.", "1": "**Right.**"}
    }


@pytest.mark.parametrize(
    ("choice", "expected"),
    [(1, RIGHT), (0, Grade(0.5, False)), (3, Grade(0.25, False)), (2, WRONG), (9, WRONG)],
)
def test_a_weighted_single_choice_gives_its_weight_and_is_correct_only_for_the_answer(
    choice, expected
):
    assert graded("single_choice", WEIGHTED_SINGLE, {"choice": choice}) == expected


def test_a_weight_on_a_wrong_choice_changes_the_meaning():
    plain = {"choices": CHOICES, "answer": "Bases"}
    assert meaning_hash("single_choice", "Q?", *stored_form("single_choice", plain)) != (
        meaning_hash("single_choice", "Q?", *stored_form("single_choice", WEIGHTED_SINGLE))
    )


# Multiple response ---------------------------------------------------------------------------

WEIGHTED_MULTIPLE = {
    "choices": [
        {"text": "Alliances", "weight": 0.5},
        {"text": "Bases", "weight": 0.5, "feedback": "Yes, bases."},
        {"text": "Reliance", "weight": -0.5, "feedback": "Not this one."},
        "Trade",
    ],
    "answers": ["Alliances", "Bases"],
}


@pytest.mark.parametrize(
    ("picks", "expected"),
    [
        ([0, 1], RIGHT),
        ([1, 0, 0], RIGHT),
        ([0], Grade(0.5, False)),
        ([0, 3], Grade(0.5, False)),  # a choice without a weight is worth 0
        ([0, 2], WRONG),  # 0.5 - 0.5
        ([2], WRONG),  # never below 0
        ([0, 1, 3], Grade(1.0, False)),  # full marks by weight, but not exactly the answers
        ([0, 1, 2], Grade(0.5, False)),
        ([], WRONG),
    ],
)
def test_a_weighted_multiple_response_sums_the_picked_weights(picks, expected):
    assert graded("multiple_response", WEIGHTED_MULTIPLE, {"choices": picks}) == expected


def test_weights_over_1_in_sum_are_capped_and_thirds_still_give_full_marks():
    thirds = {
        "choices": [{"text": t, "weight": 0.333} for t in ("A", "B", "C")] + ["D"],
        "answers": ["A", "B", "C"],
    }
    assert graded("multiple_response", thirds, {"choices": [0, 1, 2]}) == RIGHT
    assert graded("multiple_response", thirds, {"choices": [0, 1]}) == Grade(0.666, False)
    lopsided = {
        "choices": [{"text": "A", "weight": 0.9}, {"text": "B", "weight": 0.1}, "C"],
        "answers": ["A", "B"],
    }
    _, key = stored_form("multiple_response", lopsided)
    key["weights"][2] = 0.5  # a key written by hand; the schema refuses it in a file
    assert grade("multiple_response", key, {"choices": [0, 2]}) == Grade(1.0, False)


def test_a_multiple_response_without_weights_keeps_todays_scoring():
    plain = {"choices": CHOICES, "answers": ["Alliances", "Bases"]}
    assert graded("multiple_response", plain, {"choices": [0, 2]}) == WRONG  # (1 - 1) / 2
    assert graded("multiple_response", plain, {"choices": [0]}) == Grade(0.5, False)
    assert graded("multiple_response", plain, {"choices": [0, 1]}) == RIGHT


# Short answer --------------------------------------------------------------------------------

WEIGHTED_SHORT = {
    "answers": [
        {"text": "Non-alignment", "weight": 0, "feedback": "What it is, not its name."},
        {"text": "Four Nos", "weight": 0.5, "feedback": "The fourth came in 2019."},
        {"text": "Three Nos", "feedback": "Yes."},
        "3 Nos",
    ],
    "also_accept": ["the three no's policy"],
    "typos": True,
}


def test_a_short_answer_stores_its_answers_in_order_with_their_weights():
    body, key = stored_form("short_answer", WEIGHTED_SHORT)
    assert body == {}
    assert key == {
        "accepted": ["Non-alignment", "Four Nos", "Three Nos", "3 Nos", "the three no's policy"],
        "weights": [0.0, 0.5, 1.0, 1.0],
        "typos": True,
    }
    assert stored_feedback("short_answer", WEIGHTED_SHORT) == {
        "answers": {"0": "What it is, not its name.", "1": "The fourth came in 2019.", "2": "Yes."}
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("three nos", RIGHT),
        ("3 Nos", RIGHT),
        ("The three no's policy", RIGHT),  # also_accept: worth 1
        ("four NOS", Grade(0.5, False)),
        ("non alignment", WRONG),  # recognised, worth 0
        ("Thre Nos", Grade(1.0, True, "Accepted: check the spelling")),
        ("Non-alignmant", WRONG),  # a near miss of a wrong answer: no note
        ("Two Nos", WRONG),
    ],
)
def test_a_weighted_short_answer_scores_its_match_and_is_correct_only_at_weight_1(text, expected):
    assert graded("short_answer", WEIGHTED_SHORT, {"text": text}) == expected


def test_the_first_matching_answer_in_file_order_wins():
    half_first = {"answers": [{"text": "Laos", "weight": 0.5}, "the Laos"]}
    full_first = {"answers": ["the Laos", {"text": "Laos", "weight": 0.5}]}
    assert graded("short_answer", half_first, {"text": "laos"}) == Grade(0.5, False)
    assert graded("short_answer", full_first, {"text": "laos"}) == RIGHT


def test_the_right_answer_of_a_short_answer_is_its_first_worth_full_marks():
    _, key = stored_form("short_answer", WEIGHTED_SHORT)
    assert key_response("short_answer", key) == {"text": "Three Nos"}
    assert answer_text("short_answer", {}, key) == "Three Nos"
    assert grade("short_answer", key, key_response("short_answer", key)) == RIGHT


def test_a_weighted_answer_is_not_offered_for_acceptance_after_the_fact():
    """Its author gave it its score: accepting it would not change a grade."""
    _, key = stored_form("short_answer", WEIGHTED_SHORT)
    assert accepts("short_answer", key, -1, "Four Nos")
    assert wrong_parts("short_answer", key, {"text": "Four Nos"}) == []
    assert wrong_parts("short_answer", key, {"text": "Two Nos"}) == [(-1, "Two Nos")]


# Numeric -------------------------------------------------------------------------------------

WITH_ALTERNATIVES = {
    "answer": 1989,
    "tolerance": 0,
    "feedback": "Right.",
    "alternatives": [
        {"answer": 1989, "tolerance": 1, "weight": 0.5, "feedback": "Close."},
        {"answer": 1985, "tolerance": 5, "weight": 0.2},
        {"answer": 1979, "weight": 0, "feedback": "That was the war with China."},
        {"answer": 2000, "tolerance": 0.5, "weight": 1},
    ],
    "other_feedback": "Later than that.",
}


def test_numeric_alternatives_are_stored_in_order():
    _, key = stored_form("numeric", WITH_ALTERNATIVES)
    assert key == {
        "value": 1989,
        "tolerance": 0,
        "alternatives": [
            {"value": 1989, "tolerance": 1, "weight": 0.5},
            {"value": 1985, "tolerance": 5, "weight": 0.2},
            {"value": 1979, "tolerance": 0, "weight": 0.0},
            {"value": 2000, "tolerance": 0.5, "weight": 1.0},
        ],
    }
    assert stored_feedback("numeric", WITH_ALTERNATIVES) == {
        "answer": "Right.",
        "alternatives": {"0": "Close.", "2": "That was the war with China."},
        "other": "Later than that.",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1989", RIGHT),
        ("1988", Grade(0.5, False)),  # the first alternative that holds it wins...
        ("1990", Grade(0.5, False)),
        ("1986", Grade(0.2, False)),  # ...not a later one
        ("1979", WRONG),
        ("2000.5", RIGHT),  # an alternative of weight 1 is right too
        ("1960", WRONG),
        ("about then", WRONG),
    ],
)
def test_numeric_alternatives_are_tried_in_order_after_the_answer(text, expected):
    assert graded("numeric", WITH_ALTERNATIVES, {"text": text}) == expected


# Feedback for a response ---------------------------------------------------------------------


def test_a_single_choice_shows_the_feedback_of_the_picked_option_only():
    assert shown("single_choice", WEIGHTED_SINGLE, {"choice": 0}) == [("Alliances", "Half of it.")]
    assert shown("single_choice", WEIGHTED_SINGLE, {"choice": 1}) == [("Bases", "**Right.**")]
    assert shown("single_choice", WEIGHTED_SINGLE, {"choice": 2}) == []


def test_a_multiple_response_shows_the_feedback_of_each_picked_option_in_order():
    assert shown("multiple_response", WEIGHTED_MULTIPLE, {"choices": [2, 0, 1, 1]}) == [
        ("Bases", "Yes, bases."),
        ("Reliance", "Not this one."),
    ]


def test_true_false_shows_the_feedback_for_the_value_answered():
    authored = {"answer": False, "feedback": {"true": "No: Laos is the exception.", "false": ""}}
    assert stored_feedback("true_false", authored) == {"true": "No: Laos is the exception."}
    assert shown("true_false", authored, {"value": True}) == [("", "No: Laos is the exception.")]
    assert shown("true_false", authored, {"value": False}) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Three Nos", [("", "Yes.")]),
        ("Thre Nos", [("", "Yes.")]),  # a near miss gets its answer's feedback
        ("Four Nos", [("", "The fourth came in 2019.")]),
        ("Nonalignment", [("", "What it is, not its name.")]),  # ...a wrong one's too
        ("3 nos", []),
        ("Two Nos", []),
    ],
)
def test_a_short_answer_shows_the_feedback_of_the_answer_it_matched(text, expected):
    assert shown("short_answer", WEIGHTED_SHORT, {"text": text}) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1989", "Right."),
        ("1988", "Close."),
        ("1979", "That was the war with China."),
        ("1986", None),  # an alternative without feedback
        ("1960", "Later than that."),
        ("some time", "Later than that."),
    ],
)
def test_a_numeric_question_shows_the_feedback_of_its_answer_alternative_or_any_other(
    text, expected
):
    assert shown("numeric", WITH_ALTERNATIVES, {"text": text}) == (
        [("", expected)] if expected else []
    )


def test_an_empty_numeric_response_gets_no_feedback():
    assert shown("numeric", WITH_ALTERNATIVES, {"text": "  "}) == []


AUTHORED = {
    "single_choice": WEIGHTED_SINGLE,
    "multiple_response": WEIGHTED_MULTIPLE,
    "true_false": {"answer": True, "feedback": {"true": "Yes.", "false": "No."}},
    "short_answer": WEIGHTED_SHORT,
    "numeric": WITH_ALTERNATIVES,
}

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@given(
    qtype=st.sampled_from(sorted(AUTHORED)),
    response=_json
    | st.fixed_dictionaries(
        {}, optional={"choice": _json, "choices": _json, "value": _json, "text": _json}
    ),
)
def test_feedback_for_a_malformed_response_never_raises(qtype, response):
    found = shown(qtype, AUTHORED[qtype], response)
    assert all(isinstance(option, str) and text for option, text in found)
