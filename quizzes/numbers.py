"""The one number in a typed answer, however it is written: "60th", "sixtieth", "1,000", "22nd",
"twenty-two", "one hundred and five", "Article 6", "60 years", "the 60th anniversary".

`read_number` finds every number in the text, in digits (a sign, thousands commas, a decimal
point, an ordinal suffix) or in English words (cardinal or ordinal, up to the billions), and
returns it when they all agree. It returns None, and the answer is wrong, whenever reading could
give a number its writer did not mean: no number, two different numbers ("22 September 1977",
"nineteen eighty-nine"), a malformed numeral ("1,97", "1.977.000", "6a", "1e3"), a decade or a
plural ("1980s", "the sixties", "hundreds"), a fraction or a decimal in words ("two thirds",
"two point five", "and a half"), or digits of another script.
"""

import re
from decimal import Decimal

_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9}  # fmt: skip
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}  # fmt: skip
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
_IRREGULAR = {"first": "one", "second": "two", "third": "three", "fifth": "five",
              "eighth": "eight", "ninth": "nine", "twelfth": "twelve"}  # fmt: skip


def _ordinal_of(word: str) -> str:
    if word in _IRREGULAR.values():
        return next(o for o, c in _IRREGULAR.items() if c == word)
    return word[:-1] + "ieth" if word.endswith("y") else word + "th"


_CARDINALS = {**_UNITS, **_TEENS, **_TENS, "hundred": 100, **_SCALES}
_ORDINALS = {_ordinal_of(word): word for word in _CARDINALS}
NUMBER_WORDS = frozenset({"zero", *_CARDINALS, *_ORDINALS})
# Words that change what a number means: a decimal, a sign, a fraction, a quantity of them.
_MODIFIERS = {"point", "minus", "negative", "half", "halves", "quarter", "quarters", "dozen",
              "dozens", "zeros", "zeroes"}  # fmt: skip
_PLURALS = (
    {word + "s" for word in [*_CARDINALS, *_ORDINALS] if word not in {"one", "first", "second"}}
    | {word[:-1] + "ies" for word in _TENS}
    | {word + "es" for word in _UNITS | _TEENS}
)

_TOKEN = re.compile(r"(?P<num>\.?[0-9][0-9.,]*)|(?P<word>[^\W\d_]+)", re.S)
_NUMERAL = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+")
_ORDINAL_SUFFIX = {"st", "nd", "rd", "th"}
_WORD_GAP = re.compile(r"\s*-?\s*")  # words of one number: "twenty-two", "twenty two"
_GROUP_SPACE = re.compile(r"(?<=[0-9])[\u00a0\u202f\u2009](?=[0-9]{3}(?![0-9]))")
_SPACED_ALONE = re.compile(r"[-+]?[0-9]{1,3}(?: [0-9]{3})+(?:\.[0-9]+)?")
_FULLWIDTH = str.maketrans({chr(0xFF10 + d): str(d) for d in range(10)})
_SIGN_BEFORE = re.compile(r"(?:^|[\s(])[-+]$")
MAX_DIGITS = 40


