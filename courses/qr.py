"""QR codes of join links, drawn as SVG by segno, for a teacher to project in class."""

import functools

import segno


@functools.lru_cache(maxsize=512)
def svg_data_uri(text: str) -> str:
    """A `data:` URI of the QR code of `text`, scalable (a viewBox, no size), black on white
    with the standard quiet zone. Drawing one takes tens of milliseconds in pure Python and a
    class's link does not change: each is drawn once per process."""
    return segno.make(text, error="m", micro=False).svg_data_uri(
        omitsize=True, border=4, dark="#000", light="#fff"
    )
