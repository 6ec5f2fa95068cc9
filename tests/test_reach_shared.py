"""Right at the border, on real data: Haute-Garonne within the Occitanie files equals the Occitanie-wide APL.

Supply: the SIRENE 2019 proxy of general practice (``generaliste``, NAF 86.21Z establishments per commune; see
``../shared/data/README.md``), boundaries COG 2018 brought to COG 2026 by the population table.
"""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SHARED_DATA, requires_shared

from territoires.analysis.reach import near_the_edge
from territoires.cli import cli
from territoires.pipeline import DiagnosticInputs, DiagnosticOptions, run_diagnostic

pytestmark = [requires_shared, pytest.mark.shared]

OCCITANIE = ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"]
POPULATION = SHARED_DATA / "population" / "communes_cog2026_france.csv"


def occitanie_files():
    return sorted(p for p in (SHARED_DATA / "communes").glob("*.geojson") if p.name.split("-")[1] in OCCITANIE)


@pytest.fixture(scope="module")
def gp_table(tmp_path_factory):
    sirene = pd.read_csv(
        SHARED_DATA / "offre_soins" / "sirene2019_etablissements_sante_par_commune.csv",
        sep=";",
        dtype={"codecommuneetablissement": str},
    )
    sirene = sirene[sirene["codecommuneetablissement"].str[:2].isin(OCCITANIE) & (sirene["generaliste"] > 0)]
    path = tmp_path_factory.mktemp("gp") / "generalistes.csv"
    table = sirene.rename(columns={"codecommuneetablissement": "code_commune", "generaliste": "nombre"})
    table[["code_commune", "nombre"]].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def occitanie_run(gp_table):
    with pytest.warns(Warning):
        return run_diagnostic(
            DiagnosticInputs(communes=occitanie_files(), population=POPULATION, practitioners=gp_table),
            DiagnosticOptions(catchments=False, zones=False),
        )


def read_apl(path):
    return pd.read_parquet(path).set_index("code_commune")


def test_apl_departement_31_on_occitanie_files_equals_the_region_wide_run(occitanie_run, gp_table, tmp_path):
    communes = [a for f in occitanie_files() for a in ("--communes", str(f))]
    args = ["apl", *communes, "--population", str(POPULATION), "--practitioners", str(gp_table),
            "--departement", "31", "--format", "parquet", "--out", str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "biais de bord" not in result.output
    dep31 = read_apl(tmp_path / "apl.parquet")
    assert len(dep31) == 586
    region = occitanie_run.communes.set_index("code_commune")
    # Communes of the 31 whose two reaches (2 × 20 min in straight line, 30.8 km) stay inside Occitanie: the
    # others are near the Spanish border, where both runs see the same nothing.
    inside_region = ~near_the_edge(occitanie_run.communes, max_minutes=20.0)
    codes = occitanie_run.communes.loc[inside_region, "code_commune"]
    codes = codes[codes.str.startswith("31")]
    assert len(codes) == 456
    np.testing.assert_allclose(dep31.loc[codes, "apl"], region.loc[codes, "apl"], rtol=0, atol=1e-9)
    # And on the whole département, since the region-wide run sees nothing beyond the Pyrenees either.
    np.testing.assert_allclose(dep31["apl"], region.loc[dep31.index, "apl"], rtol=0, atol=1e-9)
    assert (dep31["niveau_acces"] == region.loc[dep31.index, "niveau_acces"]).all()
    # The summary counts the territory: 586 communes, 1,471,468 inhabitants, its 2,314 GP establishments;
    # 991 communes around it (with 804 establishments) enter the computation.
    assert "Communes : 586" in result.output
    assert "Population : 1\u202f471\u202f468 habitants" in result.output
    assert "Praticiens retenus : 2\u202f314" in result.output
    assert "Communes voisines prises en compte dans l'APL (offre et demande à portée) : 991 (804 praticien(s))" in (
        result.output
    )


def test_haute_garonne_alone_differs_and_says_so(occitanie_run, gp_table):
    with pytest.warns(Warning) as record:
        alone = run_diagnostic(
            DiagnosticInputs(
                communes=SHARED_DATA / "communes" / "communes-31-haute-garonne.geojson",
                population=POPULATION,
                practitioners=gp_table,
            ),
            DiagnosticOptions(catchments=False, zones=False),
        )
    border = [str(w.message) for w in record if "biais de bord" in str(w.message)]
    assert len(border) == 1 and "586 commune(s) sur 586" in border[0]
    region = occitanie_run.communes.set_index("code_commune").loc[alone.communes["code_commune"]]
    differ = np.abs(alone.communes["apl"].to_numpy() - region["apl"].to_numpy()) > 1e-9
    tier = alone.communes["niveau_acces"].to_numpy() != region["niveau_acces"].to_numpy()
    # Measured on this proxy: every commune of the 31 differs computed alone, 91 change access tier.
    assert (int(differ.sum()), int(tier.sum())) == (586, 91)
