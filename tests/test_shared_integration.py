"""Integration on real open data (../shared/data): Occitanie boundaries (COG 2018) + populations (COG 2026)."""

import pandas as pd
import pytest
from conftest import SHARED_DATA, requires_shared

from territoires.pipeline import DiagnosticInputs, DiagnosticOptions, load_territory, run_diagnostic

pytestmark = [requires_shared, pytest.mark.shared]

OCCITANIE = ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"]


def occitanie_files():
    return sorted(p for p in (SHARED_DATA / "communes").glob("*.geojson") if p.name.split("-")[1] in OCCITANIE)


@pytest.fixture(scope="module")
def occitanie():
    with pytest.warns(Warning):  # the national table holds 6 uninhabited TAAF/Clipperton rows: reported
        return load_territory(occitanie_files(), population=SHARED_DATA / "population" / "communes_cog2026_france.csv")


def test_occitanie_counts_after_vintage_reconciliation(occitanie):
    # 4,485 polygons in the 2018 boundaries; 40 former codes merged into 26 communes nouvelles → 4,446 communes,
    # exactly the number of current communes of the 13 départements in the COG 2026 table.
    communes = occitanie.communes
    assert len(occitanie_files()) == 13
    assert occitanie.vintages.n_merged == 40
    assert occitanie.vintages.n_current_affected == 26
    assert len(communes) == 4446
    assert occitanie.vintages.boundaries_unmatched == []
    assert occitanie.vintages.population_unmatched == []
    table = pd.read_csv(SHARED_DATA / "population" / "communes_cog2026_france.csv", dtype=str)
    current = table[(table["type"] == "commune-actuelle") & table["departement"].isin(OCCITANIE)]
    assert len(current) == 4446
    expected = current["population"].astype(float).sum()
    assert communes["population"].sum() == pytest.approx(expected, rel=0.01)
    assert communes["population"].sum() == 6_124_653
    assert communes.crs.to_epsg() == 2154
    toulouse = communes.set_index("code_commune").loc["31555"]
    assert toulouse["population"] == 514_819


def test_centre_val_de_loire_loads_and_reconciles():
    cvl = {"18", "28", "36", "37", "41", "45"}
    files = sorted(p for p in (SHARED_DATA / "communes").glob("*.geojson") if p.name.split("-")[1] in cvl)
    with pytest.warns(Warning):
        territory = load_territory(files, population=SHARED_DATA / "population" / "communes_cog2026_france.csv")
    table = pd.read_csv(SHARED_DATA / "population" / "communes_cog2026_france.csv", dtype=str)
    current = table[(table["type"] == "commune-actuelle") & table["region"].eq("24")]
    assert len(territory.communes) == len(current)
    assert territory.communes["population"].sum() == pytest.approx(current["population"].astype(float).sum(), rel=0.01)
    assert territory.communes.attrs.get("repaired_geometries", 0) + territory.communes.geometry.is_valid.sum() >= len(
        territory.communes
    )


@pytest.fixture(scope="module")
def sirene_practitioners(tmp_path_factory):
    """The SIRENE 2019 proxy (NAF 86.21Z establishments per commune) as a generic practitioners table."""
    s = pd.read_csv(
        SHARED_DATA / "offre_soins" / "sirene2019_etablissements_sante_par_commune.csv",
        sep=";",
        dtype={"codecommuneetablissement": str},
    )
    s = s[s["generaliste"] > 0]
    path = tmp_path_factory.mktemp("sirene") / "generalistes.csv"
    table = pd.DataFrame(
        {"code_commune": s["codecommuneetablissement"], "profession": "medecin_generaliste", "nombre": s["generaliste"]}
    )
    table.to_csv(path, index=False)
    return path, table


def test_occitanie_diagnostic_with_the_sirene_proxy(sirene_practitioners):
    from territoires.io.cog import resolve_codes
    from territoires.io.communes import departement_of

    path, table = sirene_practitioners
    with pytest.warns(Warning):
        d = run_diagnostic(
            DiagnosticInputs(
                communes=occitanie_files(),
                population=SHARED_DATA / "population" / "communes_cog2026_france.csv",
                practitioners=path,
            ),
            DiagnosticOptions(catchments=False, zones=False),
        )
    communes = d.communes
    assert len(communes) == 4446
    # Every proxy establishment of the 13 départements (codes of 2019 brought to 2026) is located: none left out.
    from territoires.io.cog import former_codes_from_table
    from territoires.io.populations import populations_from_csv

    with pytest.warns(Warning):
        pops = populations_from_csv(SHARED_DATA / "population" / "communes_cog2026_france.csv")
    current = resolve_codes(table["code_commune"], former_codes_from_table(pops))
    expected = table.loc[departement_of(current).isin(OCCITANIE).to_numpy(), "nombre"].sum()
    assert d.figures.practitioners == pytest.approx(expected)
    assert communes["praticiens"].sum() == pytest.approx(expected)
    # Supply is conserved by the E2SFCA (each commune reaches itself): Σ APL × demand = Σ supply = 5,400 × heads.
    reached = (communes["apl"] * communes["population_standardisee"]).sum()
    assert reached == pytest.approx(5400 * expected, rel=1e-9)
    # The proxy over-counts GPs about twofold (shared/data/README.md), so the mean APL is about twice the ~3.4
    # published by the DREES for 2021.
    assert 6.0 < d.figures.apl_mean < 10.0
