import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import modelcollapse as mc
from modelcollapse.schedules import (
    Constant,
    ConstantWeight,
    Explicit,
    Exponential,
    FromCallable,
    Linear,
    Power,
    Proportional,
    TLog,
    TwoPhase,
    WeightFunction,
    parse_schedule,
    parse_weight,
)


def test_named_schedules_give_their_formulas():
    t = np.arange(1, 6)
    assert Constant(7).sizes(5).tolist() == [7] * 5
    assert Linear(10).sizes(5).tolist() == (10 * t).tolist()
    assert Power(100, 1.0).sizes(5).tolist() == (100 * t**2).tolist()
    assert Exponential(3, 2.0).sizes(5).tolist() == (3 * 2**t).tolist()
    expected = np.floor(100 * t * np.log(t + 1.0) ** 2 + 0.5).astype(int)
    assert TLog(100, 2.0).sizes(5).tolist() == expected.tolist()
    assert Explicit([5, 6, 7]).sizes(2).tolist() == [5, 6]
    assert FromCallable(lambda t: 2 * t + 1).sizes(3).tolist() == [3, 5, 7]
    # Constant up to `until`, then n (t/until)^(1+s), continuous at the switch.
    expected = np.floor(10 * np.maximum(t / 3, 1.0) ** 2 + 0.5).astype(int)
    assert TwoPhase(10, 3, 1.0).sizes(5).tolist() == expected.tolist() == [10, 10, 10, 18, 28]


def test_sizes_are_int64_and_rounded_half_up():
    sizes = Power(2, 0.5).sizes(4)  # 2 t^1.5 = 2, 5.66, 10.39, 16
    assert sizes.dtype == np.int64
    assert sizes.tolist() == [2, 6, 10, 16]


def test_zero_generations_gives_empty_schedule():
    assert Constant(5).sizes(0).shape == (0,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("constant:n=100", [100, 100, 100]),
        ("linear:n=10", [10, 20, 30]),
        ("power:n0=100,s=0.5", [100, 283, 520]),
        ("exp:n0=10,c=2", [20, 40, 80]),
        ("exponential:n0=10,c=3", [30, 90, 270]),
        ("tlog:n0=100,a=0", [100, 200, 300]),
        ("list:4,5,6", [4, 5, 6]),
        ("two-phase:n=10,until=2,s=0", [10, 10, 15]),
        ("250", [250, 250, 250]),
        (" constant : n = 3 ".replace(" : ", ":"), [3, 3, 3]),
    ],
)
def test_parse_schedule(text, expected):
    assert parse_schedule(text).sizes(3).tolist() == expected


def test_text_form_round_trips():
    for schedule in [
        Constant(5),
        Linear(3),
        Power(100, 0.5),
        Exponential(10, 1.5),
        TLog(50, 2.0),
        TwoPhase(40, 7, 0.25),
        Explicit([1, 2, 3]),
    ]:
        again = parse_schedule(str(schedule))
        assert type(again) is type(schedule)
        assert again.sizes(3).tolist() == schedule.sizes(3).tolist()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("pow:n=1", "unknown schedule kind 'pow'"),
        ("constant:m=3", "constant takes n=..."),
        ("power:n0=100", "power needs n0=..., s=..."),
        ("constant:n=abc", "must be a number"),
        ("constant:n=2.5", "must be an integer"),
        ("constant:n=-3", "must be an integer >= 0"),
        ("exp:n0=100,c=0.5", "must lie in [1, inf]"),
        ("hello", "must be an integer or KIND:KEY=VALUE"),
        ("list:", "must list at least one size"),
        ("two-phase:n=10,until=0,s=1", "until: must be an integer >= 1"),
        ("two-phase:n=10,s=1", "two-phase needs n=..., until=..., s=..."),
    ],
)
def test_bad_schedule_text_names_argument_and_value(text, fragment):
    with pytest.raises(mc.InvalidArgumentError) as err:
        parse_schedule(text, "--schedule")
    message = str(err.value)
    assert message.startswith("--schedule:")
    assert fragment in message
    assert "\n" not in message


def test_overflow_is_an_error_not_a_wrapped_integer():
    with pytest.raises(mc.InvalidArgumentError, match=r"64-bit integer limit at generation t=57"):
        Exponential(100, 2.0).sizes(100)
    assert Exponential(100, 2.0).sizes(56)[-1] == 100 * 2**56


def test_explicit_schedule_too_short():
    with pytest.raises(mc.InvalidArgumentError, match="lists 2 sizes but 3 generations"):
        Explicit([3, 4]).sizes(3)


def test_callable_negative_size_is_an_error():
    with pytest.raises(mc.InvalidArgumentError, match="negative size at generation t=2"):
        FromCallable(lambda t: 3 - 2 * t).sizes(3)


@given(n0=st.integers(1, 10**6), s=st.floats(0.0, 3.0), T=st.integers(0, 200))
def test_power_schedule_is_nondecreasing_and_starts_at_n0(n0, s, T):
    sizes = Power(n0, s).sizes(T)
    assert sizes.shape == (T,)
    if T:
        assert sizes[0] == n0
        assert np.all(np.diff(sizes) >= 0)


def test_weight_rules():
    n_real = np.array([100, 100, 0])
    n_synth = np.array([100, 300, 100])
    assert ConstantWeight(0.25).weights(n_real, n_synth).tolist() == [0.25] * 3
    assert Proportional().weights(n_real, n_synth).tolist() == [0.5, 0.25, 0.0]
    rule = WeightFunction(lambda t, a, b: 1.0 / (t + 1))
    assert rule.weights(n_real, n_synth).tolist() == [0.5, 1 / 3, 0.25]
    assert isinstance(parse_weight("0.618"), ConstantWeight)
    assert isinstance(parse_weight("proportional"), Proportional)
    assert parse_weight(0.5).w == 0.5


@pytest.mark.parametrize("bad", [-0.1, 1.5, "x", float("nan")])
def test_bad_weight(bad):
    with pytest.raises(mc.InvalidArgumentError, match=r"^weight: must be a number in \[0, 1\]"):
        parse_weight(bad)


def test_weight_function_out_of_range():
    with pytest.raises(mc.InvalidArgumentError, match="weight at generation t=1"):
        WeightFunction(lambda t, a, b: 2.0).weights(np.array([1]), np.array([1]))
