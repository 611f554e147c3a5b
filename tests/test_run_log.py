"""The run log: what a run produced, and how long it really took, whatever way it ended."""

from __future__ import annotations

import time

from components.stats_bar import stats_line
from iterplay.errors import FailureKind
from iterplay.events import Failed, Finished, Retrying, Stats, Token
from iterplay.run_log import RunLog


def started_seconds_ago(seconds: float) -> RunLog:
    return RunLog(started=time.monotonic() - seconds)


def shown_elapsed(log: RunLog) -> float:
    return float(stats_line(log).split("elapsed ")[1].split(" s")[0])


def test_stop_before_the_first_token_shows_the_time_until_stop():
    log = started_seconds_ago(1.5)

    log.interrupt("You pressed Stop.")

    assert 1.5 <= log.elapsed < 60
    assert shown_elapsed(log) >= 1.5


def test_a_failed_run_shows_the_whole_wait_not_only_the_request():
    """The provider answered 0.02 s after the request; the user waited 2 s (the model started)."""
    log = started_seconds_ago(2.0)

    log.add(Failed(FailureKind.CONNECTION, "Could not connect.", Stats(total_time=0.02)))

    assert shown_elapsed(log) >= 2.0


def test_the_clock_stops_at_the_end_of_the_run():
    log = started_seconds_ago(1.0)
    log.add(Finished("stop", True, "complete", "The stream completed.", Stats(total_time=0.9)))
    at_the_end = log.elapsed

    later = [log.elapsed for _ in range(3)]

    assert later == [at_the_end] * 3


def test_the_clock_runs_while_the_run_goes_on():
    log = started_seconds_ago(0.5)
    log.add(Token("{", 0.1))

    assert shown_elapsed(log) >= 0.5 and log.ended is None


def test_a_retry_is_kept_and_waited_for_until_the_stream_starts():
    log = RunLog()
    log.add(Retrying(1, 4.0, "The provider is rate limiting requests (429): Slow down.", 0.1))
    waiting = log.waiting_to_retry

    log.add(Token("{", 4.2))

    assert waiting is log.retries[0]
    assert log.waiting_to_retry is None


def test_a_failure_without_stats_ends_the_run_without_a_rate():
    log = RunLog()

    log.add(Failed(FailureKind.SCHEMA, "user.py: line 3: not a field."))

    assert log.finished and log.end_stats is None and log.tokens_per_second() is None
    assert "completion tokens" not in stats_line(log)


def test_a_replay_at_four_times_keeps_the_recorded_runs_clock_while_it_goes():
    log = RunLog(started=time.monotonic() - 0.5, replay_speed=4.0)
    assert 2.0 <= log.elapsed < 60  # half a second of a 4x replay is 2 s of the recording
    log.add(Token("{", 3.0))  # a chunk recorded at 3 s, shown a moment early
    assert log.elapsed >= 3.0
    instant = RunLog(replay_speed=0.0)
    instant.add(Token("{", 1.25))
    assert shown_elapsed(instant) == 1.25
