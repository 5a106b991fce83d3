"""scikit-learn estimators on the natural homotopy (issue 16): scikit-learn's own estimator
checks, pipelines and model selection, agreement with scipy's least squares on bundled data,
the target codes, the failure policy, and the warm start by a target homotopy."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest


pytest.importorskip("sklearn")

from scipy.optimize import least_squares  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import homotopy as h  # noqa: E402
from homotopy.sklearn import (  # noqa: E402
    HomotopyClassifier,
    HomotopyRegressor,
    PathNotConverged,
    default_target_scale,
)


@parametrize_with_checks([HomotopyRegressor(), HomotopyClassifier()])
def test_sklearn_check_suite(estimator, check) -> None:
    """Every check of scikit-learn's `check_estimator` suite."""
    check(estimator)


def test_readme_example_runs(capsys) -> None:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index("## scikit-learn")
    code = re.search(r"```python\n(.*?)```", text[start:], re.S).group(1)
    exec(compile(code, "README scikit-learn", "exec"), {})
    out = capsys.readouterr().out
    assert "reached λ = 1" in out and out.count("turning_point") == 4


def test_core_import_does_not_load_sklearn() -> None:
    code = "import homotopy, sys; assert 'sklearn' not in sys.modules, 'sklearn imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# ----------------------------------------------------------------------------- scipy reference


def _lm_fit(X: np.ndarray, D: np.ndarray, sigma, d1, w0: np.ndarray) -> np.ndarray:
    """W ``(s, m)`` minimizing ½‖D − σ([X | 1]W)‖² by scipy's Levenberg–Marquardt, tight."""
    Xt = np.hstack([X, np.ones((X.shape[0], 1))])
    s, m = Xt.shape[1], D.shape[1]

    def residual(w):
        return (sigma(Xt @ w.reshape(s, m)) - D).ravel()

    def jacobian(w):
        a = d1(Xt @ w.reshape(s, m))  # (L, m)
        J = np.einsum("ij,ib,jk->ijbk", a, Xt, np.eye(m))
        return J.reshape(-1, s * m)

    sol = least_squares(
        residual, w0.ravel(), jac=jacobian, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15,
        max_nfev=20000,
    )  # fmt: skip
    assert sol.status > 0, sol.message
    return sol.x.reshape(s, m)


def _bundled(loader):
    X, y = loader(return_X_y=True)
    # notebook 8's split (which compiles the same tracker, shared through the disk cache)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


@pytest.mark.parametrize("loader", [load_iris, load_breast_cancer], ids=["iris", "breast_cancer"])
def test_classifier_scores_equal_scipy_least_squares(loader) -> None:
    """The pipeline's scores are those of the same network fitted by scipy's LM from the linear
    solution, an independent optimizer: both end at the same minimum (positive definite
    Hessian). Not on every split: with test_size=0.3, LM finds another breast_cancer minimum
    with a lower error (8.26 against the path's 8.41); the λ-path ends at a local minimum."""
    X_tr, X_te, y_tr, y_te = _bundled(loader)
    model = make_pipeline(StandardScaler(), HomotopyClassifier()).fit(X_tr, y_tr)
    clf = model[-1]
    assert clf.path_.success and clf.lam_ == 1.0 and clf.n_iter_ == clf.path_.stats["steps"]
    assert clf.events_ == clf.path_.events
    Z_tr, Z_te = model[0].transform(X_tr), model[0].transform(X_te)
    K = len(clf.classes_)
    onehot = (y_tr[:, None] == clf.classes_[None, :]).astype(float)
    D = np.where(onehot[:, 1:] if K == 2 else onehot, 0.8, -0.8)
    Xt = np.hstack([Z_tr, np.ones((len(Z_tr), 1))])
    W_h = np.vstack([clf.coef_.T, clf.intercept_[None, :]])
    W_lin = np.linalg.lstsq(Xt, D, rcond=None)[0]
    d1 = lambda t: 1.0 / np.cosh(t) ** 2
    W = _lm_fit(Z_tr, D, np.tanh, d1, W_lin)
    problem = clf.path_.problem
    assert np.min(np.linalg.eigvalsh(np.asarray(problem.H_w(clf.path_.w_end, 1.0)))) > 0
    E = 0.5 * np.sum((np.tanh(Xt @ W) - D) ** 2)
    E_h = 0.5 * np.sum((np.tanh(Xt @ W_h) - D) ** 2)
    assert abs(E_h - E) <= 1e-10 * E
    assert np.max(np.abs(W_h - W)) <= 1e-4 * (1 + np.max(np.abs(W)))

    def scores(Z):
        out = np.tanh(np.hstack([Z, np.ones((len(Z), 1))]) @ W)
        return out[:, 0] if K == 2 else out

    for Z, X, y in ((Z_tr, X_tr, y_tr), (Z_te, X_te, y_te)):
        reference = scores(Z)
        pred = clf.classes_[(reference > 0).astype(int) if K == 2 else np.argmax(reference, 1)]
        assert abs(model.score(X, y) - np.mean(pred == y)) <= 1e-8
        # LM's ftol stop leaves ~1e-5 in the Hessian's flattest directions (‖w‖ ≈ 50 on
        # breast_cancer): the outputs agree to a few 1e-6, the error to 1e-10
        np.testing.assert_allclose(model.decision_function(X), reference, atol=1e-5)


