import pytest

from scrapbook.core.errors import InvalidInput
from scrapbook.core.text import clean_optional, clean_tags, clean_text


def test_multiline_keeps_spacing_exactly_inside_the_text():
    poem = "  line one\n\n\n      indented\n\tand a tab  \n"
    assert (
        clean_text(poem, field="body", max_len=100, multiline=True)
        == "  line one\n\n\n      indented\n\tand a tab"
    )


def test_windows_and_old_mac_newlines_become_newlines():
    assert clean_text("a\r\nb\rc", field="body", max_len=10, multiline=True) == "a\nb\nc"


def test_single_line_collapses_whitespace():
    assert clean_text("  a \n  b\t c ", field="title", max_len=20) == "a b c"


def test_markup_is_removed_but_text_and_ampersands_stay():
    assert (
        clean_text("<p>tea &amp; <em>toast</em></p><!-- hi -->", field="t", max_len=50)
        == "tea & toast"
    )
    assert clean_text("3 < 4 and 5 > 2", field="t", max_len=50) == "3 < 4 and 5 > 2"


def test_bidi_overrides_and_zero_width_are_removed():
    assert clean_text("ab\u202ecd\u200bef\u2067gh\ufeff", field="t", max_len=50) == "abcdefgh"


def test_nul_is_refused():
    with pytest.raises(InvalidInput) as err:
        clean_text("a\x00b", field="body", max_len=10)
    assert err.value.code == "invalid_text"


def test_length_is_counted_as_sent_in_characters_a_line_break_once():
    # The API description's maxLength is the limit: on the text as sent, before cleaning.
    assert clean_text("é" * 5, field="t", max_len=5) == "é" * 5
    assert clean_text("a\r\nb\r\nc", field="t", max_len=5, multiline=True) == "a\nb\nc"
    for sent in ("x" * 6, "<b>" + "x" * 5 + "</b>", "x" * 5 + "\u200b"):
        with pytest.raises(InvalidInput) as err:
            clean_text(sent, field="t", max_len=5)
        assert err.value.code == "too_long" and "5" in err.value.detail
        assert err.value.field == "t"


def test_optional_blank_becomes_none():
    assert clean_optional("   ", field="x", max_len=5) is None
    assert clean_optional(None, field="x", max_len=5) is None


def test_tags_split_lowercase_dedupe_and_limits():
    assert clean_tags(["Sea, #night", "sea", " "], max_count=10, max_len=40) == ["sea", "night"]
    with pytest.raises(InvalidInput):
        clean_tags([",".join(str(i) for i in range(11))], max_count=10, max_len=40)
    with pytest.raises(InvalidInput):
        clean_tags(["x" * 41], max_count=10, max_len=40)


def test_entity_escaped_markup_cannot_be_smuggled_back_in():
    assert clean_text("&lt;script&gt;alert(1)&lt;/script&gt; <3", field="t", max_len=99) == \
        "alert(1) <3"
    assert "<svg" not in clean_text("&#60;svg onload=alert(1)&#62; <", field="t", max_len=99)
    assert clean_text("&amp;lt;b&amp;gt;hi", field="t", max_len=99) == "hi"
    assert clean_text("AT&amp;T", field="t", max_len=99) == "AT&T"


def test_lone_surrogates_are_removed():
    assert clean_text("a\ud800b\udfffc", field="t", max_len=10) == "abc"


def test_hopelessly_long_input_is_refused_before_any_markup_work():
    hostile = "<a " + "b " * 120_000 + ">"
    with pytest.raises(InvalidInput) as err:
        clean_tags([hostile], max_count=10, max_len=40)
    assert err.value.code == "too_long"


def test_tags_stop_at_the_first_past_the_limit_whatever_was_sent(monkeypatch):
    from scrapbook.core import text as text_module

    calls = 0
    real = text_module.clean_text

    def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(text_module, "clean_text", counting)
    flood = ",".join(f"tag{i}" for i in range(100_000))  # ~0.8 MB of distinct tags
    with pytest.raises(InvalidInput) as refused:
        text_module.clean_tags([flood, flood, flood], max_count=10, max_len=40)
    assert refused.value.code == "too_many_tags"
    assert calls == 11  # cleaned up to the first tag past the limit, and no further
