r"""scikit-learn estimators fitted by the natural homotopy: `HomotopyRegressor`,
`HomotopyClassifier`.

``fit(X, y)`` maps the targets into the activation's range, builds the `NaturalHomotopy`
of the single-layer network $y = \sigma(\tilde X W)$ and follows its path from the linear
least-squares weights at λ = 0 to λ = 1 with `homotopy.track`: the fitted weights are the
path's end, a stationary point of $E(w) = \tfrac12\|d - \sigma(\tilde X W)\|^2$, reached
without a learning rate or a random initialization. The estimators speak scikit-learn's
interface (``get_params``, pipelines, cross-validation, ``check_estimator``), so one line fits
real data:

    HomotopyClassifier().fit(X, y).score(X_test, y_test)

Needs ``pip install homotopy[sklearn]``; ``import homotopy`` alone never imports scikit-learn.

**A hidden layer.** ``hidden_layer_sizes=(h,)`` fits $y = \sigma(\tilde X W_1)W_2 + b_2$ (h
hidden units, a linear output node as in `MLPRegressor`) by the natural homotopy of
`homotopy.MLPHomotopy`: at λ = 0 the network is linear and its solutions form a manifold M₀,
the branches into λ > 0 leave from the nondegenerate critical points of the reduced function
on M₀, which ``MLPHomotopy.start_search(n_starts)`` (desingularized) looks for from
random points (`random_state`), and each branch is tracked to λ = 1; the fit is the
successful branch with the smallest training error. Where the search finds no start,
`NoBranchStart` says what it found; where no branch reaches λ = 1, `PathNotConverged` (or
`on_failure`) as for a single layer, with the branch that got furthest. Measured: diabetes
with h = 1 (~10 s, R² 0.531 against the single layer's 0.524) and iris (3 classes, codes
fitted in 1⊥, see `HomotopyClassifier`) with h = 2 reach λ = 1; for diabetes with h = 2 the
search finds few starts (a few % of the random points) and their branches did not reach
λ = 1 (they fold back below λ = 0, or a unit turns linear, w_j → 0 and v_j → ∞); for
diabetes with h = 3 and breast_cancer with h = 2 it found none, and on (nearly) separable
classes the branches diverge (a step function fits the codes, at infinite weights); see
docs/architecture.md. More than one hidden layer is refused (a ValueError naming
`hidden_layer_sizes`).

**Targets.** A classifier codes each class one-vs-rest (one output per class, one output for
two classes) as the pair `target_scale` = (negative, positive), by default 80 % of the
activation's range: ±0.8 for tanh, erf and softsign, (0.1, 0.9) for logistic, ±0.4π for
arctan, ±1 for an unbounded σ. Codes inside the range keep the least-squares optimum finite:
targets on the range's ends would be reached only by infinite weights. A regressor min–max
scales each training target column into `target_scale` (default as above, ``None``: no
scaling) and maps its predictions back.

**Warm start.** With ``warm_start=True`` a refit on the same X (new targets: a residual
bootstrap, a new response) starts from the previous weights w′ and follows the parameter
homotopy in the targets at λ = 1 (`homotopy.TargetHomotopy`, μ = 0):
$H(w, \tau) = \nabla_w E(w; (1-\tau)d' + \tau d)$, τ: 0 → 1. Where that path does not reach
τ = 1 (the old minimum meets a fold and vanishes, or its weights run to infinity), or X has
changed, the fit falls back to the λ-path from the linear start; `warm_started_` says which.
A warm fit follows the previous minimum, so it may end at another minimum than a cold fit would
(seen when step-like targets replaced smooth ones); on bootstrap resamples they agreed.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from .activations import Activation, get_activation
from .mlp import MLPHomotopy, StartSearch
from .path import Path, Status
from .problems import BUCKET_MAX_ENTRIES, NaturalHomotopy, RankError, bucket_rows
from .stationary import TargetHomotopy
from .tracker import track


__all__ = ["HomotopyClassifier", "HomotopyRegressor", "NoBranchStart", "PathNotConverged"]

ON_FAILURE = ("raise", "warn", "keep")
#: the share of a bounded activation's range the default `target_scale` spans
TARGET_SHARE = 0.8
#: the fewest rows the estimators' trackers are compiled for (`_FitProblem.bucketed`)
MIN_ROWS = 256


class PathNotConverged(RuntimeError):
    """`fit`'s error when the path does not end in success at λ = 1: `status`, `message` and
    the whole `path` say how and where it ended (``on_failure="keep"`` keeps its last point)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the homotopy path did not reach λ = 1: status {path.status.value}: "
            f"{path.message}. Pass on_failure='keep' (or 'warn') to use its last point "
            f"(λ = {float(path.lam[-1]):.6g})."
        )
        self.status: Status = path.status
        self.message: str = path.message
        self.path: Path = path


