"""Backends, on-disk campaigns and resume: the same trials, bit for bit, whatever runs them."""

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import xarray as xr

import bayeshcc as bh
import bayeshcc.design.campaign as campaign
from bayeshcc.design import _store
from bayeshcc.design.backends import resolve_backend

# Shared with the subprocess of the kill-and-resume test, so both build the same campaign.
SETUP = textwrap.dedent(
    """
    import bayeshcc as bh

    DESIGN = bh.TrialDesign(
        control="C", treatment="T", n_patients=120, accrual=bh.Accrual(duration=12),
        dropout=bh.Dropout(proportion=0.05, by=12),
        analyses=[bh.Analysis(events=40), bh.Analysis(events=80)],
        success=bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
        futility=bh.PosteriorProbability("hazard_ratio", ">", 1, threshold=0.5),
    )
    ALT = bh.Scenario.fixed(median=10, hazard_ratio=0.6)
    NULL = bh.Scenario.fixed(median=10, hazard_ratio=1.0)
    """
)
_namespace: dict = {}
exec(SETUP, _namespace)
DESIGN, ALT, NULL = _namespace["DESIGN"], _namespace["ALT"], _namespace["NULL"]


@pytest.fixture(scope="module")
def reference() -> bh.SimulationResult:
    return bh.simulate(DESIGN, ALT, n_trials=1000, seed=7, chunk_size=250, progress=False)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address="127.0.0.1:0")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.slow
def test_local_processes_give_the_same_trials(reference):
    for chunk in (250, 500):
        again = bh.simulate(DESIGN, ALT, n_trials=1000, seed=7, chunk_size=chunk, workers=2,
                            progress=False)
        xr.testing.assert_identical(again.trials, reference.trials)


@pytest.mark.slow
def test_dask_gives_the_same_trials(reference, client):
    on_client = bh.simulate(DESIGN, ALT, n_trials=1000, seed=7, chunk_size=250, backend=client,
                            progress=False)
    xr.testing.assert_identical(on_client.trials, reference.trials)
    address = client.scheduler.address
    by_address = bh.simulate(DESIGN, ALT, n_trials=1000, seed=7, chunk_size=750, backend=address,
                             progress=False)
    xr.testing.assert_identical(by_address.trials, reference.trials)
    assert client.status == "running"  # a caller's client is left open
    embedded = bh.simulate(DESIGN, ALT, n_trials=1000, seed=7, chunk_size=500, backend="dask",
                           workers=1, progress=False)
    xr.testing.assert_identical(embedded.trials, reference.trials)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"backend": "spark"}, r"backend: expected 'local', 'dask'.*got 'spark'"),
        ({"workers": 0}, r"workers: expected a positive integer or None, got 0"),
        ({"workers": True}, r"workers: expected a positive integer"),
        ({"backend": "dask", "workers": 1.5}, r"workers: expected a positive integer"),
        ({"backend": "tcp://127.0.0.1:1", "workers": 2}, r"workers: 2 given with the scheduler"),
        ({"backend": 3}, r"backend: expected"),
    ],
)
def test_bad_backend_arguments_are_refused_before_simulating(kwargs, match):
    with pytest.raises(bh.SpecError, match=match):
        bh.simulate(DESIGN, ALT, n_trials=10, seed=1, progress=False, **kwargs)


