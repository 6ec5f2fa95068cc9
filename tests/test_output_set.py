"""A result is a set, written as a set: checked before computing, swapped in whole, locked, one line on OS errors.

Each test asserts the exit code, the one French line, and that the previous outputs are byte-identical with no
hidden staging folder left behind.
"""

import errno
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from territoires.cli import cli
from territoires.demo.generate import demo_paths
from territoires.export import output_set
from territoires.export.output_set import DIAGNOSTIC_FILES, OutputError, OutputSet, file_set

P = demo_paths()
DIAGNOSE = ["diagnose", "--communes", str(P["communes"]), "--population", str(P["population"]),
            "--practitioners", str(P["practitioners"]), "--no-cpts", "--resolution", "3000"]  # fmt: skip
CPTS = ["cpts", "--communes", str(P["communes"]), "--population", str(P["population"])]


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def invoke(args):
    return CliRunner().invoke(cli, args)


def one_line(result):
    lines = [line for line in result.output.splitlines() if line.startswith("Erreur")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output and "[Errno" not in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    out = tmp_path_factory.mktemp("previous") / "sortie"
    result = invoke([*DIAGNOSE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    # The four files of a diagnosis without BPE; no lock, no staging folder left.
    assert sorted(p.name for p in out.iterdir()) == ["carte.html", "diagnostic.gpkg", "rapport.html", "temps_acces.tif"]
    return out


@pytest.fixture
def out(previous, tmp_path):
    target = tmp_path / "sortie"
    shutil.copytree(previous, target)
    return target


def read_only(monkeypatch, folder):
    """Make ``folder`` look read-only to os.access (tests run as root, for whom chmod changes nothing)."""
    real_access = os.access

    def access(path, mode, **kwargs):
        if mode & os.W_OK and str(path).startswith(str(folder)):
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(output_set.os, "access", access)


def no_computation(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the location must be checked before computing")

    monkeypatch.setattr("territoires.pipeline.run_diagnostic", refuse)


def test_full_disk_while_writing_keeps_the_previous_set(out, monkeypatch):
    before = snapshot(out)

    def full(path, *args, **kwargs):  # the raster and the GeoPackage are written, then the disk fills up
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("territoires.pipeline.outputs.save_map_html", full)
    result = invoke([*DIAGNOSE, "--out", str(out)])
    assert result.exit_code == 2
    line = one_line(result)
    assert "plus de place sur le disque" in line and "les résultats précédents sont intacts" in line
    assert snapshot(out) == before  # byte-identical, no new raster beside the old GeoPackage, no staging folder


def test_interrupt_while_writing_keeps_the_previous_set(out, monkeypatch):
    before = snapshot(out)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("territoires.pipeline.outputs.save_report_html", interrupt)
    result = invoke([*DIAGNOSE, "--out", str(out)])
    assert result.exit_code == 1  # click's "Aborted!"
    assert snapshot(out) == before


def test_interrupt_during_the_swap_rolls_back(tmp_path, monkeypatch):
    target = tmp_path / "set"
    with OutputSet(target, ["a.txt", "b.txt"]) as staging:
        (staging / "a.txt").write_text("old a")
        (staging / "b.txt").write_text("old b")
    calls = []
    real_replace = os.replace

    def replace(src, dst):  # the 3rd rename (first new file moved in) is interrupted
        calls.append(src)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(output_set.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt), OutputSet(target, ["a.txt", "b.txt"]) as staging:
        (staging / "a.txt").write_text("new a")
        (staging / "b.txt").write_text("new b")
    assert snapshot(target) == {"a.txt": b"old a", "b.txt": b"old b"}


def test_read_only_folder_refused_before_computing(tmp_path, monkeypatch):
    no_computation(monkeypatch)
    read_only(monkeypatch, tmp_path)
    target = tmp_path / "sortie"
    result = invoke([*DIAGNOSE, "--out", str(target)])
    assert result.exit_code == 2
    assert "permission refusée ou lecture seule" in one_line(result)
    assert not target.exists()


def test_output_under_a_file_refused_before_computing(tmp_path, monkeypatch):
    no_computation(monkeypatch)
    (tmp_path / "fichier.txt").write_text("x")
    result = invoke([*DIAGNOSE, "--out", str(tmp_path / "fichier.txt" / "sortie")])
    assert result.exit_code == 2
    assert "est un fichier, pas un dossier" in one_line(result)


def test_too_long_name_refused_before_computing(tmp_path, monkeypatch):
    no_computation(monkeypatch)
    result = invoke([*DIAGNOSE, "--out", str(tmp_path / ("x" * 300))])
    assert result.exit_code == 2
    assert "dépasse 255 octets" in one_line(result)
    assert list(tmp_path.iterdir()) == []


def test_not_enough_room_refused_before_computing(tmp_path, monkeypatch):
    no_computation(monkeypatch)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(output_set.shutil, "disk_usage", lambda p: usage._replace(free=1024**2))
    result = invoke([*DIAGNOSE, "--out", str(tmp_path / "sortie")])
    assert result.exit_code == 2
    line = one_line(result)
    # Inputs of the demo: ≈ 0.45 MB → 3 × inputs + 5 MB + 20 MB of margin ≈ 26 MB needed, 1 MB free.
    assert "1 Mo libres sur le disque, il en faut environ 26 Mo" in line


def test_second_run_into_the_same_output_is_refused(out, monkeypatch):
    before = snapshot(out)
    no_computation(monkeypatch)
    with pytest.raises(RuntimeError), OutputSet(out, DIAGNOSTIC_FILES, key="diagnostic"):  # a first run holds it
        result = invoke([*DIAGNOSE, "--out", str(out)])
        assert result.exit_code == 2
        assert f"un autre calcul y écrit déjà (processus {os.getpid()})" in one_line(result)
        raise RuntimeError("the first run stops here, without writing")
    assert snapshot(out) == before


def test_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    target = tmp_path / "set"
    target.mkdir()
    (target / ".territoires-verrou.resultats").write_text("999999")  # no process holds it any more
    with OutputSet(target, ["a.txt"]) as staging:
        (staging / "a.txt").write_text("new")
    assert snapshot(target) == {"a.txt": b"new"}


def test_swap_cut_short_by_a_killed_run_is_undone_by_the_next(tmp_path):
    # State after a kill -9 in the middle of the swap: the old a.txt aside with the journal, the new a.txt in.
    target = tmp_path / "set"
    aside = target / ".territoires-ancien.resultats.abcd1234"
    aside.mkdir(parents=True)
    (aside / "a.txt").write_text("old a")
    (aside / "journal.json").write_text(json.dumps({"nouveaux": ["a.txt", "b.txt"]}))
    (target / "a.txt").write_text("new a")
    (target / ".territoires-ecriture.resultats.efgh5678").mkdir()
    with pytest.raises(RuntimeError), OutputSet(target, ["a.txt", "b.txt"]) as staging:
        assert {p.name for p in target.iterdir()} == {"a.txt", ".territoires-verrou.resultats", staging.name}
        assert (target / "a.txt").read_text() == "old a"
        raise RuntimeError("computation failed")
    assert snapshot(target) == {"a.txt": b"old a"}


def test_a_new_set_replaces_the_whole_previous_set_and_leaves_other_files(tmp_path):
    target = tmp_path / "set"
    with OutputSet(target, ["a.txt", "b.txt"]) as staging:
        (staging / "a.txt").write_text("1")
        (staging / "b.txt").write_text("1")
    (target / "notes.txt").write_text("the user's own file")
    with OutputSet(target, ["a.txt", "b.txt"]) as staging:
        (staging / "a.txt").write_text("2")  # this run writes no b.txt: the previous one must not stay beside
    assert snapshot(target) == {"a.txt": b"2", "notes.txt": b"the user's own file"}


def test_error_from_the_api_is_an_oserror_and_a_territoires_error(tmp_path):
    with pytest.raises(OutputError, match="dépasse 255 octets") as info:
        with file_set([tmp_path / ("y" * 260 + ".csv")]):
            pass
    assert isinstance(info.value, OSError)


def test_cpts_gpkg_and_csv_are_one_set(tmp_path, monkeypatch):
    target = tmp_path
    result = invoke([*CPTS, "--out", str(target)])
    assert result.exit_code == 0, result.output
    before = snapshot(tmp_path)
    assert sorted(before) == ["cpts.csv", "cpts.gpkg"]

    def full(self, path, *args, **kwargs):  # the GeoPackage is written, the CSV beside it fails
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("pandas.DataFrame.to_csv", full)
    monkeypatch.setattr("territoires.export.tables._write_text", lambda path, text: full(None, path))  # tables
    result = invoke([*CPTS, "--min-pop", "15000", "--out", str(target)])
    assert result.exit_code == 2
    assert "plus de place sur le disque" in one_line(result)
    assert snapshot(tmp_path) == before


def test_apl_read_only_folder_refused_before_computing(tmp_path, monkeypatch):
    read_only(monkeypatch, tmp_path)
    no_computation(monkeypatch)
    args = ["apl", "--communes", str(P["communes"]), "--population", str(P["population"]),
            "--practitioners", str(P["practitioners"]), "--out", str(tmp_path / "apl")]  # fmt: skip
    result = invoke(args)
    assert result.exit_code == 2
    assert "permission refusée" in one_line(result)


def test_map_is_byte_identical_from_one_run_to_the_next(previous, tmp_path):
    # folium numbers its elements at random: 61 lines of the map differed between two identical runs.
    result = invoke([*DIAGNOSE, "--out", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again" / "carte.html").read_bytes() == (previous / "carte.html").read_bytes()


def test_lock_held_by_another_process_then_killed(tmp_path, monkeypatch):
    import signal
    import subprocess
    import sys

    target = tmp_path / "sortie"
    holder = (
        "import sys, time; from territoires.export.output_set import OutputSet, DIAGNOSTIC_FILES\n"
        f"s = OutputSet({str(target)!r}, DIAGNOSTIC_FILES, key='diagnostic'); s.__enter__()\n"
        "print('pris', flush=True); time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert proc.stdout.readline().strip() == "pris"
        no_computation(monkeypatch)
        result = invoke([*DIAGNOSE, "--out", str(target)])
        assert result.exit_code == 2
        assert f"un autre calcul y écrit déjà (processus {proc.pid})" in one_line(result)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # Killed outright: its lock file and staging folder stay behind, the system released the lock.
    assert (target / ".territoires-verrou.diagnostic").exists()
    with OutputSet(target, DIAGNOSTIC_FILES, key="diagnostic") as staging:
        (staging / "carte.html").write_text("nouvelle")
    assert sorted(p.name for p in target.iterdir()) == ["carte.html"]  # lock and leftovers cleared


def test_raster_estimate_is_two_float32_bands_over_the_extent(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    strip = gpd.GeoDataFrame({"code": ["31001"]}, geometry=[box(500_000, 6_200_000, 560_000, 6_205_000)], crs=2154)
    strip.to_file(tmp_path / "c.gpkg", driver="GPKG")
    # 60 km × 5 km at 500 m: (120 + 1) × (10 + 1) cells, 2 bands of 4 bytes.
    assert output_set.estimate_raster_bytes([tmp_path / "c.gpkg"], resolution=500) == 121 * 11 * 8


def test_fine_raster_that_cannot_fit_is_refused_before_computing(tmp_path, monkeypatch):
    no_computation(monkeypatch)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(output_set.shutil, "disk_usage", lambda p: usage._replace(free=40 * 1024**2))
    args = [a for a in DIAGNOSE if a not in ("--resolution", "3000")]
    # 40 MB free: enough at 500 m (≈ 26 MB needed: the check passes and the computation is reached)…
    passed = invoke([*args, "--resolution", "500", "--out", str(tmp_path / "a")])
    assert isinstance(passed.exception, AssertionError) and "before computing" in str(passed.exception)
    # …not at 50 m: the raster alone is ≈ 32 MB (2 float32 bands over the demo's extent).
    result = invoke([*args, "--resolution", "50", "--out", str(tmp_path / "b")])
    assert result.exit_code == 2
    assert "40 Mo libres sur le disque, il en faut environ 56 Mo" in one_line(result)
