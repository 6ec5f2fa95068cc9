import pandas as pd
import pytest
from conftest import DATA_DIRECTORY as D

from territoires.io.cog import former_codes_from_table, reconcile_vintages
from territoires.io.communes import communes_from_file
from territoires.io.populations import join_populations, populations_from_csv


def test_old_codes_are_dissolved_into_their_current_commune():
    communes = communes_from_file(D / "communes_simple.geojson")
    pop = populations_from_csv(D / "pop_cog_anciens_codes.csv")
    codes = former_codes_from_table(pop)
    assert codes == {"01003": "01002", "01004": "01002"}
    area_b = communes.loc[communes["code_commune"].isin(["01002", "01003", "01004"])].area.sum()
    merged, report = reconcile_vintages(communes, codes, current_codes=pd.Index(pop["code_commune"]))
    assert merged["code_commune"].tolist() == ["01001", "01002", "01005"]
    assert merged.loc[1, "nom"] == "Commune B"  # the name of the commune that kept its code
    assert merged.loc[1].geometry.area == pytest.approx(area_b)
    assert report.n_merged == 2 and report.n_current_affected == 1
    assert report.boundaries_unmatched == [] and report.population_unmatched == []
    joined = join_populations(merged, pop)
    assert joined["population"].tolist() == [1000, 2500, 700]