class NoBranchStart(RuntimeError):
    """`fit`'s error for a hidden layer when `MLPHomotopy.start_search` finds no nondegenerate
    critical point of the reduced function on M₀, so no branch leaves the linear network (raised
    whatever `on_failure` says: there is no path whose point could be kept). `search` is the
    `StartSearch`: how its iterations ended and why the critical points it found were refused."""

    def __init__(self, search: StartSearch, hidden: int) -> None:
        why = sorted(set(r.split(":")[0] for r in search.reasons))
        super().__init__(
            f"no branch leaves the linear network for {hidden} hidden unit(s): the start search "
            f"from n_starts = {search.tried} random points of M₀ found no nondegenerate critical "
            f"point of the reduced function ({search.converged} of its {search.iterations} "
            f"iterations converged, {search.diverged} ran off to infinite weights, "
            f"{search.stalled} stalled; {len(search.refused)} critical point(s) refused"
            + (f": {'; '.join(why)}" if why else "")
            + "). Try a larger n_starts, another random_state, or other hidden_layer_sizes."
        )
        self.search: StartSearch = search


def default_target_scale(activation: Activation) -> tuple[float, float]:
    """The middle `TARGET_SHARE` of σ's range, (−1, 1) for an unbounded σ."""
    lo, hi = activation.range
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return (-1.0, 1.0)
    margin = 0.5 * (1.0 - TARGET_SHARE) * (hi - lo)
    return (lo + margin, hi - margin)


def _target_scale(value: Any, activation: Activation, allow_none: bool) -> tuple | None:
    """`target_scale` resolved: ``"auto"``, a pair (lo, hi) with lo < hi inside σ's range, or
    (where `allow_none`) ``None``; else a ValueError naming it."""
    if value is None and allow_none:
        return None
    if isinstance(value, str) and value == "auto":
        return default_target_scale(activation)
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        valid = "'auto', None or a pair (lo, hi)" if allow_none else "'auto' or a pair (lo, hi)"
        raise ValueError(f"target_scale: expected {valid}, got {value!r}") from None
    r_lo, r_hi = activation.range
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi and r_lo < lo and hi < r_hi):
        raise ValueError(
            f"target_scale: expected finite lo < hi strictly inside σ's range "
            f"({r_lo:g}, {r_hi:g}), got {value!r}"
        )
    return (lo, hi)


class _FitProblem(NaturalHomotopy):
    """The estimators' `NaturalHomotopy`: the same problem, whose tracker pads L to at least
    `MIN_ROWS` rows (zero rows of X̃ and d add exactly 0 to H, H_w and H_λ, as in
    `NaturalHomotopy.bucketed`). Model selection fits many small data sets of nearby sizes
    (folds, scikit-learn's checks); each size bucket would be a tracker compile of seconds,
    while 256 rows cost microseconds per evaluation."""

    def bucketed(self) -> NaturalHomotopy:
        """The problem padded to `bucket_rows` (max(L, `MIN_ROWS`)) rows, bias column included."""
        cached = self.__dict__.get("_bucketed")
        if cached is not None:
            return cached
        L, s = self.X.shape[-2], self.n_features
        Lb = bucket_rows(max(L, MIN_ROWS))
        if self.objective != "least_squares" or self.X.ndim != 2 or Lb * s > BUCKET_MAX_ENTRIES:
            return super().bucketed()
        X = np.zeros((Lb, s))
        X[:L] = np.asarray(self.design)
        d = np.zeros((Lb,) + tuple(self.d.shape[1:]))
        d[:L] = np.asarray(self.d)
        padded = NaturalHomotopy._unchecked(
            jax.device_put(X), jax.device_put(d), self.activation, self.objective, False
        )
        object.__setattr__(self, "_bucketed", padded)  # beside the immutable problem, as there
        return padded


