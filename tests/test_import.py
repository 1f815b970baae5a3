"""`import neurospatial` is cheap and silent."""

import json
import subprocess
import sys

FORBIDDEN = (
    "matplotlib",
    "holoviews",
    "panel",
    "bokeh",
    "napari",
    "imageio_ffmpeg",
    "PyQt6",
    "PySide6",
    "anywidget",
    "ipywidgets",
    "traitlets",
    "IPython",
    "cv2",
    "click",
    "tqdm",
    "xarray",
    "dask",
    "zarr",
    "shapely",
    "scipy",
)

PROBE = """
import json, logging, sys, warnings
before_filters = list(warnings.filters)
handlers = list(logging.getLogger().handlers)
import neurospatial
print(json.dumps({
    "modules": sorted(sys.modules),
    "version": neurospatial.__version__,
    "filters_changed": warnings.filters != before_filters,
    "handlers_changed": logging.getLogger().handlers != handlers,
}))
"""


def test_import_is_cheap_and_silent():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert out.stderr == ""
    info = json.loads(out.stdout)
    loaded = {m.split(".")[0] for m in info["modules"]}
    assert not loaded & set(FORBIDDEN), sorted(loaded & set(FORBIDDEN))
    assert info["version"]
    assert not info["filters_changed"] and not info["handlers_changed"]


def test_public_names_resolve_lazily():
    import neurospatial

    assert "Environment" in dir(neurospatial)
    assert neurospatial.Environment.__name__ == "Environment"
    assert callable(neurospatial.compute_place_field)
