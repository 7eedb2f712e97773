import logging

from camp.ops.logging import OncePerBurstFilter


def _record(msg: str = "Exception ignored") -> logging.LogRecord:
    return logging.LogRecord("camp.cache", logging.ERROR, __file__, 1, msg, None, None)


def test_repeats_within_the_interval_are_dropped():
    burst = OncePerBurstFilter(interval=60)

    assert burst.filter(_record()) is True
    assert burst.filter(_record()) is False
    assert burst.filter(_record()) is False


def test_a_different_message_still_passes():
    burst = OncePerBurstFilter(interval=60)
    burst.filter(_record("one"))

    assert burst.filter(_record("two")) is True


def test_after_the_interval_the_message_passes_with_the_dropped_count():
    burst = OncePerBurstFilter(interval=0)
    burst.filter(_record())
    burst.interval = 60
    burst.filter(_record())
    burst.interval = 0

    record = _record()
    assert burst.filter(record) is True
    assert "1 similar messages suppressed" in record.getMessage()
