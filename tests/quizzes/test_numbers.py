"""Reading the one number in a typed answer, and the numeric grader that uses it.

Pure functions: no database. The property tests write numbers in every form the reader supports,
with a writer of English numbers of their own, and check both directions: the key's number in
any form is accepted, and any other number in any form is not.
"""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.grading import grade
from quizzes.numbers import read_number

# Examples ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # digits, as people type them
        (" 1977 ", 1977),
        ("1,977", 1977),
        ("1,977,000", 1977000),
        ("1,977.5", Decimal("1977.5")),
        ("1977.0", 1977),
        ("0.25", Decimal("0.25")),
        (".5", Decimal("0.5")),
        ("−3", -3),  # U+2212 MINUS SIGN
        ("-3", -3),
        ("+3", 3),
        ("1 977 000", 1977000),  # grouped by spaces, when it is the whole answer
        ("1\u00a0977", 1977),  # grouped by a no-break space anywhere
        ("４０", 40),  # full-width digits
        ("1977.", 1977),  # the full stop ends the sentence
        # ordinals in digits
        ("60th", 60),
        ("22nd", 22),
        ("1st", 1),
        ("3rd", 3),
        ("12TH", 12),
        # English words
        ("four", 4),
        ("Four", 4),
        ("twenty-two", 22),
        ("twenty two", 22),
        ("one hundred and five", 105),
        ("one hundred five", 105),
        ("a hundred", 100),
        ("two thousand and thirteen", 2013),
        ("nineteen hundred and eighty-nine", 1989),
        ("forty thousand", 40000),
        ("one hundred thousand", 100000),
        ("three million two hundred thousand and one", 3200001),
        ("zero", 0),
        # ordinal words
        ("sixtieth", 60),
        ("the sixtieth", 60),
        ("twenty-second", 22),
        ("sixty-first", 61),
        ("twelfth", 12),
        ("one hundred and first", 101),
        ("two thousandth", 2000),
        # surrounding words and units
        ("Article 6", 6),
        ("article six", 6),
        ("60 years", 60),
        ("the 60th anniversary", 60),
        ("more than 40,000 troops", 40000),
        ("In 1977.", 1977),
        ("September 22", 22),
        ("pre-1975", 1975),  # a hyphen after a word is not a minus sign
        ("1977 AD", 1977),
        # the same number twice is one number
        ("sixty (60)", 60),
        ("sixty and sixty", 60),
    ],
)
def test_read_number_reads_the_one_number(text, expected):
    assert read_number(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        # not a number at all
        "",
        "   ",
        "abc",
        "inf",
        "-inf",
        "Infinity",
        "nan",
        "Article VI",  # Roman numerals are not read
        None,
        1977,
        # two different numbers
        "Article 6 or 9",
        "1954-1975",
        "22 September 1977",
        "12 1977",
        "3/4",
        "10^3",
        "one or two",
        "nineteen eighty-nine",  # two number words in a row: not read as 1989 or 108
        "twenty thirteen",
        "thousand thousand",
        "sixty sixty",
        "the first treaty, in 1961",
        # malformed numerals
        "1,97",  # not a thousands group
        "19,77",
        "1,9770",
        "1.977.000",
        "1_977",
        "1e3",
        "6a",
        "a6",
        "1.5th",
        # numbers that mean something else
        "1980s",
        "the sixties",
        "hundreds",
        "tens of thousands",
        "two thirds",
        "two fifths",
        "two point five",
        "six and a half",
        "minus three",
        "a dozen",
        # digits of other kinds, which are never read rather than misread
        "60²",
        "½",
        "٦٠",
        "9" * 41,  # more than 40 digits
        "1" + ",000" * 14,
    ],
)
def test_read_number_reads_nothing_unless_exactly_one_number_is_written(text):
    assert read_number(text) is None


@pytest.mark.parametrize(
    ("key", "text", "correct"),
    [
        (60, "60th", True),
        (60, "sixtieth", True),
        (60, "the 60th anniversary", True),
        (60, "61st", False),
        (4, "four", True),
        (4, "fourth", True),
        (4, "five", False),
        (1000, "1,000", True),
        (1000, "one thousand", True),
        (22, "22nd", True),
        (22, "twenty-two", True),
        (22, "22 September 1977", False),
        (105, "one hundred and five", True),
        (6, "Article 6", True),
        (6, "Article 9", False),
        (20, "20 years", True),
        (20, "twenty years", True),
        (40000, "more than 40,000 troops", True),
        (1980, "1980s", False),
    ],
)
def test_grade_numeric_reads_numbers_written_naturally(key, text, correct):
    result = grade("numeric", {"value": float(key), "tolerance": 0.0}, {"text": text})

    assert result.correct is correct
    assert result.score == (1.0 if correct else 0.0)


def test_grade_numeric_compares_exactly_not_in_floating_point():
    key = {"value": float(2**53), "tolerance": 0.0}

    assert grade("numeric", key, {"text": str(2**53)}).correct
    assert not grade("numeric", key, {"text": str(2**53 + 1)}).correct


# Properties -------------------------------------------------------------------------------------

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen"]  # fmt: skip
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth",
             "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}  # fmt: skip
