"""The graders: normalising text and numbers, the stored form, grading and the answer text.

These are pure functions: no database. Types are written as the plain strings that authors write
and that the database stores.
"""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from content.schema import Question
from quizzes.grading import (
    Grade,
    answer_text,
    edit_distance,
    grade,
    key_response,
    normalise,
    stored_form,
    typo_allowance,
)
from quizzes.models import Answer, QuestionType, QuestionVersion
from quizzes.views import _verdict

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
        # Invisible format and control characters, as a copy and paste brings them.
        ("ideo\u00adlogy", "ideology"),  # soft hyphen
        ("\u200bideology\ufeff\u200e", "ideology"),  # zero-width space, BOM, LTR mark
        ("\x01\x02", ""),
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


# Typed answers: what counts as the same answer (short answer and cloze)

SPELLING = "Accepted: check the spelling"


def short(accepted: list[str], text: str, **options: bool) -> Grade:
    return grade("short_answer", {"accepted": accepted, **options}, {"text": text})


@pytest.mark.parametrize(
    ("accepted", "text"),
    [
        # case
        ("Soviet Union", "SOVIET UNION"),
        ("Soviet Union", "soviet union"),
        # Unicode: compatibility forms and composed or decomposed letters
        ("US", "ＵＳ"),  # full-width letters
        ("final", "ﬁnal"),  # ligature
        ("Hà Nội", "Ha\u0300 No\u0323\u0302i"),  # decomposed
        # diacritics folded
        ("Hà Nội", "Ha Noi"),
        ("Đà Nẵng", "da nang"),
        # punctuation and whitespace
        ("civil-military relations", "civil military relations"),
        ("Lao People's Democratic Republic", "Lao Peoples Democratic Republic"),
        ("Three Nos", "“Three Nos.”"),
        ("Three Nos", "  Three \t Nos  "),
        # a leading article, either side
        ("the Communist Party", "Communist Party"),
        ("Communist Party", "the Communist Party"),
        ("US", "the US"),
        ("US", "the U.S."),
        ("buffer state", "a buffer state"),
        ("alliance", "an alliance"),
        ("The Hague", "Hague"),
        # dotted abbreviations
        ("U.S.", "US"),
        ("US", "U.S."),
        ("USSR", "U.S.S.R."),
        # a simple English plural, either side
        ("color revolution", "color revolutions"),
        ("color revolutions", "color revolution"),
        ("historical relics", "historical relic"),
        ("ally", "allies"),
        ("allies", "ally"),
        ("military base", "military bases"),
        ("glass", "glasses"),
        ("box", "boxes"),
        ("Soviet Union", "the Soviets Union"),
        ("Vietnam", "Vietnam's"),  # a possessive loses its apostrophe, and then its s
    ],
)
def test_typed_answers_equal_after_normalising(accepted, text):
    assert short([accepted], text) == RIGHT
    assert grade("cloze", {"blanks": [[accepted]]}, {"blanks": [text]}) == RIGHT


@pytest.mark.parametrize(
    ("accepted", "text"),
    [
        ("US", "U"),  # a plural is never made by dropping the s of a short word
        ("US", "USA"),  # another abbreviation, another word
        ("USA", "US"),
        ("news", "new"),  # +s only for words of 4 letters or more
        ("arms", "arm"),
        ("Laos", "Lao"),
        ("Lao", "Laos"),
        ("1980", "1980s"),  # a decade is not a year
        ("1980s", "1980"),
        ("twenty", "twenties"),  # nor a number in words: a decade, a fraction, many
        ("third", "thirds"),
        ("hundred", "hundreds"),
        ("four", "fours"),
        ("Article 6", "Article 9"),  # numbers inside an answer stay different
        ("Article 6", "Article 66"),
        ("12th", "13th"),
        ("a", "the"),  # an article alone is an answer, not an article
        ("the", "a"),
        ("A", "B"),
        ("Communist Party", "Party Communist"),
        ("Communist Party", "Communist the Party"),  # only a leading article goes
        ("Three Nos", "Threenos"),
        ("Hà Nội", "Hải Phòng"),
        ("colour revolution", "colour revolutionaries"),
        ("party", "parties of"),
    ],
)
def test_typed_answers_that_differ_stay_different(accepted, text):
    assert short([accepted], text) == WRONG
    assert grade("cloze", {"blanks": [[accepted]]}, {"blanks": [text]}) == WRONG


@pytest.mark.parametrize("text", ["the", "a", "an", "", "  ", "."])
def test_an_article_or_nothing_is_not_an_answer_to_a_longer_one(text):
    assert short(["the Communist Party", "Party"], text) == WRONG


# Typo tolerance: off unless the author allows it; never for short answers or numbers