jax.tree_util.register_pytree_node(
    _FitProblem, NaturalHomotopy._tree_flatten, _FitProblem._tree_unflatten
)


def _strip_problem(state: dict[str, Any]) -> dict[str, Any]:
    """The pickle state without `path_`'s problem: the built-in activations hold JAX functions,
    which pickle cannot store by reference."""

    def strip(path: Any) -> Any:
        if isinstance(path, Path) and path.problem is not None:
            return dataclasses.replace(path, problem=None, certificate=None)
        return path

    if "path_" in state:
        state = dict(state, path_=strip(state["path_"]))
    if state.get("paths_") is not None:
        state = dict(state, paths_=[strip(p) for p in state["paths_"]])
    return state


class _HomotopyEstimator(BaseEstimator):
    """The fit shared by both estimators: a network problem, its λ-path (or the warm target
    homotopy), the failure policy, and the fitted weights."""

    def __init__(
        self,
        activation: str | Callable[[Any], Any] = "tanh",
        *,
        bias: bool = True,
        target_scale: Any = "auto",
        tol: float = 1e-10,
        max_steps: int = 2000,
        on_failure: str = "raise",
        warm_start: bool = False,
        hidden_layer_sizes: Any = None,
        n_starts: int = 16,
        random_state: Any = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_starts = n_starts
        self.random_state = random_state
        self.activation = activation
        self.bias = bias
        self.target_scale = target_scale
        self.tol = tol
        self.max_steps = max_steps
        self.on_failure = on_failure
        self.warm_start = warm_start

    # -- parameter checks at the API edge (the problem and `track` check the rest)
    def _checked_params(self) -> Activation:
        if not isinstance(self.on_failure, str) or self.on_failure not in ON_FAILURE:
            raise ValueError(f"on_failure: expected one of {ON_FAILURE}, got {self.on_failure!r}")
        if not isinstance(self.warm_start, bool | np.bool_):
            raise ValueError(f"warm_start: expected a bool, got {self.warm_start!r}")
        self._hidden_units()
        n = self.n_starts
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"n_starts: expected a positive integer, got {n!r}")
        return get_activation(self.activation)

    def _hidden_units(self) -> int:
        """h from `hidden_layer_sizes` (0: no hidden layer), or a ValueError naming it."""
        sizes = self.hidden_layer_sizes
        if sizes is None:
            return 0
        if isinstance(sizes, int | np.integer) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            sizes = None
        if sizes is None or any(
            isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1 for k in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes: expected None, () or (h,) with an integer h ≥ 1, got "
                f"{self.hidden_layer_sizes!r}"
            )
        if len(sizes) > 1:
            raise ValueError(
                f"hidden_layer_sizes: {self.hidden_layer_sizes!r} asks for {len(sizes)} hidden "
                "layers; the natural homotopy is implemented for one hidden layer (MLPHomotopy): "
                "use (h,) or None"
            )
        return int(sizes[0]) if sizes else 0

    def _fit_targets(self, X: np.ndarray, D: np.ndarray, act: Activation) -> None:
        """Fit the network to coded targets `D` (``(L,)`` or ``(L, m)``) and set the fitted
        attributes."""
        if X.shape[0] < 2:
            # sklearn's phrase for this case; the rank test below would say it less plainly
            raise ValueError(f"X: n_samples = {X.shape[0]}; a fit needs at least 2 samples")
        options = dict(tol=self.tol, max_steps=self.max_steps)
        hidden = self._hidden_units()
        if hidden:
            problem = MLPHomotopy(X, D, hidden, act, bias=self.bias)
        else:
            problem = _FitProblem(X, D, act, bias=self.bias)
        path, warm = None, False
        self.paths_, self.start_search_ = None, None
        previous = getattr(self, "_warm_state", None)
        if self.warm_start and previous is not None and previous.matches(self, X, D):
            # the previous minimum, carried along d′ → d at λ = 1 (module docstring)
            homotopy = TargetHomotopy(problem, previous.D, previous.w, 1.0, 0.0)
            candidate = track(homotopy, start=previous.w, **options)
            if candidate.success:
                path, warm = candidate, True
        if path is None:
            try:
                if hidden:
                    path = self._branch_path(problem, options)
                else:
                    path = track(problem, **options)
            except RankError as err:
                raise ValueError(
                    f"X: the design matrix{' [X | 1]' if self.bias else ''} has rank "
                    f"{err.rank} < {err.s} (n_samples = {X.shape[0]}): the linear (λ = 0) fit "
                    "that starts the path is not unique; drop collinear features or add samples"
                ) from None
        if path.success:
            w, lam = np.asarray(path.w_end, np.float64), 1.0
        elif self.on_failure == "raise":
            raise PathNotConverged(path)
        else:
            if self.on_failure == "warn":
                warnings.warn(
                    f"{PathNotConverged(path)} Keeping that point.", ConvergenceWarning,
                    stacklevel=3,
                )  # fmt: skip
            w, lam = np.asarray(path.w[-1], np.float64), float(path.lam[-1])
        self.path_ = path
        self.events_ = path.events
        self.n_iter_ = max(int(path.stats["steps"]), 1)
        self.lam_ = lam
        self.warm_started_ = warm
        self._set_weights(problem, w)
        # only a solution at λ = 1 is a start for the target homotopy there
        self._warm_state = (
            _WarmState(X, np.asarray(D, np.float64), w, self._structure(X, D))
            if path.success
            else None
        )

    def _branch_path(self, problem: MLPHomotopy, options: dict) -> Path:
        """The hidden layer's fit: the branches from the starts `start_search` finds, each
        tracked to λ = 1; the path of the successful branch with the smallest error E₁ (else
        the one that got furthest in λ, for the failure policy)."""
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        try:
            search = problem.start_search(int(self.n_starts), seed=seed)
        except ValueError as err:
            if str(err).startswith("hidden:"):
                raise ValueError(f"hidden_layer_sizes: {str(err)[len('hidden: ') :]}") from None
            raise
        self.start_search_ = search
        if not search.starts:
            raise NoBranchStart(search, problem.hidden)
        paths = [track(problem, start=b, **options) for b in search.starts]
        self.paths_ = paths
        done = [p for p in paths if p.success]
        if done:
            return min(done, key=lambda p: float(problem.error(jnp.asarray(p.w_end), 1.0)))
        return max(paths, key=lambda p: float(p.lam[-1]))

    def _structure(self, X: np.ndarray, D: np.ndarray) -> tuple:
        # the parameter, not the resolved Activation: this state is pickled with the estimator
        return (self.activation, self.bias, np.shape(D)[1:], self._hidden_units())

    def _set_weights(self, problem: Any, w: np.ndarray) -> None:
        # a refit with another `hidden_layer_sizes` leaves no weights of the other model
        for name in ("coef_", "intercept_", "coefs_", "intercepts_"):
            self.__dict__.pop(name, None)
        if isinstance(problem, MLPHomotopy):
            W, V, c = (np.asarray(a, np.float64) for a in problem.unpack(jnp.asarray(w)))
            b = W[-1].copy() if self.bias else np.zeros(problem.hidden)
            basis = getattr(self, "_output_basis", None)
            if basis is not None:  # back from the K − 1 coordinates to the K class outputs
                P, mean = basis
                V, c = V @ P.T, c @ P.T + mean
            self.coefs_ = [(W[:-1] if self.bias else W).copy(), V.copy()]
            self.intercepts_ = [b, c.copy()]
            return
        W = w.reshape(problem.n_features, problem.n_outputs)
        self.coef_ = (W[:-1] if self.bias else W).T.copy()
        self.intercept_ = W[-1].copy() if self.bias else np.zeros(problem.n_outputs)

    def _network_output(self, X: np.ndarray) -> np.ndarray:
        """The fitted network's outputs (λ = `lam_`), ``(n, m)``: σ_λ(XWᵀ + b), or with a hidden
        layer σ_λ(XW₁ + b₁)W₂ + b₂ (a linear output node)."""
        act = get_activation(self.activation)
        if self._has_hidden_layer:
            (W1, W2), (b1, b2) = self.coefs_, self.intercepts_
            S = np.asarray(act.blend(jnp.asarray(X @ W1 + b1), self.lam_))
            return S @ W2 + b2
        Z = X @ np.atleast_2d(self.coef_).T + self.intercept_
        return np.asarray(act.blend(jnp.asarray(Z), self.lam_))

    @property
    def _has_hidden_layer(self) -> bool:
        """Whether the fitted network has a hidden layer (the fit's, whatever
        `hidden_layer_sizes` says now)."""
        return "coefs_" in self.__dict__

    def _check_X(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "path_")
        return validate_data(self, X, reset=False, dtype=np.float64)

    def __getstate__(self) -> dict[str, Any]:
        return _strip_problem(super().__getstate__())


