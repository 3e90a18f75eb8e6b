"""gridmap: grid management for Chinese cities.

The core package: the model (layers, generations, areas, officers, incidents,
hazards), the store protocol and its stores, and point lookup.  It imports no web
framework; ``gridmap.cli`` is the one place that wires the other packages together.
"""

__version__ = "0.1.0"
