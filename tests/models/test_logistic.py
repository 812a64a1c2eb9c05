"""LogisticResponse: formula models on patient-level binary data, g-computed arm contrasts."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeshcc as bh


def patients(rng_seed: int = 1) -> pd.DataFrame:
    """huang2022 RECIST (18/55 vs 1/59) as one row per patient, with made-up covariates."""
    rng = np.random.default_rng(rng_seed)
    rows = [{"arm": arm, "response": int(i < y)}
            for arm, y, n in (("FOLFOX-HAIC", 18, 55), ("Sorafenib", 1, 59)) for i in range(n)]
    df = pd.DataFrame(rows)
    df["pvtt"] = rng.choice(["absent", "present"], len(df))
    df["age"] = rng.normal(55, 10, len(df)).round()
    return df


@pytest.fixture
def data():
    return bh.BinaryPatientData.from_frame(patients(), covariates=["pvtt", "age"]).with_control("Sorafenib")


def test_formula_constructs_a_logistic_model():
    m = bh.BinomialResponse(formula="response ~ arm + pvtt", reference={"pvtt": "absent"})
    assert isinstance(m, bh.LogisticResponse) and m.family == "logistic_response"
    assert isinstance(bh.BinomialResponse(), bh.BinomialResponse)
    with pytest.raises(bh.SpecError, match="a Beta prior applies to the exact model only"):
        bh.BinomialResponse(formula="response ~ arm", prior=bh.Beta(1, 1))
    with pytest.raises(bh.SpecError, match="formula: expected"):
        bh.LogisticResponse(formula="arm + pvtt")


@pytest.mark.slow
def test_cell_means_logistic_matches_exact_beta(data):
    """``response ~ 0 + arm`` with Logistic(0, 1) on each arm's log-odds is the exact model's
    Beta(1, 1) prior, so the posteriors are the same: Beta(2, 59) and Beta(19, 38). Each draw
    quantile and the mean risk difference must be within 4 Monte Carlo standard errors (from the
    bulk/tail ESS: sqrt(q(1-q)/ESS)/density for a quantile, sd/sqrt(ESS) for a mean)."""
    import arviz as az

    fit = bh.BinomialResponse(formula="response ~ 0 + arm", coef_prior=bh.Logistic(0, 1)).fit(
        data, draws=2000, chains=4, seed=11)
    assert fit.diagnostics().ok
    exact = {"Sorafenib": stats.beta(2, 59), "FOLFOX-HAIC": stats.beta(19, 38)}
    for arm, dist in exact.items():
        x = fit.rate.sel(arm=arm)
        ess = float(az.ess(x.to_dataset(name="r"), method="tail")["r"])
        for q in (0.05, 0.5, 0.95):
            se = np.sqrt(q * (1 - q) / ess) / dist.pdf(dist.ppf(q))
            assert abs(float(np.quantile(x.values, q)) - dist.ppf(q)) < 4 * se, (arm, q)
    rd = fit.compare().draws["risk_difference"]
    ess = float(az.ess(rd.to_dataset(name="d"))["d"])
    mean = exact["FOLFOX-HAIC"].mean() - exact["Sorafenib"].mean()
    sd = np.sqrt(exact["FOLFOX-HAIC"].var() + exact["Sorafenib"].var())
    assert abs(float(rd.mean()) - mean) < 4 * sd / np.sqrt(ess)
    p_exact = bh.BinomialResponse().fit(data.to_binary(), seed=1, draws=10).exact_posterior().prob(
        "risk_difference", ">", 0.25)[0]
    p = fit.compare().prob("risk_difference", ">", 0.25)
    assert abs(p - p_exact) < 4 * np.sqrt(p_exact * (1 - p_exact) / ess)


def test_g_computation_and_coefficient_scale(data, mock_sampler):
    """With fixed coefficients the standardised rates are the average of each patient's
    prediction under each arm; a numeric coefficient is reported per unit of age."""
    prepared = bh.LogisticResponse(formula="response ~ arm + pvtt + age").prepare(data)
    assert prepared.coords["term"] == ["arm[T.FOLFOX-HAIC]", "pvtt[T.present]", "age"]
    age = data.frame["age"]
    np.testing.assert_allclose(prepared.arrays["x"][:, 2], (age - age.mean()) / age.std(ddof=1))
    alpha, beta = -2.0, np.array([2.5, -0.7, 0.4])

    def draw(model, prepared, chains, draws, rng):
        p = 1 / (1 + np.exp(-(alpha + prepared.arrays["x_arm"] @ beta)))
        return {"intercept": np.full((chains, draws), alpha), "coef": np.broadcast_to(beta, (chains, draws, 3)),
                "rate": np.broadcast_to(p.mean(axis=1), (chains, draws, 2))}

    mock_sampler(draw)
    fit = bh.LogisticResponse(formula="response ~ arm + pvtt + age").fit(data, draws=5, chains=1, seed=1)
    x = prepared.arrays["x"].copy()
    rates = []
    for arm_value in (0.0, 1.0):
        x[:, 0] = arm_value
        rates.append(np.mean(1 / (1 + np.exp(-(alpha + x @ beta)))))
    cmp = fit.compare()
    assert cmp.draws["risk_difference"].values.ravel()[0] == pytest.approx(rates[1] - rates[0])
    assert cmp.draws["number_needed_to_treat"].values.ravel()[0] == pytest.approx(1 / (rates[1] - rates[0]))
    coefs = fit.coefficients().set_index("term")
    assert coefs.loc["age", "median"] == pytest.approx(0.4 / age.std(ddof=1))
    assert coefs.loc["age", "scale"] == "per unit" and coefs.loc["pvtt[T.present]", "scale"] == "indicator"


def test_reference_levels_and_bad_formulas(data):
    p = bh.LogisticResponse(formula="response ~ arm + pvtt", reference={"pvtt": "present"}).prepare(data)
    assert p.coords["term"] == ["arm[T.FOLFOX-HAIC]", "pvtt[T.absent]"]
    with pytest.raises(bh.DataError, match=r"reference.pvtt: 'unknown' is not a level"):
        bh.LogisticResponse(formula="response ~ arm + pvtt", reference={"pvtt": "unknown"}).prepare(data)
    with pytest.raises(bh.DataError, match=r"reference: \['ecog'\] are not covariates"):
        bh.LogisticResponse(formula="response ~ arm", reference={"ecog": "0"}).prepare(data)
    with pytest.raises(bh.DataError, match="is not the data's response column"):
        bh.LogisticResponse(formula="orr ~ arm").prepare(data)
    with pytest.raises(bh.DataError, match="no term for the arm column"):
        bh.LogisticResponse(formula="response ~ pvtt").prepare(data)
    with pytest.raises(bh.DataError, match="cannot be built from the data's columns"):
        bh.LogisticResponse(formula="response ~ arm + ecog").prepare(data)


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda d: d.assign(response=d["response"].replace(1, 2)), {}, r"'response' must be 0 or 1 .*\[2\]"),
        (lambda d: d.assign(age=d["age"].where(d.index != 3)), {"covariates": ["age"]}, r"covariate 'age' is missing in row 3"),
        (lambda d: d.assign(pvtt="absent"), {"covariates": ["pvtt"]}, "has one level only"),
        (lambda d: d, {"covariates": ["arm"]}, "are the response or arm column"),
        (lambda d: d.drop(columns="response"), {}, r"missing column\(s\) \['response'\]"),
        (lambda d: d.iloc[:0], {}, "no rows"),
        (lambda d: d.assign(arm=d["arm"].where(d.index != 5)), {}, "missing arm labels"),
    ],
)
def test_bad_patient_data(change, kwargs, message):
    with pytest.raises(bh.DataError, match=message):
        bh.BinaryPatientData.from_frame(change(patients()), **kwargs)


def test_patient_data_aggregates():
    d = bh.BinaryPatientData.from_frame(patients(), covariates="pvtt").with_control("Sorafenib")
    assert d.responders == {"FOLFOX-HAIC": 18, "Sorafenib": 1} and d.n == {"FOLFOX-HAIC": 55, "Sorafenib": 59}
    b = d.to_binary()
    assert b.control == "Sorafenib" and b.responders == d.responders
    assert "114 patients" in repr(d)


def test_arm_and_covariate_terms_matched_by_variable_not_by_name(mock_sampler):
    """An arm column "A" is not the covariate "AFP", and a covariate "H" is not the arm level
    "HAIC": terms are matched to data columns through the formula's structure."""
    df = patients().rename(columns={"arm": "A"}).replace({"A": {"FOLFOX-HAIC": "HAIC"}})
    df["AFP"] = np.log1p(np.arange(len(df)) % 7 * 100.0)
    df["H"] = np.arange(len(df)) % 5
    data = bh.BinaryPatientData.from_frame(df, arm="A", covariates=["AFP", "H"]).with_control("Sorafenib")
    with pytest.raises(bh.DataError, match="no term for the arm column 'A'"):
        bh.LogisticResponse(formula="response ~ AFP + H").prepare(data)
    model = bh.LogisticResponse(formula="response ~ A + AFP + H")
    assert model.prepare(data).coords["term"] == ["A[T.HAIC]", "AFP", "H"]
    mock_sampler(lambda model, prepared, chains, draws, rng: {
        "intercept": np.zeros((chains, draws)), "coef": np.ones((chains, draws, 3)),
        "rate": np.full((chains, draws, 2), 0.5)})
    coefs = model.fit(data, draws=2, chains=1, seed=1).coefficients().set_index("term")["scale"]
    assert coefs.to_dict() == {"A[T.HAIC]": "indicator", "AFP": "per unit", "H": "per unit"}