@dataclasses.dataclass(frozen=True, eq=False)
class _WarmState:
    """What a warm refit starts from: the previous X, coded targets D and weights w."""

    X: np.ndarray
    D: np.ndarray
    w: np.ndarray
    structure: tuple

    def matches(self, est: _HomotopyEstimator, X: np.ndarray, D: np.ndarray) -> bool:
        """Same network and the same X (the target homotopy changes only d)."""
        return (
            self.structure == est._structure(X, D)
            and self.X.shape == X.shape
            and np.array_equal(self.X, X)
        )


class HomotopyRegressor(RegressorMixin, _HomotopyEstimator):
    r"""A single-layer network $y = a + b\,\sigma(\tilde X W)$ (or, with `hidden_layer_sizes`,
    $y = a + b\,(\sigma(\tilde X W_1)W_2 + b_2)$) fitted by least squares along the natural
    homotopy.

    **Arguments:**

    - `activation`: σ (``"tanh"``, ``"logistic"``, ``"arctan"``, ``"erf"``, ``"softsign"`` or a
      JAX-traceable callable).
    - `bias`: a constant input 1 (the intercept).
    - `target_scale`: ``"auto"`` (80 % of σ's range), ``(lo, hi)``, or ``None``: each target
      column is min–max scaled into (lo, hi) for the fit, a = min y and b = (max y − min y) /
      (hi − lo) undo it.
    - `tol`, `max_steps`: `homotopy.TrackerOptions`.
    - `on_failure`: ``"raise"`` (`PathNotConverged`), ``"warn"`` (a `ConvergenceWarning`) or
      ``"keep"``: without success the last point of the path is kept, with λ = `lam_`.
    - `warm_start`: refit on the same X from the previous weights (module docstring).
    - `hidden_layer_sizes`: ``None`` or ``()`` (a single layer), or ``(h,)``: one hidden layer
      of h units (module docstring); more layers are refused.
    - `n_starts`, `random_state`: the hidden layer's start search, from `n_starts` random
      points of M₀ drawn with `random_state` (an int, a ``RandomState`` or ``None``).

    **Fitted attributes:** `coef_` ``(n_features,)`` (``(m, n_features)`` for a 2-D y),
    `intercept_` (those of σ's argument), `path_` (the `Path`; of τ, the warm target homotopy,
    when `warm_started_`),
    `events_` (its turning points and bifurcations), `n_iter_` (accepted steps), `lam_`,
    `warm_started_`, `target_offset_`/`target_width_` (a and b), `n_features_in_`. With a
    hidden layer, instead of `coef_`/`intercept_`: `coefs_` = [W₁ ``(n_features, h)``, W₂
    ``(h, m)``] and `intercepts_` = [b₁ ``(h,)``, b₂ ``(m,)``] (as `MLPRegressor`'s; m = 1 for a
    1-D y), `start_search_` (the `StartSearch`) and `paths_` (every branch's `Path`, `path_`
    the chosen one); else those two are ``None``.

    **Raises:** `ValueError` naming the bad parameter or input; `PathNotConverged`;
    `NoBranchStart` (a hidden layer whose start search found no branch).
    """

    def fit(self, X: Any, y: Any) -> HomotopyRegressor:
        """Follow the path of ∇E_λ(w) = 0 from λ = 0 to 1 for the scaled targets."""
        act = self._checked_params()
        scale = _target_scale(self.target_scale, act, allow_none=True)
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        Y = y.reshape(y.shape[0], -1)
        if scale is None:
            offset, width = np.zeros(Y.shape[1]), np.ones(Y.shape[1])
            D = Y
        else:
            lo, hi = scale
            y_min, y_max = Y.min(axis=0), Y.max(axis=0)
            # a constant column is coded as the middle of the scale
            span = np.where(y_max > y_min, y_max - y_min, 1.0)
            width = span / (hi - lo)
            offset = np.where(y_max > y_min, y_min - lo * width, y_min - 0.5 * (lo + hi) * width)
            D = (Y - offset) / width
        self.target_offset_ = offset if y.ndim == 2 else float(offset[0])
        self.target_width_ = width if y.ndim == 2 else float(width[0])
        self._fit_targets(X, D if y.ndim == 2 else D[:, 0], act)
        if y.ndim == 1 and not self._has_hidden_layer:  # as LinearRegression: a vector, a number
            self.coef_, self.intercept_ = self.coef_[0], float(self.intercept_[0])
        return self

    def predict(self, X: Any) -> np.ndarray:
        """a + b·σ_λ(X̃W), ``(n,)`` (``(n, m)`` for a 2-D y)."""
        Y = self._network_output(self._check_X(X))
        Y = Y * np.atleast_1d(self.target_width_) + np.atleast_1d(self.target_offset_)
        return Y[:, 0] if np.ndim(self.target_offset_) == 0 else Y

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


