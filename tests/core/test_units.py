"""One size convention for the API and the website: decimal units, limits rounded down and
sizes rounded up, so a file over a limit never reads as equal to it."""

from scrapbook.core.units import limit_words, size_words


def test_limits_round_down_and_sizes_round_up_in_decimal_units():
    assert limit_words(20_000_000) == "20 MB" and limit_words(500_000_000) == "500 MB"
    assert limit_words(20 * 1024 * 1024) == "20 MB"  # 20.97 MB is still at most 20 MB
    assert size_words(20_000_001) == "20.1 MB"  # over the limit, and reads so
    assert size_words(12_345) == "13 kB" and size_words(10) == "1 kB"  # never "0 MB"
    assert limit_words(20_000) == "20 kB"
