import pandas as pd
import pytest
from conftest import DATA_DIRECTORY as D

from territoires.io.cog import former_codes_from_table, reconcile_vintages
from territoires.io.communes import communes_from_file
from territoires.io.populations import join_populations, populations_from_csv


def test_old_codes_are_dissolved_into_their_current_commune():
    with pytest.warns(TerritoiresWarning, match=r"1 polygone\(s\) invalide\(s\) réparé\(s\)"):
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


# --------------------------------------------------------------------------------------------------------------
# Paris, Lyon, Marseille and Corsica (issue 10, item 3): both granularities, both directions


import geopandas as gpd  # noqa: E402
import shapely  # noqa: E402

from territoires import TerritoiresWarning  # noqa: E402
from territoires.io.cog import ARRONDISSEMENTS, arrondissements_to_communes  # noqa: E402
from territoires.io.populations import communes_with_populations  # noqa: E402
from territoires.io.practitioners import locate_in_communes, practitioners_from_table  # noqa: E402

#: Populations légales 2026 (COG 2026 table of ../shared/data) of Paris and its first four arrondissements.
PARIS = 2_103_778
PARIS_ARR = {"75101": 15_114, "75102": 19_847, "75103": 32_179, "75104": 27_332}
COG_HEADER = "code_insee,nom,type,departement,population,chef_lieu,anciens_codes\n"


def _squares(codes, lon0, lat0, step=0.01):
    cells = [shapely.box(lon0 + i * step, lat0, lon0 + (i + 1) * step, lat0 + step) for i in range(len(codes))]
    return gpd.GeoDataFrame({"code": codes, "nom": codes}, geometry=cells, crs="EPSG:4326")


def _population_table(path, *, city=True, arrondissements=True):
    rows = [COG_HEADER]
    if city:
        rows.append(f"75056,Paris,commune-actuelle,75,{PARIS},,\n")
    if arrondissements:
        rows += [f"{c},Paris {c[-2:]},arrondissement-municipal,75,{p},75056,\n" for c, p in PARIS_ARR.items()]
    rows.append("2A004,Ajaccio,commune-actuelle,2A,76320,,20004\n")
    path.write_text("".join(rows), encoding="utf-8")
    return path


def _load(tmp_path, contours, **kwargs):
    contours.to_file(tmp_path / "c.geojson")
    communes = communes_from_file(tmp_path / "c.geojson")
    return communes_with_populations(communes, _population_table(tmp_path / "pop.csv", **kwargs))


def test_contours_by_arrondissement_take_arrondissement_populations(tmp_path):
    gdf, report, codes, _, _ = _load(tmp_path, _squares(list(PARIS_ARR), 2.33, 48.85))
    assert dict(zip(gdf["code_commune"], gdf["population"], strict=True)) == PARIS_ARR
    assert gdf["population"].sum() == 94_472  # 75056 not counted on top of its arrondissements
    assert report.arrondissements == {"75056": "arrondissements"}
    assert "Paris par arrondissement" in report.summary()
    assert "75101" not in codes


def test_contours_at_commune_level_keep_the_city_row(tmp_path):
    gdf, report, codes, _, pops = _load(tmp_path, _squares(["75056"], 2.33, 48.85))
    assert gdf["population"].tolist() == [PARIS]
    assert pops.attrs["other_rows"] == 4  # the arrondissements, set aside: their inhabitants are Paris's
    assert codes["75101"] == "75056" and len(arrondissements_to_communes(["75056"])) == 20
    assert "arrondissements de Paris rattachés à la commune 75056" in report.summary()


def test_city_given_only_by_arrondissements_is_added_up_for_commune_contours(tmp_path):
    with pytest.warns(TerritoiresWarning, match=r"Paris \(75056\) est donnée par ses 4 arrondissements"):
        gdf, *_ = _load(tmp_path, _squares(["75056"], 2.33, 48.85), city=False)
    assert gdf["population"].tolist() == [94_472]


def test_practitioners_by_arrondissement_go_to_the_commune(tmp_path):
    gdf, _, codes, _, _ = _load(tmp_path, _squares(["75056"], 2.33, 48.85))
    (tmp_path / "p.csv").write_text("code_commune\n75101\n75104\n75056\n", encoding="utf-8")
    with pytest.warns(TerritoiresWarning, match=r"2 praticien\(s\) codé\(s\) par arrondissement"):
        located = locate_in_communes(practitioners_from_table(tmp_path / "p.csv"), gdf, former_codes=codes)
    assert located["code_commune"].tolist() == ["75056"] * 3
    assert located.attrs["localisation"]["arrondissements_rattaches_a_la_commune"] == 2


def test_practitioners_coded_as_the_whole_city_against_arrondissements_are_left_out(tmp_path):
    gdf, _, codes, _, _ = _load(tmp_path, _squares(list(PARIS_ARR), 2.33, 48.85))
    (tmp_path / "p.csv").write_text("code_commune\n75101\n75056\n", encoding="utf-8")
    with pytest.warns(TerritoiresWarning, match=r"1 ligne\(s\) écartée\(s\) sur 2"):
        located = locate_in_communes(practitioners_from_table(tmp_path / "p.csv"), gdf, former_codes=codes)
    assert located["code_commune"].tolist() == ["75101"]
    assert [(r["ligne"], r["motif"]) for r in located.attrs["left_out"]] == [
        (3, "code commune 75056 (Paris) sans arrondissement, contours par arrondissement")
    ]


def test_corsican_codes_before_1976_get_their_population(tmp_path):
    gdf, report, _, outside, _ = _load(tmp_path, _squares(["20004"], 8.70, 41.92))
    assert gdf["code_commune"].tolist() == ["2A004"]
    assert gdf["departement"].tolist() == ["2A"]
    assert gdf["population"].tolist() == [76_320]
    assert gdf["nom"].tolist() == ["Ajaccio"]
    assert report.merged_codes == {"20004": "2A004"}
    assert outside == PARIS  # the Paris row is outside this territory, not in it


def test_names_of_today_come_from_the_population_table(tmp_path):
    contours = _squares(["20004"], 8.70, 41.92).assign(nom="Ajaccio (contours 2018)")
    gdf, *_ = _load(tmp_path, contours)
    assert gdf["nom"].tolist() == ["Ajaccio"]


def test_every_arrondissement_code_has_its_city():
    assert len(ARRONDISSEMENTS) == 45
    assert {ARRONDISSEMENTS["75120"], ARRONDISSEMENTS["69389"], ARRONDISSEMENTS["13216"]} == {
        "75056",
        "69123",
        "13055",
    }
