"""Torch semantics as data: qualified names and tensor methods mapped to shape transfer functions.

The interpreter looks a call up here and stays generic. A transfer function takes a narrow
`Context` (to report a finding or describe a position) and the evaluated call, and returns
the abstract result; whatever it cannot compute is TOP or a partly unknown shape.
"""