def test_regressor_score_equals_scipy_least_squares() -> None:
    """Diabetes, a min-max scaled target: R² on train and test as scipy's LM fit to 1e-8."""
    X_tr, X_te, y_tr, y_te = train_test_split(
        *load_diabetes(return_X_y=True), train_size=256, random_state=0
    )
    model = make_pipeline(StandardScaler(), HomotopyRegressor()).fit(X_tr, y_tr)
    lo, hi = -0.8, 0.8
    assert default_target_scale(h.get_activation("tanh")) == pytest.approx((lo, hi))
    assert default_target_scale(h.get_activation("logistic")) == pytest.approx((0.1, 0.9))
    D = (lo + (y_tr - y_tr.min()) / (y_tr.max() - y_tr.min()) * (hi - lo))[:, None]
    Z_tr, Z_te = model[0].transform(X_tr), model[0].transform(X_te)
    d1 = lambda t: 1.0 / np.cosh(t) ** 2
    W = _lm_fit(Z_tr, D, np.tanh, d1, np.zeros((Z_tr.shape[1] + 1, 1)))

    def predict(Z):
        out = np.tanh(np.hstack([Z, np.ones((len(Z), 1))]) @ W)[:, 0]
        return y_tr.min() + (out - lo) / (hi - lo) * (y_tr.max() - y_tr.min())

    for Z, X, y in ((Z_tr, X_tr, y_tr), (Z_te, X_te, y_te)):
        assert abs(model.score(X, y) - r2_score(y, predict(Z))) <= 1e-8
        np.testing.assert_allclose(model.predict(X), predict(Z), rtol=1e-8)


# ----------------------------------------------------------------------------- model selection


def test_cross_val_score_in_a_pipeline_equals_fold_by_fold_fits() -> None:
    X, y = load_iris(return_X_y=True)
    model = Pipeline([("scale", StandardScaler()), ("net", HomotopyClassifier())])
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    scores = cross_val_score(model, X, y, cv=cv)
    by_hand = [clone(model).fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in cv.split(X, y)]
    np.testing.assert_array_equal(scores, by_hand)
    assert scores.mean() > 0.85


def test_grid_search_over_activation_bias_and_tol() -> None:
    X, y = load_iris(return_X_y=True)
    # one value changed at a time: every setting is a compile of its own (tol included)
    grid = [
        {"net__activation": ["tanh", "logistic"]},
        {"net__bias": [False]},
        {"net__tol": [1e-8]},
    ]
    model = Pipeline([("scale", StandardScaler()), ("net", HomotopyClassifier())])
    cv = StratifiedKFold(3, shuffle=True, random_state=1)
    search = GridSearchCV(model, grid, cv=cv).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_[-1]
    assert all(getattr(best, k.split("__")[1]) == v for k, v in search.best_params_.items())
    # a looser tol changes the fit only at its own level
    results = search.cv_results_
    scores = dict(zip(map(str, results["params"]), results["mean_test_score"], strict=True))
    assert scores[str({"net__tol": 1e-8})] == scores[str({"net__activation": "tanh"})]
    again = cross_val_score(clone(model).set_params(**search.best_params_), X, y, cv=cv)
    assert search.best_score_ == pytest.approx(again.mean(), abs=1e-12)
    # the settings reach the fit: logistic codes, and no intercept without a bias
    logistic = clone(model).set_params(net__activation="logistic", net__bias=False).fit(X, y)
    assert logistic[-1].codes_ == pytest.approx((0.1, 0.9))
    np.testing.assert_array_equal(logistic[-1].intercept_, 0.0)


