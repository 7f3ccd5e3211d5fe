"""The Python keywords, their docstrings and the C options against the library's one list of
reconstruction settings (metagrappa.settings())."""
import inspect
import re

import numpy as np
import pytest

import metagrappa
from metagrappa import _native

FUNCTIONS = {"grappa": metagrappa.grappa, "raki": metagrappa.raki, "meta": metagrappa.meta, "cs": metagrappa.cs}
NOT_SETTINGS = {"kspace", "mask", "coil_axis", "return_info"}


def test_each_function_takes_exactly_the_catalogued_keywords_and_documents_them():
    catalog = metagrappa.settings()
    assert {s["key"] for s in catalog} >= {"lambda", "kernel_lines", "seed", "virtual_coils"}
    for method, function in FUNCTIONS.items():
        expected = {s["python"] for s in catalog if method in s["methods"] and s["python"]}
        keywords = set(inspect.signature(function).parameters) - NOT_SETTINGS
        assert keywords == expected, (method, keywords ^ expected)
        for keyword in expected:
            assert re.search(rf"\b{keyword}\b", function.__doc__), (method, keyword)


def test_documented_defaults_are_the_librarys():
    checked = 0
    for s in metagrappa.settings():
        try:
            value = float(s["default"])
        except ValueError:
            continue
        for method in s["methods"]:
            found = re.search(rf"\b{s['python']}\b[^.;]*?\(default ([-+0-9.e]+)", FUNCTIONS[method].__doc__)
            if found:
                assert float(found.group(1)) == pytest.approx(value), (s["key"], found.group(0))
                checked += 1
    assert checked >= 4


@pytest.mark.parametrize("entry", _native.settings(), ids=lambda s: s["key"])
def test_the_c_options_parse_every_key(entry):
    # A value of no setting's type: the library refuses it naming the key, so the key is read.
    k = np.zeros((2, 16, 8), np.complex64)
    mask = metagrappa.uniform_mask(16, accel=2, acs=8).astype(np.uint8)
    with pytest.raises(ValueError, match=entry["key"]):
        _native.reconstruct(entry["methods"][0], k, mask, {entry["key"]: {"not": "a value"}})
