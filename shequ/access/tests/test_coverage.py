"""Coverage on a tiny hand-made network with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from shequ.access import InputError, Share, coverage, nearest_by_type

from .conftest import line_network


def test_shares_within_the_standard_per_type_and_group():
    # Nodes 0–3 on a line, 100 m apart; a clinic at node 0, a shop at node 3.
    network = line_network()
    origins = np.column_stack([network.lon, network.lat])
    metres = nearest_by_type(
        network, origins, {"clinic": origins[:1], "shop": origins[3:], "none": []}
    )
    households = np.array([10, 20, 30, 40])
    elderly = np.array([1, 0, 5, 0])
    groups = np.array(["220403001001", "220403001001", "220403001002", "220403001002"])

    result = coverage(metres, {"households": households, "elderly": elderly}, groups, 150.0)

    a, b = "220403001001", "220403001002"
    assert list(result["clinic"]) == [a, b]
    # The clinic reaches nodes 0 and 1 (0 and 100 m), not 2 (200 m) or 3.
    assert result["clinic"][a]["households"].share == 1.0
    assert result["clinic"][b]["households"].covered == 0.0
    assert result["clinic"][b]["households"].total == 70.0
    # The shop reaches nodes 2 and 3 only: all of group b, none of group a.
    assert result["shop"][a]["households"].share == 0.0
    assert result["shop"][a]["elderly"] == Share(covered=0.0, total=1.0)
    assert result["shop"][b]["elderly"] == Share(covered=5.0, total=5.0)
    # A type without facilities covers nobody.
    assert result["none"][b]["households"].share == 0.0


def test_a_standard_per_type_and_the_boundary_counts_as_covered():
    metres = {"a": np.array([100.0, 200.0, np.nan]), "b": np.array([100.0, 200.0, 300.0])}
    result = coverage(metres, {"persons": [1, 2, 4]}, [1, 1, 1], {"a": 200.0, "b": 100.0})
    assert result["a"][1]["persons"].covered == 3.0  # NaN (unreachable) is not covered
    assert result["b"][1]["persons"].covered == 1.0


def test_a_group_without_weight_has_no_share_rather_than_zero():
    result = coverage({"a": np.array([10.0])}, {"children": [0]}, ["x"], 100.0)
    assert result["a"]["x"]["children"].share is None


@pytest.mark.parametrize(
    ("weights", "groups", "message"),
    [
        ({"w": [1, 2]}, [1, 1, 1], "3 origins"),
        ({"w": [1, -2, 3]}, [1, 1, 1], "non-negative"),
        ({"w": [1, 2, 3]}, [[1, 1, 1]], "one key per origin"),
    ],
)
def test_bad_arrays_raise_input_error(weights, groups, message):
    with pytest.raises(InputError, match=message):
        coverage({"a": np.zeros(3)}, weights, groups, 100.0)
