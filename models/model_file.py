"""Writes a dc-tools model file from a training state or another model, with model.json's
recorded settings (training diameter, watershed settings, test-time flips, the input's
intensity transform) set.

    python models/model_file.py TEMPLATE.npz OUT.npz [--state STATE.npz] [--diameter 17]
        [--watershed '{"radius": 3, "interiorThreshold": 0.05}'] [--flips yes|no]
        [--transform none|sqrt] [--settings-from MODEL.npz] [--training KEY=VALUE ...]
        [--average OTHER.npz --average-weight W]

TEMPLATE gives the member names, shapes and model.json (architecture); --state takes the
weights of a dc-train state file instead (its `weights/NAME` arrays are flat, kernels
OIHW), so a checkpoint
of a run can be scored (models/learning_curve.sh). --average mixes in the weights of another
model file of the same architecture: every array (batch-norm moving statistics included)
becomes (1 − W)·this + W·OTHER, a weight average of two fine-tuned models ("model soup",
Wortsman et al., ICML 2022). numpy writes the arrays; dc-predict reads
the result like any model file.
"""
import argparse
import io
import json
import zipfile

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("template")
    p.add_argument("output")
    p.add_argument("--state")
    p.add_argument("--diameter", type=float)
    p.add_argument("--calibration", type=float, help="diameterCalibration of --diameter auto")
    p.add_argument("--watershed", help="JSON object of WatershedSettings fields")
    p.add_argument("--flips", choices=["yes", "no"])
    p.add_argument("--settings-from", help="model file whose recorded settings (diameter, "
                   "calibration, watershed, test-time flips) to copy; the flags above win")
    p.add_argument("--transform", choices=["none", "sqrt"],
                   help="inputTransform: the intensity transform the training images had")
    p.add_argument("--training", nargs="*", default=[], help="KEY=VALUE entries to record")
    p.add_argument("--average", help="model file whose weights to average in")
    p.add_argument("--average-weight", type=float, default=0.5, help="W of --average (0.5)")
    a = p.parse_args()
    if not 0 <= a.average_weight <= 1:
        p.error("--average-weight must lie in [0, 1]")
    other = np.load(a.average) if a.average else None
    template = np.load(a.template)
    description = json.loads(template["model.json"])
    state = np.load(a.state) if a.state else None
    arrays = {}
    for name in template.files:
        if name == "model.json":
            continue
        value = template[name]
        if state is not None:
            flat = state["weights/" + name].astype(value.dtype)
            if value.ndim == 4:  # the state keeps kernels as OIHW; the model file as HWIO
                kh, kw, i, o = value.shape
                value = flat.reshape(o, i, kh, kw).transpose(2, 3, 1, 0)
            else:
                value = flat.reshape(value.shape)
        if other is not None:
            if name not in other.files or other[name].shape != value.shape:
                p.error(f"{a.average} has no array {name} of shape {value.shape}")
            w = a.average_weight
            value = ((1 - w) * value.astype(np.float64) + w * other[name]).astype(value.dtype)
        arrays[name] = value
    if a.settings_from:
        source = json.loads(np.load(a.settings_from)["model.json"])
        for key in ("diameter", "diameterCalibration", "watershed", "testTimeFlips"):
            if key in source:
                description[key] = source[key]
    if a.diameter is not None:
        description["diameter"] = a.diameter
    if a.calibration is not None:
        description["diameterCalibration"] = a.calibration
    if a.watershed is not None:
        description["watershed"] = json.loads(a.watershed)
    if a.flips is not None:
        description["testTimeFlips"] = a.flips == "yes"
    if a.transform == "none":
        description.pop("inputTransform", None)
    elif a.transform is not None:
        description["inputTransform"] = a.transform
    for entry in a.training:
        key, value = entry.split("=", 1)
        description.setdefault("training", {})[key] = value
    with zipfile.ZipFile(a.output, "w", zipfile.ZIP_STORED) as z:
        for name, value in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, value)
            z.writestr(name + ".npy", buffer.getvalue())
        z.writestr("model.json", json.dumps(description, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