def test_dask_backend_without_distributed_is_a_clear_error(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    with pytest.raises(bh.SpecError, match=r"backend: 'dask' needs dask.distributed.*pip install"):
        resolve_backend("dask")
    assert resolve_backend("local", 3).kind == "processes"


def test_kill_and_resume_is_bit_for_bit(tmp_path, monkeypatch):
    n_chunks = 16
    child = SETUP + textwrap.dedent(
        f"""
        import sys, time
        import bayeshcc.design.campaign as campaign
        real = campaign.run_chunk
        def slow(*args):
            out = real(*args)
            time.sleep(0.4)  # so that the parent can kill it part-way
            return out
        campaign.run_chunk = slow
        bh.run_campaign(DESIGN, ALT, n_trials={250 * n_chunks}, seed=11, directory=sys.argv[1],
                        chunk_size=250, progress=False)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", child, str(tmp_path)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob("chunk-*.npz")):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the campaign wrote no chunk in 120 s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
        proc.stderr.close()
    done = len(list(tmp_path.glob("chunk-*.npz")))
    assert 1 <= done < n_chunks
    calls = []
    real = campaign.run_chunk
    monkeypatch.setattr(campaign, "run_chunk", lambda *a: calls.append(1) or real(*a))
    resumed = bh.run_campaign(DESIGN, ALT, n_trials=250 * n_chunks, seed=11, directory=tmp_path,
                              progress=False)
    assert len(calls) == n_chunks - done  # finished chunks were read, not recomputed
    whole = bh.simulate(DESIGN, ALT, n_trials=250 * n_chunks, seed=11, progress=False)
    xr.testing.assert_identical(resumed.trials, whole.trials)
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seed": 8}, "seed"),
        ({"n_trials": 750}, "n_trials"),
        ({"scenarios": NULL}, "scenario"),
        ({"design": dataclasses.replace(DESIGN, n_patients=121)}, "design"),
        ({"engine": "mcmc"}, "engine"),  # refused before anything is sampled
        ({"engine": bh.design.engines.LaplaceEngine()}, None),  # same engine: accepted
    ],
)
def test_directory_of_another_campaign_is_refused(tmp_path, reference, change, field):
    first = bh.run_campaign(DESIGN, ALT, n_trials=1000, seed=7, directory=tmp_path, chunk_size=500,
                            progress=False)
    xr.testing.assert_identical(first.trials, reference.trials)
    before = sorted(p.name for p in tmp_path.iterdir())
    args = {"design": DESIGN, "scenarios": ALT, "n_trials": 1000, "seed": 7} | change
    design, scenarios = args.pop("design"), args.pop("scenarios")
    if field is None:
        again = bh.run_campaign(design, scenarios, directory=tmp_path, progress=False, **args)
        xr.testing.assert_identical(again.trials, reference.trials)
        return
    with pytest.raises(bh.SpecError, match=rf"holds another campaign.*differs in {field}") as err:
        bh.run_campaign(design, scenarios, directory=tmp_path, progress=False, **args)
    assert "another directory" in str(err.value) and "delete" in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written or removed


def test_directory_states_that_are_refused(tmp_path):
    bh.run_campaign(DESIGN, ALT, n_trials=500, seed=7, directory=tmp_path, chunk_size=250,
                    progress=False)
    with pytest.raises(bh.SpecError, match=r"resume: False, but .* holds 2 finished chunks"):
        bh.run_campaign(DESIGN, ALT, n_trials=500, seed=7, directory=tmp_path, resume=False,
                        progress=False)
    with pytest.raises(bh.SpecError, match=r"chunk_size: .* chunks of 250 trials, this run asks 500"):
        bh.run_campaign(DESIGN, ALT, n_trials=500, seed=7, directory=tmp_path, chunk_size=500,
                        progress=False)
    (tmp_path / "chunk-00001.npz").write_bytes(b"not a zip")
    with pytest.raises(bh.SpecError, match=r"cannot read .*chunk-00001.npz.*delete that file"):
        bh.run_campaign(DESIGN, ALT, n_trials=500, seed=7, directory=tmp_path, progress=False)
    (tmp_path / "manifest.json").unlink()
    with pytest.raises(bh.SpecError, match=r"holds 2 chunk files but no manifest.json"):
        bh.run_campaign(DESIGN, ALT, n_trials=500, seed=7, directory=tmp_path, progress=False)
    with pytest.raises(bh.SpecError, match=r"seed: a Generator cannot be recorded"):
        bh.run_campaign(DESIGN, ALT, n_trials=500, seed=np.random.default_rng(1),
                        directory=tmp_path / "new", progress=False)
    assert not (tmp_path / "new").exists()


def test_several_scenarios_share_one_seed_and_get_a_subdirectory_each(tmp_path, reference):
    results = bh.run_campaign(DESIGN, {"null": NULL, "alt": ALT}, n_trials=1000, seed=7,
                              directory=tmp_path, progress=False)
    assert list(results) == ["null", "alt"]
    xr.testing.assert_identical(results["alt"].trials, reference.trials)
    null = bh.simulate(DESIGN, NULL, n_trials=1000, seed=7, progress=False)
    xr.testing.assert_identical(results["null"].trials, null.trials)
    assert {p.name for p in tmp_path.iterdir()} == {"null", "alt"}
    assert (tmp_path / "alt" / "manifest.json").exists()
    with pytest.raises(bh.SpecError, match=r"scenarios: name 'a/b' is not usable"):
        bh.run_campaign(DESIGN, {"a/b": ALT}, n_trials=10, seed=1, directory=tmp_path)
    with pytest.raises(bh.SpecError, match=r"scenarios\['x'\]: expected a Scenario, got dict"):
        bh.run_campaign(DESIGN, {"x": {"median": 9}}, n_trials=10, seed=1)
    with pytest.raises(bh.SpecError, match=r"holds a single-scenario campaign"):
        bh.run_campaign(DESIGN, {"alt": ALT}, n_trials=1000, seed=7, directory=tmp_path / "alt")


def test_fingerprints_do_not_depend_on_the_process(tmp_path):
    code = SETUP + (
        "from bayeshcc.design import _store\n"
        "print(_store.fingerprint((DESIGN, ALT, bh.design.engines.ConjugateEngine())))\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    here = _store.fingerprint((DESIGN, ALT, bh.design.engines.ConjugateEngine()))
    assert out.stdout.strip() == here
    assert _store.fingerprint(bh.Scenario.fixed(median=10, hazard_ratio=0.6)) == _store.fingerprint(ALT)
    assert _store.fingerprint(ALT) != _store.fingerprint(NULL)
    assert _store.canonical(bh.LogNormal(0, 1)) == _store.canonical(bh.LogNormal(0.0, 1.0))


def test_a_rule_used_elsewhere_still_resumes_its_campaign(tmp_path):
    """LogRank caches its bounds per design under ``_bounds``; caches are not part of a fingerprint,
    so the campaign is the same after the rule was used on another design (it was refused)."""
    rule = bh.LogRank(spending="obrien_fleming")
    design = dataclasses.replace(DESIGN, success=rule, futility=None)
    first = bh.run_campaign(design, ALT, n_trials=40, seed=3, directory=tmp_path, progress=False)
    before = _store.fingerprint(design)
    rule.bounds(dataclasses.replace(DESIGN, analyses=[bh.Analysis(events=30), bh.Analysis(events=90)]))
    assert len(rule._bounds) == 2  # the cache holds the other design's bounds too
    assert _store.fingerprint(design) == before
    again = bh.run_campaign(design, ALT, n_trials=40, seed=3, directory=tmp_path, progress=False)
    xr.testing.assert_identical(first.trials, again.trials)
    # a value that changes results still changes the fingerprint
    assert _store.fingerprint(dataclasses.replace(design, success=bh.LogRank(spending="pocock"))) != before
