"""Our metrics against GerryChain's on the same plan of the sample city: the 200
neighborhoods grouped by street."""

from __future__ import annotations

import geopandas as gpd
import pytest
from gerrychain import Graph, Partition
from gerrychain.metrics import polsby_popper
from gerrychain.updaters import (
    Tally,
    boundary_nodes,
    cut_edges,
    cut_edges_by_part,
    exterior_boundaries,
    interior_boundaries,
    perimeter,
)

from boundaries import metrics
from boundaries import units as units_of
from boundaries.plan import Plan


@pytest.fixture(scope="module")
def both(sample_path):
    from gridmap.stores.gpkg import GeoPackageStore

    with GeoPackageStore(sample_path) as store:
        units = units_of.from_store(store, fine_layer=None, min_border_m=0.0).units
        streets = store.areas("neighborhood").set_index("code")["parent_code"]
    plan = Plan.from_assignment(units, {c: streets[c] for c in units.codes})
    frame = gpd.GeoDataFrame(
        {"code": units.codes, "population": units.population, "street": plan.assignment().values()},
        geometry=list(units.metric),
        crs="EPSG:4551",
    )
    graph = Graph.from_geodataframe(frame, adjacency="rook")
    partition = Partition(
        graph,
        dict(zip(graph.nodes, frame["street"], strict=True)),
        {
            "population": Tally("population"),
            "area": Tally("area"),
            "perimeter": perimeter,
            "cut_edges": cut_edges,
            "boundary_nodes": boundary_nodes,
            "cut_edges_by_part": cut_edges_by_part,
            "exterior_boundaries": exterior_boundaries,
            "interior_boundaries": interior_boundaries,
            "polsby_popper": polsby_popper,
        },
    )
    return plan, partition


def test_same_neighbours(both):
    plan, partition = both
    ours = {
        tuple(sorted((int(i), int(j))))
        for i, j in zip(plan.graph.edge_i, plan.graph.edge_j, strict=True)
    }
    theirs = {tuple(sorted(e)) for e in partition.graph.edges}
    assert ours == theirs


def test_same_tallies_and_cut_edges(both):
    plan, partition = both
    for d, name in enumerate(plan.names):
        assert plan.population[d] == partition["population"][name]
        assert plan.area_km2[d] * 1e6 == pytest.approx(partition["area"][name], rel=1e-9)
        assert plan.perimeter_km[d] * 1e3 == pytest.approx(partition["perimeter"][name], rel=1e-6)
    assert plan.cut_edges == len(partition["cut_edges"])


def test_same_polsby_popper(both):
    plan, partition = both
    ours = metrics.polsby_popper(plan)
    for d, name in enumerate(plan.names):
        assert ours[d] == pytest.approx(partition["polsby_popper"][name], rel=1e-6)
