"""Another language is added as a locale folder alone."""

from pathlib import Path

from config.settings import discover_languages


def test_english_is_the_only_language_with_no_locale_folder(tmp_path: Path):
    assert discover_languages(tmp_path / "locale") == [("en", "English")]


def test_a_locale_folder_adds_its_language(tmp_path: Path):
    (tmp_path / "vi" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "pt_BR" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "not-a-language" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "README").write_text("stray file")

    assert discover_languages(tmp_path) == [
        ("en", "English"),
        ("pt-br", "Brazilian Portuguese"),
        ("vi", "Vietnamese"),
    ]
