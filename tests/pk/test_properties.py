"""Properties of the exact linear solver (Hypothesis; STYLE.md rule 9).

Random 1-3 compartment mammillary models (optionally with a first-order absorption depot)
under random regimens of boluses and zero-order inputs must show dose linearity,
superposition, time-shift invariance, non-negativity and mass balance, and agree with
an independent tight numerical solution (``scipy.integrate.solve_ivp``, Radau with the
exact Jacobian, rtol 1e-10), including the exact area under the curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from ketaclinic.pk.linear import Input, solve, solve_detailed
from ketaclinic.pk.model import CompartmentSystem, Output
from ketaclinic.pk.models._build import mammillary

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Case:
    system: CompartmentSystem
    inputs: tuple[Input, ...]
    times: Array


@st.composite
def systems(draw: st.DrawFn) -> CompartmentSystem:
    """1-3 compartments (V 1-300 L, CL and Q 0.01-5 L/min), maybe a depot (ka 0.005-2)."""
    n_periph = draw(st.integers(0, 2))
    v1 = draw(st.floats(1.0, 300.0))
    cl = draw(st.floats(0.01, 5.0))
    periph = [(draw(st.floats(0.01, 5.0)), draw(st.floats(1.0, 300.0))) for _ in range(n_periph)]
    base = mammillary(v1, cl, periph)
    if not draw(st.booleans()):
        return base
    ka = draw(st.floats(0.005, 2.0))
    n = len(base.compartments)
    a = np.zeros((n + 1, n + 1))
    a[:n, :n] = base.a
    a[n, n] = -ka
    a[0, n] = ka
    return CompartmentSystem((*base.compartments, "depot"), a, base.outputs)


@st.composite
def cases(draw: st.DrawFn, max_inputs: int = 5) -> Case:
    system = draw(systems())
    n = len(system.compartments)
    into = st.sampled_from([0, n - 1])  # central or the depot (or central twice)
    # Times are multiples of 1/8 min, exact in binary, so that shifting a regimen and
    # its output times keeps "before / at / after a dose" exact.
    inputs = []
    for _ in range(draw(st.integers(1, max_inputs))):
        duration = draw(st.one_of(st.just(0), st.integers(2, 720))) / 8.0
        inputs.append(
            Input(
                draw(into),
                draw(st.floats(0.1, 200.0)),
                draw(st.integers(0, 2400)) / 8.0,
                duration,
            )
        )
    raw = [k / 8.0 for k in draw(st.lists(st.integers(0, 4800), min_size=1, max_size=40))]
    if draw(st.booleans()):  # also exercise the uniform-grid block form
        raw += (np.arange(200) * (draw(st.integers(1, 24)) / 8.0)).tolist()
    times = np.unique(np.asarray(raw, dtype=float))
    return Case(system, tuple(inputs), times)


def _close(a: Array, b: Array, rtol: float = 1e-9) -> None:
    scale = max(float(np.max(np.abs(b))), 1e-300)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12 * scale)


@given(cases(), st.floats(0.01, 100.0))
def test_dose_linearity(case: Case, factor: float) -> None:
    scaled = [
        Input(i.compartment, i.amount_mg * factor, i.start_min, i.duration_min) for i in case.inputs
    ]
    y1, _ = solve(case.system, case.inputs, case.times)
    y2, _ = solve(case.system, scaled, case.times)
    _close(y2, factor * y1)


@given(cases(), cases())
def test_superposition(first: Case, second: Case) -> None:
    system = first.system
    n = len(system.compartments)
    other = [
        Input(min(i.compartment, n - 1), i.amount_mg, i.start_min, i.duration_min)
        for i in second.inputs
    ]
    together, _ = solve(system, [*first.inputs, *other], first.times)
    apart = solve(system, first.inputs, first.times)[0] + solve(system, other, first.times)[0]
    _close(together, apart)


@given(cases(), st.integers(0, 16000).map(lambda k: k / 8.0))
def test_time_shift_invariance(case: Case, shift: float) -> None:
    moved = [
        Input(i.compartment, i.amount_mg, i.start_min + shift, i.duration_min) for i in case.inputs
    ]
    y1, _ = solve(case.system, case.inputs, case.times)
    y2, _ = solve(case.system, moved, case.times + shift)
    # Times and shifts are exact in binary, so only the block layout may differ.
    _close(y2, y1, rtol=1e-11)


def _accumulating(system: CompartmentSystem) -> CompartmentSystem:
    """Every compartment observed as an amount (volume 1), plus an elimination
    accumulator that collects what leaves the system (its column of ``a`` is zero)."""
    n = len(system.compartments)
    a = np.zeros((n + 1, n + 1))
    a[:n, :n] = system.a
    a[n, :n] = -system.a[:n, :n].sum(axis=0)  # outflow of each compartment to outside
    outs = tuple(Output(f"amount{i}", i, 1.0) for i in range(n + 1))
    return CompartmentSystem((*system.compartments, "eliminated"), a, outs)


def _dosed_by(inputs: tuple[Input, ...], times: Array) -> Array:
    total = np.zeros_like(times)
    for i in inputs:
        if i.duration_min == 0:
            total += np.where(times >= i.start_min, i.amount_mg, 0.0)
        else:
            frac = np.clip((times - i.start_min) / i.duration_min, 0.0, 1.0)
            total += i.amount_mg * frac
    return total


@given(cases())
def test_mass_balance_with_an_elimination_accumulator(case: Case) -> None:
    """Amount in the system + amount eliminated = amount dosed so far, at every time."""
    acc = _accumulating(case.system)
    y, _ = solve(acc, case.inputs, case.times)
    dosed = _dosed_by(case.inputs, case.times)
    np.testing.assert_allclose(y.sum(axis=0), dosed, rtol=1e-9, atol=1e-12 * dosed.max())


def _ivp(case: Case) -> tuple[Array, Array]:
    """States at the case's times and the area under every compartment up to each time,
    by Radau from breakpoint to breakpoint (bolus jumps applied exactly)."""
    a = case.system.a
    n = a.shape[0]
    big = np.zeros((2 * n, 2 * n))
    big[:n, :n] = a
    big[n:, :n] = np.eye(n)  # accumulators: d(area)/dt = x
    edges = sorted(
        {0.0, float(case.times[-1])}
        | {i.start_min for i in case.inputs}
        | {i.start_min + i.duration_min for i in case.inputs}
    )
    edges = [e for e in edges if e <= case.times[-1]]
    total = sum(i.amount_mg for i in case.inputs)
    x = np.zeros(2 * n)
    out = np.zeros((2 * n, case.times.size))
    for k, start in enumerate(edges):
        for i in case.inputs:
            if i.duration_min == 0 and i.start_min == start:
                x[i.compartment] += i.amount_mg
        u = np.zeros(2 * n)
        for i in case.inputs:
            if i.duration_min > 0 and i.start_min <= start < i.start_min + i.duration_min:
                u[i.compartment] += i.amount_mg / i.duration_min
        end = edges[k + 1] if k + 1 < len(edges) else start
        last = k + 1 == len(edges)
        mask = (case.times >= start) & ((case.times <= end) if last else (case.times < end))
        if end <= start:
            out[:, mask] = x[:, None]
            continue
        wanted = case.times[mask]
        t_eval = np.append(wanted, end)
        sol = solve_ivp(
            lambda _t, y, u=u: big @ y + u,
            (start, end),
            x,
            method="Radau",
            jac=lambda _t, _y: big,
            rtol=1e-10,
            atol=1e-13 * total,
            t_eval=t_eval,
        )
        assert sol.success, sol.message
        out[:, mask] = sol.y[:, : wanted.size]
        x = sol.y[:, -1]
    return out[:n], out[n:]


@settings(max_examples=10)  # each example runs Radau at rtol 1e-10: keep the suite fast
@given(cases(max_inputs=3))
def test_agrees_with_a_tight_solve_ivp(case: Case) -> None:
    states, areas = _ivp(case)
    c = np.zeros((1, states.shape[0]))
    c[0, 0] = 1.0 / case.system.outputs[0].volume_l
    ref = c @ states
    sol = solve_detailed(case.system, case.inputs, case.times)
    # rtol 1e-10 per step gives a global error of a few 1e-9 over hundreds of minutes.
    scale = float(np.max(np.abs(ref)))
    np.testing.assert_allclose(sol.y, ref, rtol=1e-7, atol=1e-9 * scale)
    area_ref = (c @ areas)[0]
    window = area_ref[-1] - area_ref[0]
    assert math.isclose(sol.auc[0], window, rel_tol=1e-7, abs_tol=1e-9 * max(area_ref[-1], 1e-300))


@given(cases())
def test_non_negative_and_zero_only_where_the_exact_value_is_zero(case: Case) -> None:
    """Clipping the last-bit negatives of rounding never hides a real value: where the
    solver reports 0 the expm method agrees to rounding, and before the first input
    the value is exactly 0."""
    y, _ = solve(case.system, case.inputs, case.times)
    assert np.all(y >= 0.0)
    first = min(i.start_min for i in case.inputs)
    assert not y[:, case.times < first].any()
    ref, _ = solve(case.system, case.inputs, case.times, method="expm")
    zero = y == 0.0
    assert np.all(ref[zero] <= 1e-12 * max(float(ref.max()), 1e-300))


@given(cases())
def test_eigen_and_expm_methods_agree(case: Case) -> None:
    a = solve_detailed(case.system, case.inputs, case.times, method="auto")
    b = solve_detailed(case.system, case.inputs, case.times, method="expm")
    _close(a.y, b.y, rtol=1e-9)
    np.testing.assert_allclose(a.auc, b.auc, rtol=1e-9, atol=1e-300)
