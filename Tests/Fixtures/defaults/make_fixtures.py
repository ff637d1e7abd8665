"""Records the reference's parameter defaults, read from the installed functions'
signatures (inspect.signature), into reference_defaults.json; ReferenceDefaultsTests compares
them with the Swift defaults, so a default mistyped in a port (h-maxima 0.1 → 0.11) fails a
test. Run with the oracle venv from the package root:

    ${ORACLE:-.oracle}/bin/python Tests/Fixtures/defaults/make_fixtures.py

deepcell-toolbox 0.12.1, scikit-image 0.21.0. Parameters without a default (the arrays,
`model_name`) and `**kwargs` are left out; `None` becomes JSON null.
"""
import importlib.metadata
import inspect
import json
import pathlib
import warnings

warnings.simplefilter("ignore")

from deepcell_toolbox.deep_watershed import deep_watershed  # noqa: E402
from deepcell_toolbox.metrics import Metrics, ObjectMetrics  # noqa: E402
from deepcell_toolbox.processing import (  # noqa: E402
    histogram_normalization, normalize, percentile_threshold)
from skimage.exposure import equalize_adapthist  # noqa: E402


def defaults(function):
    out = {}
    for name, p in inspect.signature(function).parameters.items():
        if p.default is inspect.Parameter.empty:
            continue
        value = p.default
        assert value is None or isinstance(value, (bool, int, float, str, list)), (name, value)
        out[name] = value
    return out


functions = {
    "deepcell_toolbox.deep_watershed.deep_watershed": deep_watershed,
    "deepcell_toolbox.metrics.Metrics": Metrics.__init__,
    "deepcell_toolbox.metrics.ObjectMetrics": ObjectMetrics.__init__,
    "deepcell_toolbox.processing.histogram_normalization": histogram_normalization,
    "deepcell_toolbox.processing.normalize": normalize,
    "deepcell_toolbox.processing.percentile_threshold": percentile_threshold,
    "skimage.exposure.equalize_adapthist": equalize_adapthist,
}
record = {
    "versions": {p: importlib.metadata.version(p) for p in ("deepcell-toolbox", "scikit-image")},
    "defaults": {key: defaults(f) for key, f in functions.items()},
}
path = pathlib.Path(__file__).resolve().parent / "reference_defaults.json"
path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