SCALES = [(10**9, "billion"), (10**6, "million"), (10**3, "thousand")]
WORDS_BELOW = 10**12


def _below_hundred(n: int, hyphen: bool) -> str:
    if n < 20:
        return ONES[n]
    tens, units = divmod(n, 10)
    return TENS[tens] + (("-" if hyphen else " ") + ONES[units] if units else "")


def _below_thousand(n: int, hyphen: bool, use_and: bool) -> str:
    hundreds, rest = divmod(n, 100)
    parts = [f"{ONES[hundreds]} hundred"] if hundreds else []
    if rest:
        parts += ["and"] if hundreds and use_and else []
        parts.append(_below_hundred(rest, hyphen))
    return " ".join(parts)


def in_words(n: int, hyphen: bool = True, use_and: bool = True) -> str:
    """`n` (0 <= n < 10**12) in English words, British ("and") or American style."""
    if n == 0:
        return "zero"
    parts = []
    for scale, name in SCALES:
        count, n = divmod(n, scale)
        if count:
            parts.append(f"{_below_thousand(count, hyphen, use_and)} {name}")
    if n:
        parts += ["and"] if parts and n < 100 and use_and else []
        parts.append(_below_thousand(n, hyphen, use_and))
    return " ".join(parts)


def ordinal_word(words: str) -> str:
    head, sep, last = max((words.rpartition(s) for s in (" ", "-")), key=lambda p: len(p[0]))
    if last in IRREGULAR:
        last = IRREGULAR[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def ordinal_suffix(n: int) -> str:
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


CONTEXTS = ["{}", "{}.", "Article {}", "{} years", "the {} anniversary", "about {} troops",
            "It was {}"]  # fmt: skip


@st.composite
def written(draw: st.DrawFn, n: int) -> str:
    """`n` written in one of the forms the reader supports, in one of the contexts."""
    forms = [str(n)]
    if n < 0:
        forms.append("−" + str(-n))
    else:
        forms += [f"{n:,}", f"{n}{ordinal_suffix(n)}"]
        if n < WORDS_BELOW:
            words = in_words(n, hyphen=draw(st.booleans()), use_and=draw(st.booleans()))
            forms += [words, words.capitalize()]
            if n > 0:
                forms.append(ordinal_word(words))
    form = draw(st.sampled_from(forms))
    return draw(st.sampled_from(CONTEXTS)).format(form)


numbers = st.one_of(
    st.integers(0, 100),
    st.integers(0, 10**4),
    st.integers(-(10**6), 10**6),
    st.integers(0, WORDS_BELOW - 1),
    st.integers(-(10**30), 10**30),
)


@given(data=st.data(), n=numbers)
@settings(max_examples=400)
def test_any_form_of_the_key_is_read_as_the_key_and_graded_right(data, n):
    text = data.draw(written(n))

    assert read_number(text) == n, text
    assert grade("numeric", {"value": n, "tolerance": 0}, {"text": text}).correct, text


@given(data=st.data(), n=numbers, m=numbers)
@settings(max_examples=400)
def test_no_form_of_another_number_is_graded_right(data, n, m):
    if m == n:
        m = n + data.draw(st.sampled_from([-1, 1, 10, 100, 1000]))
    text = data.draw(written(m))

    assert not grade("numeric", {"value": n, "tolerance": 0}, {"text": text}).correct, text


@given(
    data=st.data(),
    n=st.integers(0, 10**6),
    tolerance=st.integers(0, 100),
    off=st.integers(1, 10**6),
    sign=st.sampled_from([-1, 1]),
)
def test_no_number_outside_the_tolerance_is_graded_right(data, n, tolerance, off, sign):
    m = n + sign * (tolerance + off)
    text = data.draw(written(m))

    assert not grade("numeric", {"value": n, "tolerance": tolerance}, {"text": text}).correct


@given(
    data=st.data(),
    n=st.integers(0, 10**6),
    tolerance=st.integers(0, 100),
    off=st.integers(0, 100),
    sign=st.sampled_from([-1, 1]),
)
def test_every_number_within_the_tolerance_is_graded_right(data, n, tolerance, off, sign):
    m = n + sign * min(off, tolerance)
    text = data.draw(written(m))

    assert grade("numeric", {"value": n, "tolerance": tolerance}, {"text": text}).correct


@given(
    a=st.decimals(-(10**6), 10**6, places=3, allow_nan=False, allow_infinity=False),
    b=st.decimals(-(10**6), 10**6, places=3, allow_nan=False, allow_infinity=False),
)
def test_decimals_are_read_exactly(a, b):
    key = {"value": float(a), "tolerance": 0.0}

    assert read_number(str(a)) == a
    assert grade("numeric", key, {"text": str(a)}).correct
    if a != b:
        assert not grade("numeric", key, {"text": str(b)}).correct


@given(text=st.text(max_size=40))
def test_the_reader_never_raises(text):
    value = read_number(text)

    assert value is None or value.is_finite()


def test_long_numbers_are_read_exactly():
    assert read_number("-10000000000000000000000000001") == -(10**28) - 1
    assert read_number("1" + ",000" * 13) == 10**39
    assert read_number("9" * 40) == 10**40 - 1
