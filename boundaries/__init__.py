"""Redistricting: unit graphs, plans as values, metrics, rules and automatic proposals.

In GerryChain's vocabulary: a plan never changes, ``reassign`` returns a new one whose
tallies are updated from its parent; metrics are ``plan -> value``, rules
``plan -> (ok, reason)``.  GIS enters only at the edge, when a graph is built from areas.
"""
