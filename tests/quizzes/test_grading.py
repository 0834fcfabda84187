"""The graders: normalising text and numbers, the stored form, grading and the answer text.

These are pure functions: no database. Types are written as the plain strings that authors write
and that the database stores.
"""

import json

import pytest

from quizzes.grading import (
    Grade,
    answer_text,
    grade,
    key_response,
    normalise,
    parse_number,
    stored_form,
)
from quizzes.models import QuestionType

RIGHT = Grade(1.0, True)
WRONG = Grade(0.0, False)

# One authored question of every type, as in docs/authoring.md. Matching rights and ordering items
# are deliberately not in alphabetical order, so that the sorted body differs from the answer.
AUTHORED = {
    "single_choice": {
        "choices": [
            "No military alliances",
            "No foreign military bases on Vietnamese territory",
            "No reliance on any country to combat others",
            "No trade with capitalist states",
        ],
        "answer": "No trade with capitalist states",
    },
    "multiple_response": {
        "choices": ["No military alliances", "No foreign investment", "No foreign military bases"],
        "answers": ["No foreign military bases", "No military alliances"],
    },
    "true_false": {"answer": False},
    "short_answer": {"answers": ["Three Nos", "The Three Nos", "3 Nos"]},
    "numeric": {"answer": 1989, "tolerance": 0},
    "matching": {
        "pairs": [
            {"left": "Allying with the United States", "right": "the Party"},
            {"left": "Allying with China", "right": "the country"},
            {"left": "Allying with Laos", "right": "nothing"},
        ]
    },
    "ordering": {
        "items": [
            "Vietnam withdraws from Cambodia",
            "China attacks Vietnam",
            "Johnson South Reef is annexed",
        ]
    },
    "cloze": {"text": "Vietnam withdrew from [[Cambodia|Kampuchea]] in [[1989]]."},
}


def test_the_examples_cover_every_question_type():
    assert set(AUTHORED) == set(QuestionType.values)


# normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Three Nos", "three nos"),
        ("THREE NOS", "three nos"),
        ("Hà Nội", "ha noi"),
        ("ha noi", "ha noi"),
        ("Đà Nẵng", "da nang"),
        ("đà nẵng", "da nang"),
        ("Vietnam’s", "vietnams"),
        ("Vietnam's", "vietnams"),
        ("Vietnams", "vietnams"),
        ("“Three Nos”", "three nos"),
        ('"Three Nos"', "three nos"),
        ("U.S.", "us"),
        ("US", "us"),
        ("three-nos", "three nos"),
        ("three–nos", "three nos"),  # en dash
        ("three—nos", "three nos"),  # em dash
        ("  Three   Nos \t\n", "three nos"),
        ("  Hà-Nội! ", "ha noi"),
        ("", ""),
        ("   ", ""),
        ("?!", ""),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hà Nội", "ha noi"),
        ("Đà Nẵng", "da nang"),
        ("Vietnam’s", "Vietnams"),
        ("U.S.", "US"),
        ("three-nos", "three nos"),
        ("  Three   Nos ", "three nos"),
    ],
)
def test_normalise_makes_equivalent_answers_equal(a, b):
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize(("a", "b"), [("Hà Nội", "Hải Phòng"), ("three nos", "threenos")])
def test_normalise_keeps_different_answers_different(a, b):
    assert normalise(a) != normalise(b)


# parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 1977 ", 1977.0),
        ("1977", 1977.0),
        ("1,977", 1977.0),
        ("1,977,000", 1977000.0),
        ("1,977.5", 1977.5),
        ("1977.0", 1977.0),
        ("−3", -3.0),  # U+2212 MINUS SIGN
        ("-3", -3.0),
        ("+3", 3.0),
        ("0.25", 0.25),
    ],
)
def test_parse_number_reads_numbers_as_people_type_them(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "",
        "   ",
        "inf",
        "-inf",
        "Infinity",
        "nan",
        "1,97",  # not a thousands group
        "19,77",
        "1,9770",
        "1977 years",
        "1.977.000",
    ],
)
def test_parse_number_rejects_what_is_not_a_finite_number(text):
    assert parse_number(text) is None


# stored_form