class HomotopyClassifier(ClassifierMixin, _HomotopyEstimator):
    r"""A least-squares one-vs-rest classifier: a single-layer network $\sigma(\tilde X W)$
    fitted to the class codes along the natural homotopy.

    **Arguments:** as `HomotopyRegressor`, except `target_scale`: ``"auto"`` or the codes
    ``(negative, positive)`` inside σ's range (default 80 % of it: ±0.8 for tanh, (0.1, 0.9)
    for logistic). One output for two classes (positive: ``classes_[1]``), else one per class.

    **Scores:** `decision_function` is the output minus the codes' midpoint (``(n,)`` for two
    classes, else ``(n, K)``); `predict` its sign or argmax. `predict_proba` rescales the
    outputs into (0, 1): by σ's range, p = (y − lo)/(hi − lo), when σ is bounded and λ = 1 (for
    tanh this is logistic(2z), for logistic the output itself), else p = 1/(1 + 9^{−u}) with u
    = (y − mid)/(half the codes' gap) (the codes map to 0.1 and 0.9); for K classes the K
    one-vs-rest values are normalized to sum 1. Both are strictly increasing in the output,
    so they rank and classify as `decision_function` does; they are least-squares scores, not
    calibrated probabilities.

    With `hidden_layer_sizes` the outputs are those of the linear output node,
    σ(X̃W₁)W₂ + b₂, not bounded by σ's range: `predict_proba` uses the second formula. For
    K ≥ 3 classes (with `bias`) the network is fitted to the K − 1 coordinates D P of the codes
    in an orthonormal basis P of 1⊥, and W₂ = V P ᵀ, b₂ = c Pᵀ + the codes' row mean: every row
    of codes sums to the same constant, so with all K outputs the reduced function on M₀ would
    be constant along a line through every point (V → V + t1ᵀ with W_in t = 0, which exists
    for every h ≥ K), and no critical point would be a nondegenerate start. The fit's
    critical points are those of the K-output error (the component along 1 is fitted exactly
    by the bias); `path_` is the path of the reduced problem.

    **Fitted attributes:** `classes_`, `coef_` ``(1 or K, n_features)``, `intercept_` (with a
    hidden layer `coefs_`, `intercepts_`, `start_search_`, `paths_` instead), and the rest as
    `HomotopyRegressor`.

    **Raises:** `ValueError` naming the bad parameter or input (also for fewer than 2 classes
    or continuous targets); `PathNotConverged`; `NoBranchStart`.
    """

    def fit(self, X: Any, y: Any) -> HomotopyClassifier:
        """Code the labels one-vs-rest and follow the path from λ = 0 to 1."""
        act = self._checked_params()
        neg, pos = _target_scale(self.target_scale, act, allow_none=False)
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, index = np.unique(y, return_inverse=True)
        K = len(self.classes_)
        if K < 2:
            raise ValueError(f"y: needs at least 2 classes, got 1 class ({self.classes_[0]!r})")
        self.codes_ = (neg, pos)
        self._output_basis = None
        if K == 2:
            D = np.where(index == 1, pos, neg)
        else:
            D = np.where(index[:, None] == np.arange(K), pos, neg)
            if self._hidden_units() and self.bias:
                # the K codes of a row sum to pos + (K − 1)·neg: fit the K − 1 coordinates of
                # D in an orthonormal basis P of 1⊥ (the class docstring says why)
                Q = np.linalg.qr(np.column_stack([np.ones(K), np.eye(K)[:, : K - 1]]))[0]
                P = Q[:, 1:] * np.sign(np.diag(Q)[1:])
                self._output_basis = (P, (pos + (K - 1) * neg) / K)
                D = D @ P
        self._fit_targets(X, D, act)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """σ_λ(X̃W) − (negative + positive)/2: ``(n,)`` for two classes, else ``(n, K)``."""
        Y = self._network_output(self._check_X(X)) - 0.5 * sum(self.codes_)
        return Y[:, 0] if len(self.classes_) == 2 else Y

    def predict(self, X: Any) -> np.ndarray:
        """The class of the largest score (for two classes: ``classes_[1]`` where it is > 0)."""
        score = self.decision_function(X)
        if score.ndim == 1:
            return self.classes_[(score > 0).astype(int)]
        return self.classes_[np.argmax(score, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """The outputs rescaled into (0, 1) (class docstring), ``(n, K)``, rows summing to 1."""
        Y = self._network_output(self._check_X(X))
        lo, hi = get_activation(self.activation).range
        bounded = math.isfinite(lo) and math.isfinite(hi) and not self._has_hidden_layer
        if bounded and self.lam_ == 1.0:
            P = (Y - lo) / (hi - lo)
        else:
            neg, pos = self.codes_
            u = (Y - 0.5 * (neg + pos)) / (0.5 * (pos - neg))
            P = 1.0 / (1.0 + 9.0 ** (-u))
        P = np.clip(P, 0.0, 1.0)  # rounding at saturation only
        if len(self.classes_) == 2:
            return np.concatenate([1.0 - P, P], axis=1)
        total = P.sum(axis=1, keepdims=True)
        # every output saturated at the bottom of the range: no class is preferred
        return np.where(total > 0, P / np.where(total > 0, total, 1.0), 1.0 / P.shape[1])