# ----------------------------------------------------------------------------- the model itself


def _small(seed: int = 0, L: int = 200, n: int = 3):
    # L ≤ 256 = MIN_ROWS: the estimators and a plain NaturalHomotopy of this size share a
    # tracker compile
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(L, n))
    return X, rng


def test_classifier_fits_the_coded_natural_homotopy() -> None:
    """fit = track(NaturalHomotopy(X, codes, bias=True)); its scores follow the documented
    formulas."""
    X, rng = _small()
    y = np.array(["a", "b", "c"])[np.argmax(X @ rng.normal(size=(3, 3)), axis=1)]
    clf = HomotopyClassifier(activation="logistic").fit(X, y)
    D = np.where(y[:, None] == np.array(["a", "b", "c"]), 0.9, 0.1)
    path = h.track(h.NaturalHomotopy(X, D, "logistic", bias=True))
    W = path.w_end.reshape(4, 3)
    np.testing.assert_allclose(clf.coef_, W[:3].T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(clf.intercept_, W[3], rtol=1e-12, atol=1e-12)
    out = 1.0 / (1.0 + np.exp(-(X @ W[:3] + W[3])))
    np.testing.assert_allclose(clf.decision_function(X), out - 0.5, atol=1e-12)
    # logistic is bounded in (0, 1): the probabilities are the normalized outputs
    np.testing.assert_allclose(clf.predict_proba(X), out / out.sum(1, keepdims=True), atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(out, axis=1)])
    # two classes: one output, its sign; tanh's proba is (y + 1)/2 = logistic(2z)
    yb = np.where(X[:, 0] + 0.3 * X[:, 1] > 0, 7, -3)
    binary = HomotopyClassifier(target_scale=(-0.5, 0.5)).fit(X, yb)
    assert binary.coef_.shape == (1, 3) and binary.intercept_.shape == (1,)
    z = X @ binary.coef_[0] + binary.intercept_[0]
    np.testing.assert_allclose(binary.decision_function(X), np.tanh(z), atol=1e-12)
    np.testing.assert_allclose(binary.predict_proba(X)[:, 1], 1 / (1 + np.exp(-2 * z)), atol=1e-12)
    assert set(binary.predict(X)) <= {7, -3} and binary.score(X, yb) > 0.9


def test_regressor_multi_output_is_one_fit_per_column() -> None:
    """The outputs of a single-layer network decouple: a 2-D y fits each column alone."""
    X, rng = _small(1)
    Y = np.column_stack([np.tanh(X @ [1.0, -0.5, 0.2]), X[:, 1] ** 2]) + 0.05 * rng.normal(
        size=(200, 2)
    )
    both = HomotopyRegressor().fit(X, Y)
    assert both.coef_.shape == (2, 3) and both.intercept_.shape == (2,)
    assert both.predict(X).shape == (200, 2)
    for j in range(2):
        one = HomotopyRegressor().fit(X, Y[:, j])
        assert one.coef_.shape == (3,) and isinstance(one.intercept_, float)
        np.testing.assert_allclose(both.coef_[j], one.coef_, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(both.predict(X)[:, j], one.predict(X), rtol=1e-9)
    # the training targets are mapped into ±0.8 and back
    p = both.predict(X)
    margin = 0.125 * np.ptp(Y, axis=0)
    assert np.all(p > Y.min(0) - margin) and np.all(p < Y.max(0) + margin)


def test_regressor_without_target_scaling_fits_y_itself() -> None:
    X, rng = _small(2)
    y = np.tanh(X @ [0.5, 0.2, -0.3] + 0.1) + 0.01 * rng.normal(size=200)
    reg = HomotopyRegressor(target_scale=None).fit(X, y)
    path = h.track(h.NaturalHomotopy(X, y, bias=True))
    np.testing.assert_allclose(reg.coef_, path.w_end[:3], rtol=1e-12)
    np.testing.assert_allclose(reg.predict(X), np.tanh(X @ reg.coef_ + reg.intercept_), rtol=1e-12)


def test_fitted_estimator_pickles_with_its_path() -> None:
    X, rng = _small(3)
    reg = HomotopyRegressor().fit(X, X[:, 0] - X[:, 1])
    back = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))
    np.testing.assert_array_equal(back.path_.w, reg.path_.w)
    assert back.path_.status is h.Status.SUCCESS and back.path_.problem is None
    assert reg.path_.problem is not None  # the fitted original keeps it


