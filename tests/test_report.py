"""The diagnostic report (rapport.html): figures equal to the layers', embedded PNG, methods, CLI, metadata."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib import image as mpimg

from territoires._errors import InputError
from territoires._provenance import file_checksum
from territoires.analysis.key_figures import KeyFigures, compute_key_figures
from territoires.cli import cli
from territoires.demo.generate import demo_paths
from territoires.export.geopackage import read_diagnostic_geopackage, read_run_metadata, save_diagnostic_geopackage
from territoires.export.report import most_underserved, report_html, save_report_html
from territoires.pipeline import DiagnosticOptions, run_diagnostic

NNBSP = "\u202f"
PNG_RE = re.compile(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')


@pytest.fixture(scope="module")
def diag(demo_diagnostic):
    return demo_diagnostic


@pytest.fixture(scope="module")
def html_plain(diag):
    return report_html(diag.layers(), metadata=diag.metadata)


@pytest.fixture(scope="module")
def html_cpts(diag, demo_layers_with_catchments):
    return report_html(
        demo_layers_with_catchments, metadata={k: v for k, v in diag.metadata.items() if k != "chiffres_cles"}
    )


def _text(page: str) -> str:
    """Visible text of the page, tags removed, entities of the apostrophe and quotes restored."""
    body = re.sub(r"<[^>]+>", " ", page)
    return body.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")


def test_key_figures_equal_independent_computations(diag):
    fig = diag.figures
    communes = diag.communes
    # Population of the demo: 740,903 inhabitants in 347 communes (sum of the populations file).
    pops = pd.read_csv(demo_paths()["population"], sep=";", encoding="latin-1", dtype={"CODGEO": str})
    assert fig.population == 740_903 == pops["PMUN"].sum()
    assert fig.communes == 347
    # Practitioners are people: the head counts of the practitioners layer (1/k on each of k sites).
    assert fig.practitioners == pytest.approx(diag.practitioners["nombre"].sum()) == pytest.approx(708)
    # Mean APL: a direct numpy average weighted by the standardised population.
    assert fig.apl_mean == pytest.approx(
        np.average(communes["apl"], weights=communes["population_standardisee"]), rel=1e-12
    )
    below = communes.loc[communes["apl"] < 2.5, "population"].sum()
    zip_tier = next(t for t in fig.tiers if t.code == "ZIP")
    assert fig.population_below == below == zip_tier.population == 73_211
    assert fig.share_below == pytest.approx(73_211 / 740_903)
    assert sum(t.population for t in fig.tiers) == 740_903
    assert fig.catchments is None and fig.coverage_after is None and fig.coverage_before is None
    # Written into the run metadata and read back unchanged.
    assert KeyFigures.from_dict(diag.metadata["chiffres_cles"]) == fig


def test_key_figures_are_printed_in_the_report(html_plain):
    text = _text(html_plain)
    assert f"740{NNBSP}903" in text and "347 communes" in text
    assert "708" in text
    assert "4,37" in text and "consultations/an/habitant" in text
    assert f"73{NNBSP}211" in text and "9,9\u00a0%" in text
    assert "seuil de 2,5" in text


def test_cpts_absent_is_said(html_plain):
    assert "territoires de CPTS n'ont pas été calculés" in _text(html_plain)
    assert "couverte par une CPTS" not in _text(html_plain)


def test_cpts_coverage_before_and_after(html_cpts, demo_layers_with_catchments, cpts_epci):
    layers = demo_layers_with_catchments
    communes = layers["communes"]
    fig = compute_key_figures(communes, threshold=2.5, zac_threshold=4.0, catchments=layers["catchments"])
    # Hand count from the demo's EPCI populations: existing CPTS on EPCI 200000000-2 (416,440 + 27,055 + 34,552),
    # none on EPCI 200000015-16 (16,949 + 16,615).
    by_epci = communes.groupby("epci")["population"].sum()
    assert by_epci[list(cpts_epci.existing)].sum() == 416_440 + 27_055 + 34_552
    assert fig.coverage_before == pytest.approx(478_047 / 740_903)
    assert fig.coverage_after == pytest.approx((740_903 - by_epci[list(cpts_epci.none)].sum()) / 740_903)
    assert fig.catchments == 15 and fig.existing_catchments == 3
    text = _text(html_cpts)
    assert "64,5\u00a0%" in text and "95,5\u00a0%" in text
    assert "3 existant(s), 12 proposé(s)" in text
    assert "au-dessus du plafond" in text  # the alert of the 416,440-inhabitant CPTS
    assert "n'ont pas été calculés" not in text


def test_images_are_embedded_decodable_pngs(html_plain, html_cpts):
    for page, expected in ((html_plain, 3), (html_cpts, 4)):
        images = PNG_RE.findall(page)
        assert len(images) == expected
        for alt, data in images:
            raw = base64.b64decode(data)
            assert raw[:8] == b"\x89PNG\r\n\x1a\n", alt
            pixels = mpimg.imread(io.BytesIO(raw), format="png")
            assert pixels.shape[0] > 150 and pixels.shape[1] > 400, alt
            assert pixels[..., :3].std() > 0.05, f"{alt}: image uniforme"


def test_report_is_self_contained_and_printable(html_plain):
    assert "<script" not in html_plain
    assert not re.search(r'(src|href)="(https?:)?//', html_plain)
    assert "@page" in html_plain and "@media print" in html_plain
    assert html_plain.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html_plain


def test_report_is_deterministic(diag, html_plain):
    assert report_html(diag.layers(), metadata=diag.metadata) == html_plain


def test_most_underserved_lists_the_fifteen_lowest_apl(diag, html_plain):
    worst = most_underserved(diag.communes, tier_labels=diag.figures.tier_labels)
    assert len(worst) == 15
    expected = np.sort(diag.communes["apl"].to_numpy())[:15]
    np.testing.assert_allclose(worst["APL"].to_numpy(), expected)
    first = diag.communes.loc[diag.communes["apl"].idxmin()]
    assert worst["Commune"].iloc[0] == first["nom"]
    assert worst["Généraliste le plus proche (min)"].iloc[0] == first["minutes_praticien_proche"]
    table = html_plain.split("moins bien desservies")[1].split("Méthode")[0]
    assert table.count("<tr>") == 16  # header + 15 communes
    assert first["nom"] in _text(table) and first["code_commune"] in table


def test_methods_state_parameters_and_sources(diag, html_plain):
    text = _text(html_plain)
    assert "1,00 de 0 à 10 min ; 0,67 de 10 à 15 min ; 0,33 de 15 à 20 min" in text
    assert f"3{NNBSP}600" in text and f"6{NNBSP}000" in text  # DREES activity caps
    assert "vol d'oiseau" in text
    for entry in diag.metadata["entrees"]:
        assert entry["sha256"][:12] in text
    assert f"territoires {diag.metadata['version']}" in text
    assert "Aucune ligne des fichiers d'entrée n'a été écartée" in text


def test_rows_left_out_are_reported_by_reason(diag):
    meta = dict(diag.metadata, ecartees_par_motif={"code commune inconnu": 3, "profession hors champ": 2})
    text = _text(report_html(diag.layers(), metadata=meta))
    assert "Lignes écartées (5) : code commune inconnu : 3 ; profession hors champ : 2" in text


def test_communes_without_apl_raise_input_error(diag):
    layers = dict(diag.layers(), communes=diag.communes.drop(columns="apl"))
    with pytest.raises(InputError, match="colonne\\(s\\) apl absente"):
        report_html(layers, metadata=diag.metadata)


def test_other_profession_has_its_unit_and_no_threshold(diag):
    meta = dict(diag.metadata)
    meta["parametres"] = dict(meta["parametres"], profession="infirmier")
    figures = compute_key_figures(diag.communes, unit="etp", threshold=None)
    text = _text(report_html(diag.layers(), metadata=meta, figures=figures))
    assert "ETP pour 100 000 habitants" in text and "infirmiers" in text
    assert "sous le seuil" not in text


# --- metadata and reproducibility ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory, diag):
    path = tmp_path_factory.mktemp("rapport") / "diagnostic.gpkg"
    return save_diagnostic_geopackage(path, diag.layers(), metadata=diag.metadata)


def test_run_metadata_records_the_run(gpkg, diag):
    meta = read_run_metadata(gpkg)
    assert meta["outil"] == "territoires" and meta["version"] == diag.metadata["version"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", meta["date"])
    files = {e["role"]: e for e in meta["entrees"]}
    assert set(files) == {"communes", "population", "practitioners", "facilities"}
    assert files["practitioners"]["sha256"] == file_checksum(demo_paths()["practitioners"])
    assert meta["parametres"]["apl"]["steps"] == [[10.0, 1.0], [15.0, 2 / 3], [20.0, 1 / 3]]
    assert meta["ecartees_par_motif"] == {} and meta["comptes"]["lignes_ecartees"] == 0
    assert {"python", "numpy", "pandas", "geopandas", "gdal"} <= set(meta["environnement"])


def test_same_inputs_give_the_same_layers(tmp_path, gpkg, demo_inputs):
    again = run_diagnostic(demo_inputs, DiagnosticOptions(catchments=False))
    second = save_diagnostic_geopackage(tmp_path / "bis.gpkg", again.layers(), metadata=again.metadata)
    layers1, meta1, figures1 = read_diagnostic_geopackage(gpkg)
    layers2, meta2, figures2 = read_diagnostic_geopackage(second)
    assert figures1 == figures2 == again.figures
    assert sorted(layers1) == sorted(layers2)
    for name in layers1:
        a, b = layers1[name], layers2[name]
        pd.testing.assert_frame_equal(
            a.drop(columns="geometry", errors="ignore"), b.drop(columns="geometry", errors="ignore")
        )
        if "geometry" in a:
            assert a.geometry.geom_equals_exact(b.geometry, tolerance=0).all(), name
    meta1.pop("date"), meta2.pop("date")
    assert meta1 == meta2


# --- CLI ----------------------------------------------------------------------------------------------------------


def test_cli_report_rebuilds_the_report_from_the_geopackage(gpkg, tmp_path, diag):
    out = tmp_path / "rapport.html"
    result = CliRunner().invoke(cli, ["report", str(gpkg), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Rapport écrit" in result.output
    page = out.read_text(encoding="utf-8")
    assert len(PNG_RE.findall(page)) == 3
    text = _text(page)
    assert f"740{NNBSP}903" in text and "4,37" in text
    # The figures read back from the GeoPackage are those of the run.
    assert diag.metadata["entrees"][0]["sha256"][:12] in text


def test_cli_report_default_output_is_beside_the_geopackage(gpkg, tmp_path):
    copy = tmp_path / "d.gpkg"
    copy.write_bytes(gpkg.read_bytes())
    result = CliRunner().invoke(cli, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rapport.html").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "introuvable"), (b"pas un geopackage", "pas un GeoPackage lisible")],
)
def test_cli_report_bad_file_exit_2(tmp_path, content, message):
    path = tmp_path / "diagnostic.gpkg"
    if content is not None:
        path.write_bytes(content)
    result = CliRunner().invoke(cli, ["report", str(path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "r" / "rapport.html").exists()


def test_cli_report_geopackage_without_communes_exit_2(tmp_path, diag):
    path = save_diagnostic_geopackage(tmp_path / "x.gpkg", {"practitioners": diag.practitioners}, metadata={})
    result = CliRunner().invoke(cli, ["report", str(path)])
    assert result.exit_code == 2
    assert "pas de couche 'communes'" in result.output


def test_save_report_html_returns_the_path(tmp_path, diag):
    out = save_report_html(tmp_path / "sous" / "rapport.html", diag.layers(), metadata=diag.metadata)
    assert out == tmp_path / "sous" / "rapport.html" and out.stat().st_size > 50_000


def test_report_rebuilt_from_the_geopackage_is_identical_to_the_run_report(gpkg, tmp_path, diag, html_plain):
    """What ``diagnose`` writes and what ``territoires report`` rebuilds from its GeoPackage: the same bytes."""
    out = tmp_path / "refait" / "rapport.html"
    result = CliRunner().invoke(cli, ["report", str(gpkg), "-o", str(out.parent)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == html_plain


# --- what a new reader meets: no Python text, people rather than rows, unknown said as such -------------------------


def _without_figures(metadata):
    """The run metadata without its stored key figures: the report computes them from the layers."""
    return {k: v for k, v in metadata.items() if k != "chiffres_cles"}


def test_methods_show_parameters_as_french_labelled_values(diag, demo_layers_with_catchments):
    from dataclasses import asdict

    from territoires.analysis.catchments import CatchmentParameters

    params = CatchmentParameters(min_population=10_000, target_population=None, within="departement")
    metadata = _without_figures(diag.metadata)
    for recorded in (asdict(params), repr(params)):  # this version's dict, an older run's text
        metadata["parametres"] = {**diag.metadata["parametres"], "cpts": recorded, "resolution_surface_m": None}
        text = _text(report_html(demo_layers_with_catchments, metadata=metadata))
        methods = text[text.index("Méthode et sources") :]
        assert "CatchmentParameters" not in text and "None" not in text and "{" not in methods
        assert f"Territoires de CPTS (valeurs utilisées) : population d'un territoire entre 10{NNBSP}000 et" in text
        assert f"152{NNBSP}000 habitants ; pas de population visée" in text
        assert "sans franchir les limites des départements" in text
        assert "modèle gravitaire de portée 30 min et de décroissance 10 min" in text
    # Observed flows given: the gravity model was not used, its parameters are not stated.
    metadata["entrees"] = [*metadata["entrees"], {"role": "flows", "fichier": "flux.csv", "octets": 1, "sha256": ""}]
    text = _text(report_html(demo_layers_with_catchments, metadata=metadata))
    assert "gravitaire" not in text and "sans franchir les limites des départements" in text
    # Catchments with no recorded parameters: the default values, said so.
    metadata["parametres"]["cpts"] = None
    text = _text(report_html(demo_layers_with_catchments, metadata=metadata))
    assert f"Territoires de CPTS (valeurs par défaut) : population d'un territoire entre 12{NNBSP}000 et" in text
    assert "None" not in text


def test_every_meshing_setting_is_said_in_french(diag, demo_layers_with_catchments):
    from dataclasses import asdict

    from territoires.analysis.catchments import CatchmentParameters

    params = CatchmentParameters(
        gravity_decay_minutes=4.5, target_everywhere=True, floor_balance=0.0, containment_max_ratio=1.25
    )
    metadata = _without_figures(diag.metadata)
    metadata["parametres"] = {**diag.metadata["parametres"], "cpts": asdict(params), "resolution_surface_m": None}
    text = _text(report_html(demo_layers_with_catchments, metadata=metadata))
    methods = text[text.index("Territoires de CPTS (valeurs utilisées)") :]
    methods = methods[: methods.index("\n")] if "\n" in methods else methods
    # No identifier or Python value reaches the reader (they used to: « floor balance : 2.0 ; target everywhere »).
    for raw in ("floor balance", "target everywhere", "shape rounds", "hospital weight", "structure :", "True", "0.25"):
        assert raw not in methods, raw
    assert "décroissance 4,5 min" in methods
    assert "la population visée fixe le nombre de territoires sur toute la zone" in methods
    assert "ces unions pour l'autonomie restent sous 1,25 fois la population visée" in methods
    assert "limites souples : regroupement dans l'EPCI d'abord" in methods
    assert "sous le plancher, pas de préférence de taille entre voisins" in methods
    assert "un hôpital compte pour 1 MSP" in methods
    assert "passe de forme (au plus 30 tours) : une commune passe au territoire voisin" in methods
    assert "au moins 0,25 fois autant de recours" in methods
    assert "passe annulée si l'autonomie médiane baisse de plus de 1 point" in methods
    # No soft borders, no shape pass: said as such.
    metadata["parametres"]["cpts"] = asdict(CatchmentParameters(structure=None, shape_rounds=0, min_containment=None))
    text = _text(report_html(demo_layers_with_catchments, metadata=metadata))
    assert "sans limites souples (les seuls flux de recours)" in text and "sans passe de forme" in text
    assert "sans règle d'autonomie" in text
    assert "la population visée ne découpe que les EPCI plus peuplés qu'elle" in text


def test_supply_counts_people_and_rows_separately(diag, html_plain):
    # The demo: 708 GPs on 708 rows, all with an activity.
    text = _text(html_plain)
    assert "Offre des praticiens : 708 praticiens retenus (une ligne du fichier par praticien)" in text
    assert "Offre comptée, en praticiens, par activité plafonnée (règles DREES) : 708." in text
    # Each GP on two sites (nombre 1/2 on each): still 708 people, on 1,416 rows.
    layers = diag.layers()
    half = layers["practitioners"].assign(nombre=0.5)
    layers["practitioners"] = pd.concat([half, half], ignore_index=True)
    text = _text(report_html(layers, metadata=_without_figures(diag.metadata)))
    assert f"Offre des praticiens : 708 praticiens retenus, décrits par 1{NNBSP}416 lignes du fichier" in text
    assert re.search(r"708\s+médecins généralistes retenus", text)


def test_existing_cpts_coverage_not_given_is_said_not_zero(diag, demo_layers_with_catchments):
    layers = dict(demo_layers_with_catchments)
    layers["catchments"] = layers["catchments"].assign(statut="proposée")
    statut = layers["communes"]["cpts_statut"]
    layers["communes"] = layers["communes"].assign(cpts_statut=statut.where(statut.isna(), "proposée"))
    metadata = _without_figures(diag.metadata)
    metadata["entrees"] = [i for i in metadata["entrees"] if i.get("role") != "existing_cpts"]
    text = _text(report_html(layers, metadata=metadata))
    assert "0,0\u00a0%" not in text and "0,0\u202f%" not in text
    assert "non renseigné" in text
    assert "la couverture par les CPTS existantes n'est pas renseignée" in text
    # Given (the demo's layer has existing CPTS): the share, a fact about the territory.
    text = _text(report_html(demo_layers_with_catchments, metadata=_without_figures(diag.metadata)))
    assert "non renseigné" not in text
    assert "de la population couverte par une CPTS existante" in text


def test_report_dates_in_french(html_plain):
    assert re.search(r"calcul du \d{2}/\d{2}/\d{4} à \d{2}:\d{2} UTC", _text(html_plain))
