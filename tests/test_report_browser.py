"""The report in a real browser (headless Chromium): it loads from disk, its images decode, it renders."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg

from territoires.export.report import save_report_html

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium absent (/usr/bin/chromium)"),
]

# Images that the browser decoded report a natural width; the script writes it into the DOM before the dump.
_PROBE = """
<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  document.body.setAttribute('data-images', imgs.length);
  document.body.setAttribute('data-decoded', imgs.filter(i => i.complete && i.naturalWidth > 0).length);
});
</script>
"""


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profil"
    profile.mkdir(exist_ok=True)
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory, demo_diagnostic, demo_layers_with_catchments) -> Path:
    out = tmp_path_factory.mktemp("navigateur") / "rapport.html"
    return save_report_html(out, demo_layers_with_catchments, metadata=demo_diagnostic.metadata)


def test_report_images_are_decoded_by_the_browser(report, tmp_path):
    probe = tmp_path / "rapport_sonde.html"
    shutil.copy(report, probe)
    probe.write_text(probe.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    done = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert 'data-images="4"' in dom and 'data-decoded="4"' in dom
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', dom)) == 4
    assert "Chiffres clés" in dom and "moins bien desservies" in dom


def test_report_screenshot_is_not_blank(report, tmp_path):
    shot = tmp_path / "rapport.png"
    done = _chromium(tmp_path, "--window-size=1000,2000", "--hide-scrollbars", f"--screenshot={shot}", report.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2000, 1000)
    # A rendered page: many distinct colours (map classes, charts), not a white or single-colour image.
    assert pixels.std() > 0.1
    colours = np.unique((pixels.reshape(-1, 3) * 255).round().astype(np.uint8), axis=0)
    assert len(colours) > 200
    # The APL class colours of the map are on screen: the darkest class (#b2182b) at least.
    target = np.array([0xB2, 0x18, 0x2B]) / 255
    assert (np.abs(pixels - target).max(axis=-1) < 0.02).sum() > 500