def test_stored_form_single_choice_keeps_choices_and_keys_the_answer_by_index():
    body, key = stored_form("single_choice", AUTHORED["single_choice"])

    assert body == {"choices": AUTHORED["single_choice"]["choices"]}
    assert key == {"choice": 3}


def test_stored_form_multiple_response_keys_sorted_indices():
    body, key = stored_form("multiple_response", AUTHORED["multiple_response"])

    assert body == {"choices": AUTHORED["multiple_response"]["choices"]}
    assert key == {"choices": [0, 2]}


@pytest.mark.parametrize("answer", [True, False])
def test_stored_form_true_false_has_an_empty_body(answer):
    assert stored_form("true_false", {"answer": answer}) == ({}, {"value": answer})


def test_stored_form_short_answer_keeps_every_accepted_answer_in_the_key_only():
    body, key = stored_form("short_answer", AUTHORED["short_answer"])

    assert body == {}
    assert key == {"accepted": ["Three Nos", "The Three Nos", "3 Nos"]}


@pytest.mark.parametrize(
    ("authored", "expected"),
    [
        ({"answer": 1989}, ({}, {"value": 1989, "tolerance": 0})),
        ({"answer": 1989, "tolerance": None}, ({}, {"value": 1989, "tolerance": 0})),
        ({"answer": 1977, "tolerance": 1}, ({}, {"value": 1977, "tolerance": 1})),
        (
            {"answer": 2.5, "tolerance": 0.5, "unit": "km"},
            ({"unit": "km"}, {"value": 2.5, "tolerance": 0.5}),
        ),
        ({"answer": 3, "unit": ""}, ({}, {"value": 3, "tolerance": 0})),
    ],
)
def test_stored_form_numeric_shows_only_the_unit(authored, expected):
    assert stored_form("numeric", authored) == expected


def test_stored_form_matching_sorts_the_rights_and_keys_them_by_index():
    pairs = AUTHORED["matching"]["pairs"]

    body, key = stored_form("matching", AUTHORED["matching"])

    assert body["lefts"] == [pair["left"] for pair in pairs]
    assert body["rights"] == sorted(pair["right"] for pair in pairs)
    assert body["rights"] != [pair["right"] for pair in pairs]
    assert key == {"matches": [1, 2, 0]}
    assert [body["rights"][m] for m in key["matches"]] == [pair["right"] for pair in pairs]


def test_stored_form_ordering_sorts_the_items_and_keys_the_order_by_index():
    items = AUTHORED["ordering"]["items"]

    body, key = stored_form("ordering", AUTHORED["ordering"])

    assert body == {"items": sorted(items)}
    assert body["items"] != items
    assert key == {"order": [2, 0, 1]}
    assert [body["items"][i] for i in key["order"]] == items


def test_stored_form_cloze_keeps_the_answers_out_of_the_body():
    body, key = stored_form("cloze", AUTHORED["cloze"])

    assert body == {"texts": ["Vietnam withdrew from ", " in ", "."]}
    assert key == {"blanks": [["Cambodia", "Kampuchea"], ["1989"]]}
    shown = json.dumps(body)
    assert "Cambodia" not in shown
    assert "Kampuchea" not in shown
    assert "1989" not in shown


def test_stored_form_cloze_trims_alternatives_and_drops_empty_ones():
    _, key = stored_form("cloze", {"text": "In [[ 1989 | nineteen eighty-nine || ]]."})

    assert key == {"blanks": [["1989", "nineteen eighty-nine"]]}


@pytest.mark.parametrize("qtype", AUTHORED)
def test_the_key_response_of_a_stored_form_is_graded_right(qtype):
    _, key = stored_form(qtype, AUTHORED[qtype])

    assert grade(qtype, key, key_response(qtype, key)) == RIGHT


@pytest.mark.parametrize(
    ("qtype", "options", "field"),
    [
        ("single_choice", "choices", "choice"),
        ("multiple_response", "choices", "choices"),
        ("matching", "rights", "matches"),
        ("ordering", "items", "order"),
    ],
)
def test_the_key_indices_point_into_the_body(qtype, options, field):
    body, key = stored_form(qtype, AUTHORED[qtype])
    indices = key[field] if isinstance(key[field], list) else [key[field]]

    assert indices
    assert all(0 <= i < len(body[options]) for i in indices)