# ----------------------------------------------------------------------------- failures


def _diverging():
    """Targets outside tanh's range, not scaled: the weights run to infinity."""
    X, _ = _small(4, n=2)
    return X, np.where(X[:, 0] > 0, 1.5, -1.5)


def test_failed_path_raises_with_status_and_message() -> None:
    X, y = _diverging()
    with pytest.raises(PathNotConverged, match="status diverged") as info:
        HomotopyRegressor(target_scale=None).fit(X, y)
    err = info.value
    assert isinstance(err, RuntimeError)
    assert err.status is h.Status.DIVERGED and err.message == err.path.message
    assert err.message in str(err)


def test_failed_path_kept_on_request() -> None:
    X, y = _diverging()
    with pytest.warns(ConvergenceWarning, match="status diverged"):
        warned = HomotopyRegressor(target_scale=None, on_failure="warn").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = HomotopyRegressor(target_scale=None, on_failure="keep").fit(X, y)
    for est in (warned, kept):
        assert est._warm_state is None  # no warm start from a point below λ = 1
        path = est.path_
        assert path.status is h.Status.DIVERGED and est.lam_ == float(path.lam[-1]) < 1.0
        np.testing.assert_allclose(np.append(est.coef_, est.intercept_), path.w[-1])
        # predictions are the network at the kept point's own λ
        act = h.get_activation("tanh")
        expected = np.asarray(act.blend(X @ est.coef_ + est.intercept_, est.lam_))
        np.testing.assert_allclose(est.predict(X), expected, rtol=1e-12)


def test_kept_classifier_scores_by_the_logistic_link() -> None:
    """Below λ = 1 the outputs are not bounded by σ's range: predict_proba uses
    p = 1/(1 + 9^(−u)), u = (y − mid)/(half the codes' gap), still ranked as the scores."""
    X, _ = _small(7)
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    clf = HomotopyClassifier().fit(X, y)
    clf.lam_ = 0.9  # as a kept point of a failed path would have it (no compile of its own)
    u = clf.decision_function(X) / 0.8
    z = X @ clf.coef_[0] + clf.intercept_[0]
    np.testing.assert_allclose(u * 0.8, 0.1 * z + 0.9 * np.tanh(z), atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], 1 / (1 + 9.0 ** (-u)), rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), (u > 0).astype(int))


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(on_failure="ignore"), "on_failure"),
        (dict(warm_start="yes"), "warm_start"),
        (dict(target_scale=(-0.5, 1.2)), "target_scale"),
        (dict(target_scale=(0.5, -0.5)), "target_scale"),
        (dict(target_scale="wide"), "target_scale"),
        (dict(activation="relu"), "activation"),
        (dict(tol=1e3), "tol"),
        (dict(max_steps=0), "max_steps"),
        (dict(bias="yes"), "bias"),
    ],
)
def test_bad_parameters_are_named(params, name) -> None:
    X, _ = _small(5, n=2)
    y = (X[:, 0] > 0).astype(int)
    for est in (HomotopyRegressor(**params), HomotopyClassifier(**params)):
        with pytest.raises(ValueError, match=f"^{name}:"):
            est.fit(X, y)


def test_rank_deficient_design_is_refused_naming_X() -> None:
    X, _ = _small(6, n=2)
    X = np.column_stack([X, X[:, 0] + X[:, 1]])
    with pytest.raises(ValueError, match=r"^X: .*rank 3 < 4"):
        HomotopyRegressor().fit(X, X[:, 0])
    with pytest.raises(ValueError, match="at least 2 classes"):
        HomotopyClassifier().fit(X[:, :2], np.zeros(200))


# ----------------------------------------------------------------------------- warm start


