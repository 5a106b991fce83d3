"""homotopy: natural-homotopy continuation for networks deformed from linear to nonlinear.

Importing the package switches JAX to float64 (``jax_enable_x64``) before any array is made:
every computation here is double precision. Set it yourself with
``jax.config.update("jax_enable_x64", True)`` if you use JAX before importing homotopy.

It also turns on JAX's persistent compilation cache in a per-user folder, unless JAX has one
configured already: ``HOMOTOPY_CACHE_DIR=off`` (or `set_compilation_cache`) changes that; see
`homotopy._cache`.
"""

import jax as _jax


_jax.config.update("jax_enable_x64", True)

from . import _cache  # noqa: E402


_cache.configure_default()

from importlib.metadata import PackageNotFoundError as _PNF, version as _version  # noqa: E402

from . import datasets as datasets, geometry as geometry, manifold as manifold  # noqa: E402
from ._cache import (  # noqa: E402
    compilation_cache_dir as compilation_cache_dir,
    set_compilation_cache as set_compilation_cache,
)
from .activations import Activation as Activation, get_activation as get_activation  # noqa: E402
from .batch import PathBatch as PathBatch, track_many as track_many  # noqa: E402
from .branching import (  # noqa: E402
    bifurcation_directions as bifurcation_directions,
    switch_branch as switch_branch,
)
from .certification import Certificate as Certificate, certify as certify  # noqa: E402
from .correctors import (  # noqa: E402
    AbstractCorrector as AbstractCorrector,
    Chord as Chord,
    Newton as Newton,
    Simplified as Simplified,
    correct_at as correct_at,
)
from .degenerate import BranchStart as BranchStart  # noqa: E402
from .divergence import (  # noqa: E402
    AbstractDivergence as AbstractDivergence,
    NetworkDivergence as NetworkDivergence,
    NoDivergence as NoDivergence,
)
from .events import (  # noqa: E402
    AbstractEvent as AbstractEvent,
    Bifurcation as Bifurcation,
    EventFunction as EventFunction,
    TurningPoint as TurningPoint,
)
from .mlp import MLPHomotopy as MLPHomotopy, StartSearch as StartSearch  # noqa: E402
from .network import SingleLayerPerceptron as SingleLayerPerceptron  # noqa: E402
from .path import Event as Event, Path as Path, Status as Status, load_path as load_path  # noqa: E402
from .predictors import (  # noqa: E402
    RK4 as RK4,
    AbstractPredictor as AbstractPredictor,
    Euler as Euler,
    Hermite as Hermite,
)
from .problems import (  # noqa: E402
    FunctionHomotopy as FunctionHomotopy,
    NaturalHomotopy as NaturalHomotopy,
)
from .protocol import Homotopy as Homotopy  # noqa: E402
from .stationary import (  # noqa: E402
    StationaryPoint as StationaryPoint,
    StationaryPoints as StationaryPoints,
    TargetHomotopy as TargetHomotopy,
    stationary_points as stationary_points,
)
from .step_size import (  # noqa: E402
    AbstractStepSizeController as AbstractStepSizeController,
    AllgowerGeorg as AllgowerGeorg,
)
from .tracker import (  # noqa: E402
    Tracker as Tracker,
    TrackerOptions as TrackerOptions,
    TrackerState as TrackerState,
    track as track,
)


try:
    __version__ = _version("homotopy")
except _PNF:  # running from a source tree that is not installed
    __version__ = "0+unknown"