def test_unknown_types_raise():
    with pytest.raises(ValueError, match="essay"):
        stored_form("essay", {})
    with pytest.raises(ValueError, match="essay"):
        key_response("essay", {})
    with pytest.raises(ValueError, match="essay"):
        answer_text("essay", {}, {})


# grade, type by type


@pytest.mark.parametrize(("choice", "expected"), [(2, RIGHT), (0, WRONG), (3, WRONG)])
def test_grade_single_choice(choice, expected):
    assert grade("single_choice", {"choice": 2}, {"choice": choice}) == expected


@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        ([0, 2], RIGHT),
        ([2, 0], RIGHT),
        ([0, 2, 2], RIGHT),
        ([0], Grade(0.5, False)),  # one of two right picks
        ([0, 1, 2], Grade(0.5, False)),  # two right picks, one wrong
        ([0, 1], WRONG),  # one right, one wrong
        ([1, 3], WRONG),  # two wrong: floored at 0, not -1
        ([0, 1, 3], WRONG),  # floored at 0, not -0.5
        ([], WRONG),
    ],
)
def test_grade_multiple_response_gives_right_minus_wrong_picks_over_answers(choices, expected):
    assert grade("multiple_response", {"choices": [0, 2]}, {"choices": choices}) == expected


def test_grade_multiple_response_partial_credit_with_three_answers():
    result = grade("multiple_response", {"choices": [0, 1, 2]}, {"choices": [0, 1, 3]})

    assert result.score == pytest.approx(1 / 3)
    assert not result.correct


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [(True, True, RIGHT), (False, False, RIGHT), (True, False, WRONG), (False, True, WRONG)],
)
def test_grade_true_false(key, value, expected):
    assert grade("true_false", {"value": key}, {"value": value}) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Three Nos",
        "three nos",
        "  THREE   NOS  ",
        "three-nos",
        "Three Nos.",
        "“The Three Nos”",
        "the three nos",
        "3 Nos",
    ],
)
def test_grade_short_answer_accepts_any_accepted_answer_after_normalising(text):
    key = {"accepted": ["Three Nos", "The Three Nos", "3 Nos"]}

    assert grade("short_answer", key, {"text": text}) == RIGHT


@pytest.mark.parametrize("text", ["Two Nos", "Nos", "three", "", "   ", "?!"])
def test_grade_short_answer_rejects_other_answers(text):
    key = {"accepted": ["Three Nos", "The Three Nos", "3 Nos"]}

    assert grade("short_answer", key, {"text": text}) == WRONG


@pytest.mark.parametrize("text", ["Hà Nội", "ha noi", "HA-NOI", "Hà Nội!"])
def test_grade_short_answer_ignores_accents(text):
    assert grade("short_answer", {"accepted": ["Hà Nội"]}, {"text": text}) == RIGHT


def test_grade_short_answer_rejects_an_empty_answer_even_if_an_accepted_answer_normalises_to_it():
    assert grade("short_answer", {"accepted": ["?"]}, {"text": "!"}) == WRONG


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1977", RIGHT),
        ("1976", RIGHT),  # lower boundary
        ("1978", RIGHT),  # upper boundary
        ("1976.5", RIGHT),
        (" 1,977 ", RIGHT),
        ("1977.0", RIGHT),
        ("1975", WRONG),
        ("1979", WRONG),
        ("1975.99", WRONG),
        ("1978.01", WRONG),
        ("abc", WRONG),
        ("", WRONG),
    ],
)
def test_grade_numeric_within_tolerance(text, expected):
    assert grade("numeric", {"value": 1977, "tolerance": 1}, {"text": text}) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("1989", RIGHT), ("1989.0", RIGHT), ("1988", WRONG), ("1990", WRONG)]
)
def test_grade_numeric_without_tolerance_needs_the_exact_value(text, expected):
    assert grade("numeric", {"value": 1989, "tolerance": 0}, {"text": text}) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("0.4", RIGHT), ("0.2", RIGHT), ("0.41", WRONG), ("0.19", WRONG)]
)
def test_grade_numeric_tolerance_boundaries_survive_float_rounding(text, expected):
    assert grade("numeric", {"value": 0.3, "tolerance": 0.1}, {"text": text}) == expected