def test_warm_start_tracks_the_targets_from_the_previous_fit() -> None:
    """Same X, new targets (a residual bootstrap): the fit follows the target homotopy from
    the previous weights, ends where a cold fit ends, and in fewer steps."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X[:200, :4])
    y = y[:200]
    kw = dict(target_scale=(-0.95, 0.95))
    warm = HomotopyRegressor(warm_start=True, **kw).fit(X, y)
    assert warm.warm_started_ is False  # nothing to start from yet
    rng = np.random.default_rng(0)
    fitted = warm.predict(X)
    resampled = fitted + rng.choice(y - fitted, size=y.size)
    warm.fit(X, resampled)
    cold = HomotopyRegressor(**kw).fit(X, resampled)
    assert warm.warm_started_ is True and cold.warm_started_ is False
    assert warm.path_.problem.__class__ is h.TargetHomotopy
    assert warm.path_.success and float(warm.path_.lam[-1]) == 1.0
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(warm.predict(X), cold.predict(X), rtol=1e-10)
    # a changed X is a cold fit again
    warm.fit(X[::-1], resampled[::-1])
    assert warm.warm_started_ is False
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-8, atol=1e-10)


def test_warm_start_falls_back_to_the_lambda_path() -> None:
    """Where the previous minimum meets a fold in τ, the target homotopy does not reach the
    new targets: the fit is the cold λ-path's (found on the 2 × 1 example of issue 13)."""
    X = np.array([[0.089], [3.542]])
    kw = dict(bias=False, target_scale=None)
    est = HomotopyRegressor(warm_start=True, **kw).fit(X, [0.21923171, -0.22101265])
    new = [0.94469888, 0.91358714]
    homotopy = h.TargetHomotopy(h.NaturalHomotopy(X, new), est._warm_state.D, est.coef_, 1.0)
    assert not h.track(homotopy, start=est.coef_).success
    est.fit(X, new)
    cold = HomotopyRegressor(**kw).fit(X, new)
    assert est.warm_started_ is False and est.path_.success
    np.testing.assert_allclose(est.coef_, cold.coef_, rtol=1e-12)


# ----------------------------------------------------------------------------- a hidden layer


@pytest.fixture(scope="module")
def diabetes_scaled():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_hidden_layer_regressor_reaches_lambda_one(diabetes_scaled) -> None:
    """hidden_layer_sizes=(1,): the branch from the best start of `MLPHomotopy.start_search`
    reaches λ = 1 at a stationary point; it fits at least as well as the single layer (the
    model with one tanh unit and a linear output nests σ(Xw + b)); predictions are the network
    evaluated by hand at coefs_/intercepts_."""
    X, y = diabetes_scaled
    single = HomotopyRegressor().fit(X, y)
    reg = HomotopyRegressor(hidden_layer_sizes=(1,), n_starts=4, random_state=0).fit(X, y)
    assert reg.path_.success and reg.lam_ == 1.0 and float(reg.path_.lam[0]) == 0.0
    assert not hasattr(reg, "coef_") and len(reg.paths_) == len(reg.start_search_.starts) >= 1
    problem = reg.path_.problem
    w = np.asarray(reg.path_.w_end)
    assert np.linalg.norm(problem.H(w, 1.0)) < 1e-10
    (W1, W2), (b1, b2) = reg.coefs_, reg.intercepts_
    assert W1.shape == (10, 1) and W2.shape == (1, 1) and b1.shape == (1,) and b2.shape == (1,)
    out = np.tanh(X @ W1 + b1) @ W2 + b2
    np.testing.assert_allclose(reg.predict(X), reg.target_offset_ + reg.target_width_ * out[:, 0],
                               rtol=1e-12)  # fmt: skip
    D = (y - reg.target_offset_) / reg.target_width_
    E_hidden = 0.5 * np.sum((D - out[:, 0]) ** 2)
    E_single = 0.5 * np.sum((D - np.tanh(X @ single.coef_ + single.intercept_)) ** 2)
    assert E_hidden <= E_single
    assert reg.score(X, y) >= single.score(X, y)
    # the chosen branch is the successful one with the smallest error
    errors = [float(problem.error(p.w_end, 1.0)) for p in reg.paths_ if p.success]
    assert E_hidden == pytest.approx(min(errors), rel=1e-12)
    back = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))
    # a refit without the hidden layer is the single layer's, with no hidden weights left
    reg.set_params(hidden_layer_sizes=None).fit(X, y)
    assert not hasattr(reg, "coefs_") and reg.paths_ is None
    np.testing.assert_allclose(reg.predict(X), single.predict(X), rtol=1e-12)