def read_number(text: object) -> Decimal | None:
    """The one number in `text`, exactly as written; None unless there is exactly one."""
    if not isinstance(text, str):
        return None
    text = text.translate(_FULLWIDTH).replace("−", "-").casefold().strip()
    if any(ch.isnumeric() and not "0" <= ch <= "9" for ch in text):
        return None  # superscripts, fractions, other scripts' digits: not read, never misread
    if _SPACED_ALONE.fullmatch(text):
        text = text.replace(" ", "")  # "1 977 000" alone is one number
    text = _GROUP_SPACE.sub(",", text)
    tokens = [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    found: set[Decimal] = set()
    words: list[tuple[str, int, int]] = []  # the current run of adjacent words

    def flush() -> bool:
        values = _word_numbers([w for w, _, _ in words])
        words.clear()
        if values is None:
            return False
        found.update(values)
        return True

    i = 0
    while i < len(tokens):
        kind, token, start, end = tokens[i]
        if kind == "word":
            gap = text[words[-1][2] : start] if words else ""
            if words and not _WORD_GAP.fullmatch(gap) and not flush():
                return None
            words.append((token, start, end))
            i += 1
            continue
        if words and not flush():
            return None
        value = _numeral(text, tokens, i)
        if value is None:
            return None
        found.add(value)
        i += 2 if i + 1 < len(tokens) and tokens[i + 1][2] == tokens[i][3] else 1
    if words and not flush():
        return None
    return found.pop() if len(found) == 1 else None


def _numeral(text: str, tokens: list, i: int) -> Decimal | None:
    """The numeral at tokens[i], with its sign and ordinal suffix; None if it is malformed."""
    _, token, start, end = tokens[i]
    core = token.rstrip(".,")  # "in 1977." and "60, the…": the mark ends the sentence
    if sum(ch.isdigit() for ch in core) > MAX_DIGITS or not _NUMERAL.fullmatch(core):
        return None
    if i > 0 and tokens[i - 1][3] == start:
        return None  # glued to a word before it: "a6"
    if i + 1 < len(tokens) and tokens[i + 1][2] == end:
        suffix = tokens[i + 1][1]
        if core != token or "." in core or suffix not in _ORDINAL_SUFFIX:
            return None  # "1980s", "6a", "1e3", "1.5th"
    value = Decimal(core.replace(",", ""))  # exact; `-value` would round to 28 digits
    negative = _SIGN_BEFORE.search(text[:start]) and text[start - 1] == "-"
    return value.copy_negate() if negative else value


def _word_numbers(words: list[str]) -> list[Decimal] | None:
    """The numbers written in a run of adjacent words; None if one of them is not read."""
    if any(w in _MODIFIERS or w in _PLURALS for w in words):
        return None
    values = []
    i, previous_end = 0, -1
    while i < len(words):
        if words[i] in {"zero", "zeroth"} or _card(words[i]) is not None:
            if i == previous_end:
                return None  # one number word right after another: "nineteen eighty-nine"
            if words[i] in {"zero", "zeroth"}:
                value, i = 0, i + 1
            else:
                value, i = _phrase(words, i)
            values.append(Decimal(value))
            previous_end = i
        else:
            i += 1
    return values


def _card(word: str) -> str | None:
    """The cardinal word that `word` is or is the ordinal of."""
    if word in _CARDINALS:
        return word
    return _ORDINALS.get(word)


def _phrase(words: list[str], i: int) -> tuple[int, int]:
    """The longest number phrase from words[i] (a number word): its value and where it ends."""
    total, smaller_than = 0, 10**12
    while True:
        part = _below_thousand(words, i)
        if part is None:  # a bare scale: "thousand"
            value, j, ordinal = 1, i, False
        else:
            value, j, ordinal = part
        if ordinal:
            return total + value, j
        scale = _SCALES.get(_card(words[j]) or "") if j < len(words) else None
        if scale is None or scale >= smaller_than:
            if part is None:
                return total, i
            return total + value, j
        total += value * scale
        smaller_than = scale
        i = j + 1
        if words[j] != _card(words[j]):  # "thousandth"
            return total, i
        if i + 1 < len(words) and words[i] == "and" and _below_hundred(words, i + 1):
            i += 1  # "two thousand and thirteen"
        if i >= len(words) or _card(words[i]) is None or words[i] == "and":
            return total, i


def _below_thousand(words: list[str], i: int) -> tuple[int, int, bool] | None:
    part = _below_hundred(words, i)
    value, ordinal = None, False
    if part is not None:
        value, i, ordinal = part
        if ordinal:
            return value, i, True
    if i < len(words) and _card(words[i]) == "hundred":
        ordinal = words[i] != "hundred"
        value = (value or 1) * 100
        i += 1
        if ordinal:
            return value, i, True
        j = i + 1 if i < len(words) and words[i] == "and" else i
        rest = _below_hundred(words, j)
        if rest is not None:
            return value + rest[0], rest[1], rest[2]
    return None if value is None else (value, i, ordinal)


def _below_hundred(words: list[str], i: int) -> tuple[int, int, bool] | None:
    if i >= len(words):
        return None
    card = _card(words[i])
    ordinal = card != words[i]
    if card in _UNITS or card in _TEENS:
        return (_UNITS | _TEENS)[card], i + 1, ordinal
    if card in _TENS:
        if not ordinal and i + 1 < len(words) and _card(words[i + 1]) in _UNITS:
            unit = _card(words[i + 1])
            return _TENS[card] + _UNITS[unit], i + 2, unit != words[i + 1]
        return _TENS[card], i + 1, ordinal
    return None