@pytest.mark.parametrize("text", ["−3", "-3", " -3.0 "])
def test_grade_numeric_negative_answers(text):
    assert grade("numeric", {"value": -3, "tolerance": 0}, {"text": text}) == RIGHT


@pytest.mark.parametrize(
    ("matches", "score"),
    [
        ([1, 0, 2], 1.0),
        ([1, 2, 0], 1 / 3),
        ([2, 0, 1], 1 / 3),
        ([1, 0, 0], 2 / 3),
        ([0, 2, 1], 0.0),
        ([5, 5, 5], 0.0),
    ],
)
def test_grade_matching_gives_credit_per_pair(matches, score):
    result = grade("matching", {"matches": [1, 0, 2]}, {"matches": matches})

    assert result.score == pytest.approx(score)
    assert result.correct is (score == 1.0)


@pytest.mark.parametrize(
    ("order", "expected"),
    [([2, 0, 1], RIGHT), ([2, 1, 0], WRONG), ([0, 1, 2], WRONG), ([1, 2, 0], WRONG)],
)
def test_grade_ordering_is_all_or_nothing(order, expected):
    assert grade("ordering", {"order": [2, 0, 1]}, {"order": order}) == expected


@pytest.mark.parametrize(
    ("blanks", "expected"),
    [
        (["Cambodia", "1989"], RIGHT),
        (["kampuchea", " 1989 "], RIGHT),
        (["CAMBODIA.", "1989"], RIGHT),
        (["Cambodia", "1988"], Grade(0.5, False)),
        (["Laos", "1989"], Grade(0.5, False)),
        (["Laos", "1979"], WRONG),
        (["", ""], WRONG),
        (["1989", "Cambodia"], WRONG),
    ],
)
def test_grade_cloze_gives_credit_per_blank(blanks, expected):
    key = {"blanks": [["Cambodia", "Kampuchea"], ["1989"]]}

    assert grade("cloze", key, {"blanks": blanks}) == expected


# grade, malformed responses: wrong, never an exception

KEYS = {
    "single_choice": {"choice": 1},
    "multiple_response": {"choices": [0, 1]},
    "true_false": {"value": True},
    "short_answer": {"accepted": ["Three Nos"]},
    "numeric": {"value": 1977, "tolerance": 1},
    "matching": {"matches": [1, 0, 2]},
    "ordering": {"order": [1, 0, 2]},
    "cloze": {"blanks": [["Cambodia"], ["1989"]]},
}


@pytest.mark.parametrize("qtype", KEYS)
@pytest.mark.parametrize(
    "response", [None, "1", "Three Nos", 1, True, [1, 0, 2], {}, {"unexpected": 1}]
)
def test_grade_treats_a_response_of_the_wrong_shape_as_wrong(qtype, response):
    assert grade(qtype, KEYS[qtype], response) == WRONG


@pytest.mark.parametrize(
    ("qtype", "response"),
    [
        ("single_choice", {"choice": None}),
        ("single_choice", {"choice": "1"}),
        ("single_choice", {"choice": [1]}),
        ("multiple_response", {"choices": None}),
        ("multiple_response", {"choices": "0,1"}),
        ("multiple_response", {"choices": 0}),
        ("multiple_response", {"choices": [False, True]}),  # bools are not indices
        ("multiple_response", {"choices": [0, "1"]}),
        ("multiple_response", {"choices": [0.0, 1.0]}),
        ("multiple_response", {"choices": {0: True, 1: True}}),
        ("true_false", {"value": "true"}),
        ("true_false", {"value": "True"}),
        ("true_false", {"value": 1}),
        ("true_false", {"value": None}),
        ("short_answer", {"text": ""}),
        ("numeric", {"text": None}),
        ("numeric", {"text": True}),
        ("numeric", {"text": [1977]}),
        ("numeric", {"text": "inf"}),
        ("numeric", {"text": "nan"}),
        ("numeric", {"text": "1977 AD"}),
        ("matching", {"matches": None}),
        ("matching", {"matches": "102"}),
        ("matching", {"matches": [1, 0]}),  # too short
        ("matching", {"matches": [1, 0, 2, 0]}),  # too long
        ("matching", {"matches": [True, False, 2]}),  # bools are not indices
        ("matching", {"matches": ["1", "0", "2"]}),
        ("matching", {"matches": [1.0, 0.0, 2.0]}),
        ("ordering", {"order": None}),
        ("ordering", {"order": "102"}),
        ("ordering", {"order": [1, 0]}),
        ("ordering", {"order": [1, 0, 2, 2]}),
        ("ordering", {"order": [True, False, 2]}),  # bools are not indices
        ("ordering", {"order": ["1", "0", "2"]}),
        ("cloze", {"blanks": None}),
        ("cloze", {"blanks": "Cambodia 1989"}),
        ("cloze", {"blanks": {"0": "Cambodia", "1": "1989"}}),
        ("cloze", {"blanks": ["Cambodia"]}),  # too short: no credit for the first blank
        ("cloze", {"blanks": ["Cambodia", "1989", "extra"]}),  # too long
    ],
)
def test_grade_treats_malformed_fields_as_wrong(qtype, response):
    assert grade(qtype, KEYS[qtype], response) == WRONG


