"""The runtime side of rnnlint: `guard` checks live RNN calls against the contract.

Importing this package does not import torch (the pytest plugin lives here and must stay free
when it is off); `guard`, `calls` and `patch` import it.
"""