def test_formula_transforms_apply_to_the_raw_data_then_the_design_is_standardised(mock_sampler):
    """``np.log(afp)`` is the log of AFP (not of its z-score): every patient is kept, the design
    column is the standardised log, and its coefficient is reported per unit of log(afp);
    interactions are standardised as whole design columns and reported per unit too."""
    df = patients()
    df["afp"] = np.exp(np.random.default_rng(4).normal(5, 2, len(df)))
    data = bh.BinaryPatientData.from_frame(df, covariates=["pvtt", "age", "afp"]).with_control("Sorafenib")
    model = bh.LogisticResponse(formula="response ~ arm + np.log(afp) + arm:age")
    prepared = model.prepare(data)
    assert prepared.coords["term"] == ["arm[T.FOLFOX-HAIC]", "np.log(afp)", "arm[Sorafenib]:age", "arm[FOLFOX-HAIC]:age"]
    x = prepared.arrays["x"]
    assert x.shape == (114, 4) and prepared.arrays["x_arm"].shape == (2, 114, 4)
    log_afp = np.log(df["afp"].to_numpy())
    np.testing.assert_allclose(x[:, 1], (log_afp - log_afp.mean()) / log_afp.std(ddof=1))
    np.testing.assert_array_equal(x[:, 0], (df["arm"] == "FOLFOX-HAIC").to_numpy(float))  # indicators as they are
    treated_age = df["age"].where(df["arm"] == "FOLFOX-HAIC", 0.0).to_numpy()
    np.testing.assert_allclose(prepared.arrays["x_arm"][1, :, 3], (df["age"] - treated_age.mean()) / treated_age.std(ddof=1))
    mock_sampler(lambda model, prepared, chains, draws, rng: {
        "intercept": np.zeros((chains, draws)), "coef": np.ones((chains, draws, 4)),
        "rate": np.full((chains, draws, 2), 0.5)})
    coefs = model.fit(data, draws=2, chains=1, seed=1).coefficients().set_index("term")
    assert coefs.loc["np.log(afp)", "median"] == pytest.approx(1 / log_afp.std(ddof=1))
    assert coefs.loc["arm[FOLFOX-HAIC]:age", "median"] == pytest.approx(1 / treated_age.std(ddof=1))
    assert coefs["scale"].tolist() == ["indicator", "per unit", "per unit", "per unit"]


def test_non_finite_design_values_are_refused_naming_column_and_rows(mock_sampler):
    df = patients()
    data = bh.BinaryPatientData.from_frame(df, covariates=["age"]).with_control("Sorafenib")
    young = np.flatnonzero(df["age"].to_numpy() <= 55)
    fake = mock_sampler(lambda *a: {})
    rows = ", ".join(str(r) for r in young[:8])
    with pytest.raises(bh.DataError, match=rf"'np.log\(age - 55\)' is -inf/NaN in rows {rows} and {young.size - 8} more"):
        bh.LogisticResponse(formula="response ~ arm + np.log(age - 55)").fit(data, draws=2, chains=1, seed=1)
    assert not fake.calls
    older = df[df["age"] >= 55]
    at = np.flatnonzero(older["age"].to_numpy() == 55)  # positions: BinaryPatientData renumbers its rows
    assert 0 < at.size <= 8
    with pytest.raises(bh.DataError, match=r"'np.log\(age - 55\)' is -inf in rows? " + ", ".join(map(str, at)) + ";"):
        bh.LogisticResponse(formula="response ~ arm + np.log(age - 55)").prepare(
            bh.BinaryPatientData.from_frame(older, covariates=["age"]))