@pytest.mark.parametrize(("key", "value"), [(True, "true"), (False, "false"), (False, 0)])
def test_grade_true_false_needs_a_real_bool(key, value):
    assert grade("true_false", {"value": key}, {"value": value}) == WRONG


# answer_text


@pytest.mark.parametrize(
    ("qtype", "authored", "expected"),
    [
        ("single_choice", AUTHORED["single_choice"], "No trade with capitalist states"),
        (
            "multiple_response",
            AUTHORED["multiple_response"],
            "No military alliances; No foreign military bases",
        ),
        ("true_false", {"answer": False}, "False"),
        ("true_false", {"answer": True}, "True"),
        ("short_answer", AUTHORED["short_answer"], "Three Nos"),
        ("numeric", {"answer": 1989, "tolerance": 0}, "1989"),
        ("numeric", {"answer": 1977, "tolerance": 1}, "1977 (± 1)"),
        ("numeric", {"answer": 1977.0}, "1977"),
        ("numeric", {"answer": 2.5, "tolerance": 0.5, "unit": "km"}, "2.5 (± 0.5) km"),
        ("numeric", {"answer": 40, "unit": "%"}, "40 %"),
        (
            "matching",
            AUTHORED["matching"],
            "Allying with the United States → the Party; "
            "Allying with China → the country; "
            "Allying with Laos → nothing",
        ),
        (
            "ordering",
            AUTHORED["ordering"],
            "Vietnam withdraws from Cambodia → China attacks Vietnam → "
            "Johnson South Reef is annexed",
        ),
        ("cloze", AUTHORED["cloze"], "Vietnam withdrew from Cambodia in 1989."),
        ("cloze", {"text": "[[Hanoi]] is the capital."}, "Hanoi is the capital."),
    ],
)
def test_answer_text(qtype, authored, expected):
    body, key = stored_form(qtype, authored)

    assert answer_text(qtype, body, key) == expected


@pytest.mark.parametrize(
    ("qtype", "key", "response"),
    [
        ("single_choice", {"choice": 1}, {"choice": True}),
        ("single_choice", {"choice": 0}, {"choice": False}),
        ("single_choice", {"choice": 1}, {"choice": 1.0}),
        ("short_answer", {"accepted": ["Three Nos"]}, {"text": ["Three Nos"]}),
        ("short_answer", {"accepted": ["None"]}, {"text": None}),
        ("cloze", {"blanks": [["Cambodia"], ["1989"]]}, {"blanks": [["Cambodia"], 1989]}),
        ("numeric", {"value": 1977, "tolerance": 0}, {"text": 1977}),
        ("numeric", {"value": 1977, "tolerance": 0}, {"text": "1_977"}),
        ("numeric", {"value": 1000, "tolerance": 0}, {"text": "1e3"}),
    ],
)
def test_responses_of_the_wrong_kind_are_wrong_even_when_they_look_alike(qtype, key, response):
    assert grade(qtype, key, response) == Grade(0.0, False)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ({"value": 12345.67, "tolerance": 0}, "12345.67"),
        ({"value": 1234567.0, "tolerance": 0.5}, "1234567 (± 0.5)"),
        ({"value": 1977, "tolerance": 0}, "1977"),
    ],
)
def test_numeric_answers_are_shown_without_rounding(key, expected):
    assert answer_text("numeric", {}, key) == expected
