import numpy as np
import pytest

from gridmap.coords import gcj02_to_wgs84, wgs84_to_gcj02


def test_forward_matches_the_published_reference_pair():
    # The vector used by coordtransform, eviltransform and Hutool: WGS-84 (116.404, 39.915).
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12
    )


def test_inverse_is_exact_where_one_step_formulas_are_not():
    # One-step inverses publish (116.39775550083061, 39.91359571849836) for this point: a
    # few decimetres off.  The iterated inverse round-trips to 1e-10 degrees.
    lon, lat = gcj02_to_wgs84(116.404, 39.915)
    assert (lon, lat) == pytest.approx((116.39775550083061, 39.91359571849836), abs=1e-5)
    assert wgs84_to_gcj02(lon, lat) == pytest.approx((116.404, 39.915), abs=1e-10)


def test_offset_at_daqing_is_about_half_a_kilometre():
    lon, lat = wgs84_to_gcj02(125.03, 46.59)
    metres = np.hypot((lon - 125.03) * 111_320 * np.cos(np.radians(46.59)), (lat - 46.59) * 110_950)
    assert 450 < metres < 650


def test_arrays_round_trip_and_outside_china_is_unchanged():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(100, 130, 1000), rng.uniform(20, 50, 1000)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.abs(back[0] - lon).max() < 1e-9 and np.abs(back[1] - lat).max() < 1e-9
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
