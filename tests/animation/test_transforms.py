"""`Affine2D` and the one pixel <-> world convention (pixel centres at integers, y flip)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from neurospatial.animation import Affine2D
from neurospatial.animation.transforms import image_box, pixel_to_world


def _rotation(theta: float) -> Affine2D:
    c, s = np.cos(theta), np.sin(theta)
    return Affine2D(np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]))


def test_affine_identity_scale_translation_and_single_point():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(7, 2))
    np.testing.assert_array_equal(Affine2D.identity()(points), points)
    np.testing.assert_allclose(Affine2D.scale(2.0)(points), 2.0 * points)
    np.testing.assert_allclose(Affine2D.scale(2.0, -3.0)(points), points * [2.0, -3.0])
    np.testing.assert_allclose(
        Affine2D.translation(1.0, -2.0)(points), points + np.array([1.0, -2.0])
    )
    single = Affine2D.translation(1.0, 2.0)(np.array([3.0, 4.0]))
    assert single.shape == (2,)
    assert single.dtype == np.float64
    np.testing.assert_array_equal(single, [4.0, 6.0])
    assert Affine2D.identity()(np.zeros((0, 2))).shape == (0, 2)
    assert Affine2D.identity()([[1, 2]]).dtype == np.float64


def test_affine_composition_applies_right_operand_first():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(5, 2))
    a = Affine2D.translation(3.0, -1.0)
    b = _rotation(0.7) @ Affine2D.scale(2.0, 0.5)
    np.testing.assert_allclose((a @ b)(points), a(b(points)))
    np.testing.assert_allclose((b @ a)(points), b(a(points)))
    assert not np.allclose((a @ b)(points), (b @ a)(points))


def test_affine_inverse_round_trips_and_singular_raises():
    rng = np.random.default_rng(2)
    points = rng.uniform(-100, 100, size=(20, 2))
    t = Affine2D.translation(5.0, 7.0) @ _rotation(-1.2) @ Affine2D.scale(0.3, -0.4)
    np.testing.assert_allclose(t.inverse()(t(points)), points, atol=1e-10)
    np.testing.assert_allclose((t @ t.inverse()).matrix, np.eye(3), atol=1e-12)
    np.testing.assert_array_equal(t.inverse().matrix[2], [0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="singular"):
        Affine2D.scale(1.0, 0.0).inverse()


def test_affine_equality_hash_pickle_and_immutability():
    rng = np.random.default_rng(3)
    matrix = np.eye(3)
    matrix[:2] = rng.normal(size=(2, 3))
    a = Affine2D(matrix)
    matrix[0, 0] = 99.0  # the transform holds its own copy
    assert a.matrix[0, 0] != 99.0
    b = Affine2D(a.matrix.copy())
    assert a == b
    assert hash(a) == hash(b)
    assert a != Affine2D.identity()
    assert Affine2D(np.diag([-0.0, 1.0, 1.0])) == Affine2D(np.diag([0.0, 1.0, 1.0]))
    assert hash(Affine2D(np.diag([-0.0, 1.0, 1.0]))) == hash(Affine2D(np.diag([0.0, 1.0, 1.0])))
    restored = pickle.loads(pickle.dumps(a))
    assert restored == a
    assert not restored.matrix.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        a.matrix[0, 0] = 1.0
    assert a.matrix.dtype == np.float64


@pytest.mark.parametrize(
    ("matrix", "match"),
    [
        (np.eye(2), r"shape \(3, 3\), got \(2, 2\)"),
        (np.array([[1.0, 0, np.nan], [0, 1, 0], [0, 0, 1]]), "finite"),
        (
            np.array([[1.0, 0, 0], [0, 1, 0], [0, 1, 1]]),
            r"last row \[0, 0, 1\], got \[0.0, 1.0, 1.0\]",
        ),
    ],
)
def test_affine_rejects_invalid_matrices(matrix, match):
    with pytest.raises(ValueError, match=match):
        Affine2D(matrix)


def test_affine_call_rejects_wrong_point_shape():
    with pytest.raises(ValueError, match=r"shape \(n, 2\) or \(2,\), got shape \(4, 3\)"):
        Affine2D.identity()(np.zeros((4, 3)))


def test_affine_is_an_array_for_numpy():
    t = Affine2D.translation(2.0, 3.0) @ Affine2D.scale(4.0, -1.0)
    np.testing.assert_array_equal(np.asarray(t), t.matrix)
    np.testing.assert_allclose(np.linalg.solve(t, [6.0, 1.0, 1.0]), [1.0, 2.0, 1.0])


def test_pixel_to_world_flips_y_and_puts_pixel_centres_at_integers():
    """The y flip lives here: row 0 is the top of the image, the largest world y."""
    width, height = 64, 48
    to_world = pixel_to_world((10.0, 42.0, -5.0, 19.0), image_box(width, height))
    left, top, right, bottom = image_box(width, height)
    np.testing.assert_allclose(to_world([left, top]), [10.0, 19.0])  # top-left corner
    np.testing.assert_allclose(to_world([right, bottom]), [42.0, -5.0])  # bottom-right corner
    np.testing.assert_allclose(to_world([0.0, 0.0]), [10.25, 18.75])  # centre of pixel (0, 0)
    np.testing.assert_allclose(to_world([0.0, 1.0]) - to_world([0.0, 0.0]), [0.0, -0.5])
    to_px = to_world.inverse()
    world = np.random.default_rng(0).uniform([10.0, -5.0], [42.0, 19.0], size=(50, 2))
    index = np.round(to_px(world)).astype(int)  # rounding gives the array index
    np.testing.assert_array_equal(index[:, 0], np.floor((world[:, 0] - 10.0) / 0.5))
    np.testing.assert_array_equal(index[:, 1], np.floor((19.0 - world[:, 1]) / 0.5))


def test_pixel_to_world_of_a_sub_rectangle():
    box = (99.5, 19.5, 499.5, 319.5)  # 400 x 300 pixels starting at column 100, row 20
    to_world = pixel_to_world((0.0, 100.0, 0.0, 75.0), box)
    np.testing.assert_allclose(to_world([[99.5, 319.5], [499.5, 19.5]]), [[0, 0], [100, 75]])
    assert to_world.linear[0, 0] == 0.25 and to_world.linear[1, 1] == -0.25