@pytest.mark.parametrize(
    ("accepted", "text"),
    [
        ("Hanoi", "Hanio"),  # 5 letters: one transposition
        ("Hanoi", "Hanoy"),  # one substitution
        ("Hanoi", "Hanoii"),  # one insertion
        ("Taiwan", "Taiwn"),  # one deletion
        ("Siang Pasason", "Siang Pasasonn"),  # 12 letters: up to two edits
        ("Siang Pasason", "Siang Pasasn"),
        ("Siang Pasason", "Sieng Pasasonn"),
        ("Luang Prabang", "Luong Prabang"),
        ("Chinese Communist Party", "Chinese Comunist Party"),
        ("Chinese Communist Party", "the Chinese Comunist Party"),  # with the other rules
    ],
)
def test_near_misses_within_the_tolerance_are_accepted_with_a_note(accepted, text):
    assert short([accepted], text) == WRONG
    assert short([accepted], text, typos=True) == Grade(1.0, True, SPELLING)


@pytest.mark.parametrize(
    ("accepted", "text"),
    [
        ("Mao", "Moa"),  # under 5 letters: no tolerance
        ("Laos", "Loas"),
        ("July", "Juli"),
        ("Hanoi", "Hnaio"),  # 5 to 8 letters: one edit, not two
        ("Taiwan", "Tiawna"),
        ("Siang Pasason", "Sieng Pasasonnn"),  # 9 or more: two edits, not three
        ("Article 6", "Article 9"),  # never with a digit
        ("Article 66", "Article 6"),
        ("1977 treaty", "1978 treaty"),
        ("Johnson South Reef", "1"),
        ("US", "U"),
        ("Three Nos", "Two Nos"),  # 8 letters but no more than one edit: "three" is not "two"
    ],
)
def test_misses_beyond_the_tolerance_are_rejected(accepted, text):
    assert short([accepted], text, typos=True) == WRONG


def test_an_exact_answer_has_no_note_even_where_typos_are_allowed():
    assert short(["Hanoi"], "hanoi", typos=True) == RIGHT


def test_the_tolerance_scales_with_the_accepted_answer_not_the_response():
    # "Laos" (4 letters) allows no edit, even to a longer response.
    assert short(["Laos"], "Laoss", typos=True) == WRONG


# Case- and accent-sensitive answers


def test_a_case_sensitive_answer_needs_its_case():
    assert short(["US"], "us", case_sensitive=True) == WRONG
    assert short(["US"], "US", case_sensitive=True) == RIGHT
    assert short(["US"], "the US", case_sensitive=True) == RIGHT  # articles in any case
    assert short(["US"], "The U.S.", case_sensitive=True) == RIGHT
    assert short(["Soviet"], "Soviets", case_sensitive=True) == RIGHT


def test_an_accent_sensitive_answer_needs_its_accents():
    assert short(["Hà Nội"], "Ha Noi", accent_sensitive=True) == WRONG
    assert short(["Hà Nội"], "Hà Nọi", accent_sensitive=True) == WRONG
    assert short(["Hà Nội"], "hà nội", accent_sensitive=True) == RIGHT
    assert short(["Hà Nội"], "Ha\u0300 No\u0323\u0302i", accent_sensitive=True) == RIGHT
    assert short(["Đà Nẵng"], "Da Nang", accent_sensitive=True) == WRONG


def test_a_near_miss_of_an_accent_is_a_typo_where_typos_are_allowed():
    result = short(["Hà Nội"], "Ha Noi", accent_sensitive=True, typos=True)

    assert result == WRONG  # "hanoi" is 5 letters with a space: 2 edits, more than 1
    assert short(["Đà Nẵng"], "Đa Nẵng", accent_sensitive=True, typos=True) == Grade(
        1.0, True, SPELLING
    )


# Cloze: every blank compared as a short answer, with the question's options


def test_cloze_blanks_use_the_rules_and_the_options_of_the_question():
    key = {"blanks": [["Soviet Union", "USSR"], ["ideology"], ["1989"]], "typos": True}

    assert grade("cloze", key, {"blanks": ["the USSR", "ideologies", "1989"]}) == RIGHT
    assert grade("cloze", key, {"blanks": ["Soviet Onion", "ideology", "1989"]}) == Grade(
        1.0, True, SPELLING
    )
    assert grade("cloze", key, {"blanks": ["Soviet Onion", "idealogy", "1988"]}) == Grade(
        2 / 3, False, SPELLING
    )
    assert grade("cloze", key, {"blanks": ["Moscow", "ideology", "1989"]}) == Grade(2 / 3, False)


def test_cloze_without_typos_has_no_tolerance():
    key = {"blanks": [["ideology"]]}

    assert grade("cloze", key, {"blanks": ["idealogy"]}) == WRONG


# The authored options: stored only when set, so that no existing key changes