@pytest.mark.parametrize(
    "sizes, match",
    [((3, 2), "2 hidden layers"), ((0,), "integer h ≥ 1"), ("wide", "integer h ≥ 1")],
)
def test_hidden_layer_sizes_refused(sizes, match) -> None:
    X, _ = _small(5, n=2)
    for est in (
        HomotopyRegressor(hidden_layer_sizes=sizes),
        HomotopyClassifier(hidden_layer_sizes=sizes),
    ):
        with pytest.raises(ValueError, match=f"^hidden_layer_sizes: .*{match}"):
            est.fit(X, (X[:, 0] > 0).astype(int))
    with pytest.raises(ValueError, match="^n_starts:"):
        HomotopyRegressor(hidden_layer_sizes=(1,), n_starts=0).fit(X, X[:, 0])


def test_no_branch_start_says_what_the_search_found(diabetes_scaled) -> None:
    """Three tanh units on diabetes: the search's critical points of g on M₀ are degenerate
    (dead units) or at infinity, so no branch leaves M₀; the error says so, whatever
    on_failure is."""
    from homotopy.sklearn import NoBranchStart

    X, y = diabetes_scaled
    est = HomotopyRegressor(hidden_layer_sizes=(3,), n_starts=2, random_state=0, on_failure="keep")
    with pytest.raises(NoBranchStart, match="no branch leaves the linear network for 3") as info:
        est.fit(X, y)
    assert info.value.search.tried == 2 and not info.value.search.starts


def test_hidden_layer_classifier_reaches_lambda_one() -> None:
    """Iris versicolor against virginica on the petal features (the classes overlap: with
    separable classes the codes are fitted exactly by a step, at infinite weights, and the
    branches diverge): one hidden unit reaches λ = 1 with at most the single layer's error;
    the scores are the network by hand minus the codes' midpoint."""
    X, y = load_iris(return_X_y=True)
    X, y = StandardScaler().fit_transform(X[y > 0][:, 2:]), y[y > 0]
    single = HomotopyClassifier().fit(X, y)
    clf = HomotopyClassifier(hidden_layer_sizes=(1,), n_starts=4, random_state=0).fit(X, y)
    assert clf.path_.success and clf.lam_ == 1.0
    assert np.linalg.norm(clf.path_.problem.H(clf.path_.w_end, 1.0)) < 1e-10
    (W1, W2), (b1, b2) = clf.coefs_, clf.intercepts_
    out = (np.tanh(X @ W1 + b1) @ W2 + b2)[:, 0]
    np.testing.assert_allclose(clf.decision_function(X), out, atol=1e-12)  # codes ±0.8
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[(out > 0).astype(int)])
    D = np.where(y == clf.classes_[1], 0.8, -0.8)
    E_single = 0.5 * np.sum((D - np.tanh(X @ single.coef_[0] + single.intercept_[0])) ** 2)
    assert 0.5 * np.sum((D - out) ** 2) <= E_single
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P[:, 1], 1 / (1 + 9.0 ** (-out / 0.8)), rtol=1e-12)


def test_hidden_layer_classifier_three_classes_fits_reduced_codes() -> None:
    """Iris, 3 classes, 2 hidden units: the codes are fitted in 1⊥ (2 coordinates; with all 3
    outputs every critical point of the reduced function on M₀ lies on a line of them, so no
    start would be nondegenerate). The branch reaches λ = 1, and the mapped-back weights are
    a stationary point of the 3-output error itself (an MLPHomotopy on the full codes); the
    scores are the network by hand. (Two units do not nest the 3-output single layer: its
    error is not compared.)"""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = HomotopyClassifier(hidden_layer_sizes=(2,), n_starts=8, random_state=0).fit(X, y)
    assert clf.path_.success and clf.lam_ == 1.0 and clf.path_.problem.n_outputs == 2
    (W1, W2), (b1, b2) = clf.coefs_, clf.intercepts_
    assert W1.shape == (4, 2) and W2.shape == (2, 3) and b2.shape == (3,)
    D = np.where(y[:, None] == np.arange(3), 0.8, -0.8)
    full = h.MLPHomotopy(X, D, hidden=2)
    w = full.pack(np.vstack([W1, b1]), W2, b2)
    assert np.linalg.norm(full.H(w, 1.0)) < 1e-10
    out = np.tanh(X @ W1 + b1) @ W2 + b2
    np.testing.assert_allclose(clf.decision_function(X), out, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), np.argmax(out, axis=1))
    assert clf.score(X, y) > 0.8
