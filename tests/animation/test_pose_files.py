"""`read_pose` on real files: DeepLabCut tables written with pandas (as DeepLabCut
writes them) and a SLEAP analysis file written with h5py (its documented layout)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neurospatial.animation import PositionOverlay, build_scene, read_pose, render_frame
from tests.animation.helpers import assert_what_why_how, red_centroid, square_env

N = 8
PARTS = ["nose", "tail"]


def _track(k: int) -> np.ndarray:
    """(N, 2) pixel positions of keypoint k."""
    t = np.arange(N)
    return np.column_stack([30 + 8 * t + 5 * k, 60 - 2 * t + 3 * k]).astype(float)


def _dlc_frame(individuals: list[str] | None = None) -> pd.DataFrame:
    columns, data = [], []
    for i, individual in enumerate(individuals or [None]):
        for k, part in enumerate(PARTS):
            xy = _track(k) + 100 * i
            likelihood = np.full(N, 0.95)
            likelihood[2] = 0.2  # one doubtful detection per keypoint
            for coord, values in zip(("x", "y", "likelihood"), (*xy.T, likelihood), strict=True):
                key = ("DLC_resnet50", part, coord)
                if individual is not None:
                    key = ("DLC_resnet50", individual, part, coord)
                columns.append(key)
                data.append(values)
    names = ["scorer", "bodyparts", "coords"]
    if individuals:
        names = ["scorer", "individuals", "bodyparts", "coords"]
    index = pd.MultiIndex.from_tuples(columns, names=names)
    return pd.DataFrame(np.column_stack(data), columns=index)


def test_deeplabcut_csv_and_h5_read_back_as_movement_datasets(tmp_path):
    frame = _dlc_frame()
    frame.to_csv(tmp_path / "video1DLC.csv")
    frame.to_hdf(tmp_path / "video1DLC.h5", key="df_with_missing", mode="w")
    for name in ("video1DLC.csv", "video1DLC.h5"):
        poses = read_pose(tmp_path / name, fps=20)
        assert poses.attrs["source_software"] == "DeepLabCut"
        assert dict(poses["position"].sizes) == {
            "time": N,
            "space": 2,
            "keypoint": 2,
            "individual": 1,
        }
        np.testing.assert_allclose(poses["time"].values, np.arange(N) / 20)
        np.testing.assert_allclose(
            poses["position"].sel(keypoint="tail", individual="individual_0").values, _track(1)
        )
        assert poses["confidence"].values[2].max() == pytest.approx(0.2)


def test_multi_animal_deeplabcut_keeps_each_individual(tmp_path):
    _dlc_frame(["mouse1", "mouse2"]).to_csv(tmp_path / "ma.csv")
    poses = read_pose(tmp_path / "ma.csv")
    assert list(poses["individual"].values) == ["mouse1", "mouse2"]
    assert poses.attrs["time_unit"] == "frames"
    np.testing.assert_allclose(
        poses["position"].sel(keypoint="nose", individual="mouse2").values, _track(0) + 100
    )


def test_a_sleap_analysis_file_reads_back(tmp_path):
    h5py = pytest.importorskip("h5py")
    tracks = np.stack([np.stack([_track(k).T for k in range(2)], axis=1)])  # (1, 2, 2, N)
    scores = np.full((1, 2, N), 0.9)
    with h5py.File(tmp_path / "labels.analysis.h5", "w") as f:
        f["tracks"] = tracks
        f["node_names"] = np.array([b"nose", b"tail"])
        f["track_names"] = np.array([b"female"])
        f["point_scores"] = scores
    poses = read_pose(tmp_path / "labels.analysis.h5", fps=10)
    assert poses.attrs["source_software"] == "SLEAP"
    assert list(poses["individual"].values) == ["female"]
    np.testing.assert_allclose(
        poses["position"].sel(keypoint="nose", individual="female").values, _track(0)
    )
    np.testing.assert_allclose(poses["confidence"].values, 0.9)


def test_a_read_file_is_drawn(tmp_path):
    _dlc_frame().to_csv(tmp_path / "video1DLC.csv")
    poses = read_pose(tmp_path / "video1DLC.csv", fps=10)
    nose = PositionOverlay.from_movement(poses, keypoint="nose", confidence_threshold=0.5)
    env = square_env()
    scene = build_scene(
        env, np.zeros((N, env.n_bins)), overlays=[nose], frame_times=np.arange(N) / 10
    )
    frame = render_frame(scene, 1)
    expected = frame.world_to_px(_track(0)[1:2])[0]
    assert np.hypot(*(red_centroid(frame.image) - expected)) <= 2.0
    with pytest.raises(AssertionError, match="no red pixels"):
        red_centroid(render_frame(scene, 2).image)  # below the threshold: a gap


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("missing.csv", "No pose file"), ("poses.txt", "unknown suffix '.txt'")],
)
def test_bad_pose_files_say_what_why_and_how(tmp_path, name, fragment):
    (tmp_path / "poses.txt").write_text("x")
    with pytest.raises(ValueError, match=fragment) as exc:
        read_pose(tmp_path / name)
    assert_what_why_how(str(exc.value), fragment)


def test_a_keypoint_at_a_video_pixel_lands_on_that_pixel_of_the_video(tmp_path):
    """Tracker pixels -> world (calibration) -> screen: the marker sits on the dot that
    the video shows at the same pixel."""
    from neurospatial.animation import VideoOverlay, calibrate_video
    from tests.animation.test_video_overlay import _dot_frames, _env_for

    frames, centres = _dot_frames()  # white dots at known (col, row) pixel centres
    n = len(frames)
    columns = pd.MultiIndex.from_product(
        [["DLC"], ["snout"], ["x", "y", "likelihood"]], names=["scorer", "bodyparts", "coords"]
    )
    pd.DataFrame(np.c_[centres, np.ones(n)], columns=columns).to_csv(tmp_path / "dots.csv")
    env = _env_for(80, 60)
    calibration = calibrate_video(frames, env, cm_per_px=0.5)
    poses = read_pose(tmp_path / "dots.csv", fps=30)
    snout = PositionOverlay.from_movement(
        poses, keypoint="snout", calibration=calibration, size=4.0
    )
    times = np.arange(n) / 30.0
    scene = build_scene(
        env,
        np.full((n, env.n_bins), np.nan),
        overlays=[VideoOverlay(frames, calibration=calibration, times=times, alpha=1.0), snout],
        frame_times=times,
    )
    for k in (0, n - 1):
        frame = render_frame(scene, k)
        picture = frame.image.astype(int)
        (c0, r1), (c1, r0) = frame.world_to_px([[1.0, 1.0], [79.0, 59.0]]).round().astype(int)
        inside = picture[r0:r1, c0:c1]
        rows, cols = np.nonzero(inside.min(axis=2) > 170)  # the dot's white pixels
        dot = np.array([cols.mean() + c0, rows.mean() + r0])
        assert np.hypot(*(red_centroid(frame.image) - dot)) <= 2.0, k


def test_a_sleap_labels_file_reads_back(tmp_path):
    sio = pytest.importorskip("sleap_io")
    skeleton = sio.Skeleton(["nose", "tail"])
    track = sio.Track("female")
    video = sio.Video(filename="session.mp4", open_backend=False)
    frames = []
    for k in range(N):
        points = np.stack([_track(0)[k], _track(1)[k]])
        instance = sio.PredictedInstance.from_numpy(
            points_data=points, skeleton=skeleton, point_scores=np.array([0.9, 0.4]), track=track
        )
        frames.append(sio.LabeledFrame(video=video, frame_idx=k, instances=[instance]))
    labels = sio.Labels(labeled_frames=frames, videos=[video], skeletons=[skeleton], tracks=[track])
    sio.save_slp(labels, str(tmp_path / "session.slp"))
    poses = read_pose(tmp_path / "session.slp", fps=10)
    assert poses.attrs["source_software"] == "SLEAP"
    assert list(poses["individual"].values) == ["female"]
    assert list(poses["keypoint"].values) == ["nose", "tail"]
    np.testing.assert_allclose(
        poses["position"].sel(keypoint="tail", individual="female").values, _track(1)
    )
    np.testing.assert_allclose(poses["confidence"].sel(keypoint="tail").values, 0.4)
    tail = PositionOverlay.from_movement(poses, keypoint="tail", confidence_threshold=0.5)
    assert np.isnan(tail.data).all()  # every tail point below the threshold: all gaps