def test_stored_form_keeps_the_typed_answer_options_that_are_set():
    authored = {"answers": ["Hanoi"], "typos": True, "case_sensitive": False}

    assert stored_form("short_answer", authored) == ({}, {"accepted": ["Hanoi"], "typos": True})
    assert stored_form("cloze", {"text": "[[Hanoi]]", "accent_sensitive": True}) == (
        {"texts": ["", ""]},
        {"blanks": [["Hanoi"]], "accent_sensitive": True},
    )


def test_stored_form_without_options_is_unchanged():
    assert stored_form("short_answer", {"answers": ["Hanoi"], "typos": False}) == (
        {},
        {"accepted": ["Hanoi"]},
    )


def test_a_grade_has_no_note_unless_one_is_given():
    assert Grade(1.0, True).note == ""


def _authored_question(**fields):
    common = {"key": "q1", "prompt": "Which city?", "explanation": "Hanoi."}
    return TypeAdapter(Question).validate_python({**common, **fields})


def test_the_authored_options_reach_the_stored_key():
    question = _authored_question(type="short_answer", answers=["Hanoi"], typos=True)

    assert stored_form(question.type, question.authored()) == (
        {},
        {"accepted": ["Hanoi"], "typos": True},
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "short_answer", "answers": ["Hanoi"], "typos": 1},
        {"type": "short_answer", "answers": ["Hanoi"], "case_sensitive": "yes"},
        {"type": "cloze", "text": "[[Hanoi]]", "accent_sensitive": None},
        {"type": "short_answer", "answers": ["Hanoi"], "typo": True},  # misspelt option
        {"type": "numeric", "answer": 1977, "typos": True},  # only typed text answers
        {"type": "single_choice", "choices": ["Hanoi", "Hue"], "answer": "Hue", "typos": True},
    ],
)
def test_bad_options_are_schema_errors(fields):
    with pytest.raises(ValidationError):
        _authored_question(**fields)


# How a graded answer is shown (quizzes.views): partly right in percent, and the grader's note


def _shown(qtype: str, key: dict, response: dict, score: float, correct: bool) -> dict:
    version = QuestionVersion(type=qtype, body={}, answer_key=key)
    return _verdict(version, Answer(response=response, score=score, correct=correct))


@pytest.mark.parametrize(
    ("score", "correct", "partly"),
    [
        (1.0, True, None),
        (0.0, False, None),
        (2 / 3, False, 67),
        (0.5, False, 50),
        (0.001, False, 1),  # never "0%" for some credit
        (0.999, False, 99),  # never "100%" for an answer that is not right
    ],
)
def test_partial_credit_is_shown_as_a_percentage(score, correct, partly):
    key = {"blanks": [["a"]]}

    assert _shown("cloze", key, {"blanks": ["a"]}, score, correct)["partly"] == partly


def test_the_note_of_an_accepted_misspelling_is_shown():
    key = {"accepted": ["Hanoi"], "typos": True}

    assert _shown("short_answer", key, {"text": "Hanio"}, 1.0, True)["note"] == SPELLING
    assert _shown("short_answer", key, {"text": "Hanoi"}, 1.0, True)["note"] == ""


def test_no_note_is_shown_where_the_recorded_score_differs_from_the_grader():
    # Recorded as wrong before the author allowed typos: the note would contradict it.
    key = {"accepted": ["Hanoi"], "typos": True}

    assert _shown("short_answer", key, {"text": "Hanio"}, 0.0, False)["note"] == ""


# The edit distance behind the typo tolerance


def _osa(a: str, b: str) -> int:
    """Optimal string alignment distance, written out plainly."""
    d = [[max(i, j) if min(i, j) == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(a=st.text("abcd ", max_size=10), b=st.text("abcd ", max_size=10), limit=st.integers(0, 3))
def test_edit_distance_is_the_optimal_string_alignment_distance_up_to_the_limit(a, b, limit):
    assert edit_distance(a, b, limit) == min(_osa(a, b), limit + 1)


@pytest.mark.parametrize(
    ("form", "allowed"),
    [("mao", 0), ("laos", 0), ("hanoi", 1), ("three nos", 1), ("pasasons", 1), ("siang pasason", 2),
     ("article 6", 0), ("", 0)],
)  # fmt: skip
def test_the_typo_allowance_scales_with_the_letters_of_the_answer(form, allowed):
    assert typo_allowance(form) == allowed


@given(accepted=st.lists(st.text(max_size=12), min_size=1, max_size=3), text=st.text(max_size=12))
def test_typed_answers_never_raise_and_no_text_is_never_right(accepted, text):
    key = {"accepted": accepted, "typos": True}

    result = grade("short_answer", key, {"text": text})
    assert result.score in (0.0, 1.0)
    assert grade("short_answer", key, {"text": " \t"}) == WRONG
