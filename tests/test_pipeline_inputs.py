"""The inputs and options of a diagnosis: frozen, validated when built, French errors naming the fix."""

import dataclasses
from pathlib import Path

import pytest

from territoires import (
    DiagnosticInputs,
    DiagnosticOptions,
    InputError,
    ParameterError,
    TerritoiresWarning,
    run_catchments,
)
from territoires.analysis.catchments import CatchmentParameters
from territoires.demo.generate import demo_paths


def test_inputs_are_paths_and_frozen():
    p = demo_paths()
    inputs = DiagnosticInputs(communes=str(p["communes"]), practitioners=str(p["practitioners"]))
    assert inputs.communes == (Path(p["communes"]),) and inputs.practitioners == Path(p["practitioners"])
    assert [role for role, _ in inputs.files()] == ["communes", "practitioners"]
    assert inputs.travel_time_source == "vol d'oiseau"
    with pytest.raises(dataclasses.FrozenInstanceError):
        inputs.population = p["population"]


def test_every_missing_file_is_named_at_once(tmp_path):
    with pytest.raises(InputError, match=r"absent\.geojson \(contours des communes\).*absent\.csv \(praticiens\)"):
        DiagnosticInputs(communes=tmp_path / "absent.geojson", practitioners=tmp_path / "absent.csv")


def test_no_communes_is_an_input_error():
    with pytest.raises(InputError, match=r"aucun fichier de contours des communes donné \(--communes\)"):
        DiagnosticInputs(communes=())


def test_travel_times_and_road_network_exclude_each_other(tmp_path):
    p = demo_paths()
    matrix, roads = tmp_path / "temps.csv", tmp_path / "routes.gpkg"
    matrix.write_text("origin;destination;minutes\n")
    roads.write_bytes(b"")
    with pytest.raises(ParameterError, match="--travel-times et --road-network s'excluent"):
        DiagnosticInputs(communes=p["communes"], travel_times=matrix, road_network=roads)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"profession": "veterinaire"}, "profession inconnue : « veterinaire »"),
        ({"max_age": -3}, r"âge maximal invalide : -3"),
        ({"thresholds": (4.0, 2.5)}, r"seuils \(4, 2,5\) : le seuil « fragile »"),
        ({"resolution": 0}, "résolution invalide : 0 m"),
        ({"apl": False, "zones": True}, "la surface des temps d'accès \\(zones\\) demande le calcul de l'APL"),
        ({"apl": False, "zones": False, "catchments": False}, "rien à calculer"),
        ({"catchment_params": {"min_population": 5}}, "un objet CatchmentParameters est attendu"),
    ],
)
def test_bad_options_raise_parameter_error(changes, match):
    with pytest.raises(ParameterError, match=match):
        DiagnosticOptions(**changes)


def test_options_normalise_departements_and_thresholds():
    options = DiagnosticOptions(departements=["1", "34", "2a"], thresholds=(3, 5))
    assert options.departements == ("01", "34", "2A")
    assert options.thresholds == (3.0, 5.0)
    assert options.catchment_params == CatchmentParameters()


def test_apl_without_practitioners_is_a_parameter_error():
    from territoires import run_diagnostic

    with pytest.raises(ParameterError, match=r"le calcul de l'APL demande le fichier des praticiens"):
        run_diagnostic(DiagnosticInputs(communes=demo_paths()["communes"]))


def test_run_catchments_is_the_diagnosis_without_the_surface():
    """Without practitioners: catchments from populations alone, no APL; with them, the APL of each commune."""
    p = demo_paths()
    city = pytest.warns(TerritoiresWarning, match="territoires nécessaires : Bellerive-sur-Vère")
    with city:
        bare = run_catchments(DiagnosticInputs(communes=p["communes"], population=p["population"]))
    assert "apl" not in bare.communes.columns and bare.practitioners is None and bare.surface is None
    assert bare.figures.population == 740_903 and bare.figures.apl_mean is None
    assert bare.figures.coverage_before is None  # no file of existing CPTS: unknown, not zero
    assert bare.figures.coverage_after == pytest.approx(1.0)
    with pytest.warns(TerritoiresWarning, match="territoires nécessaires : Bellerive-sur-Vère"):
        full = run_catchments(
            DiagnosticInputs(communes=p["communes"], population=p["population"], practitioners=p["practitioners"])
        )
    assert full.surface is None and full.access_zones is None
    assert full.figures.practitioners == pytest.approx(708) and full.figures.catchments == len(full.catchments)
